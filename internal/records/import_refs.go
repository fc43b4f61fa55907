package records

import (
	"context"
	"slices"
	"sync"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Contacts and deals name their customer by id or by one of its exact
// identifiers. A customer outside the caller's scope is "no such
// customer", exactly like one that does not exist. Naming customers by an
// identifier is an exact lookup: it needs read access to the identifier's
// class (a role that sees it masked names customers by id), and the
// import's audit event lists the identifier columns used.

// refColumns maps the customer columns of a file to the lookup field of
// each ("" for customer_id), in the order rows are read.
var refColumns = []struct {
	column string
	field  domain.LookupField
}{
	{"customer_id", ""},
	{"customer_phone", domain.LookupPhone},
	{"customer_email", domain.LookupEmail},
	{"customer_id_number", domain.LookupIDNumber},
	{"customer_tax_id", domain.LookupTaxID},
}

func refField(column string) (domain.LookupField, bool) {
	for _, rc := range refColumns {
		if rc.column == column {
			return rc.field, true
		}
	}
	return "", false
}

// checkRefColumns refuses a file naming customers by an identifier the
// actor may not look customers up by, and notes the identifiers used.
func (j *importJob) checkRefColumns() *ImportProblem {
	for _, col := range j.cols {
		f, ok := refField(col)
		if !ok || f == "" {
			continue
		}
		if !j.a.System {
			if allowed, limited := j.a.Role.Lookup(lookupClass[f]); !allowed || limited {
				return &ImportProblem{Line: 1, Field: col, Message: "your role may not look customers up by " + string(f) + "; name them by customer_id"}
			}
		}
		j.refs = append(j.refs, col)
	}
	return nil
}

// parentRef is a customer a row's record belongs to.
type parentRef struct {
	id  domain.ID
	ref domain.ParentRef
}

type refEntry struct {
	parent  parentRef
	problem string
}

// refCache resolves customer cells once per distinct value.
type refCache struct {
	s     *Service
	a     *domain.Actor
	mu    sync.RWMutex
	byRef map[CustomerRef]refEntry
}

// resolve finds the customer a row names; company requires a company
// (contacts). Several customer cells must name the same customer.
func (rc *refCache) resolve(ctx context.Context, row *ImportRow, company bool) (parentRef, []ImportProblem) {
	var found parentRef
	var problems []ImportProblem
	if len(row.Refs) == 0 {
		return found, []ImportProblem{{Line: row.Line, Field: "customer_id", Message: "the row names no customer"}}
	}
	for _, ref := range row.Refs {
		e := rc.lookup(ctx, ref)
		switch {
		case e.problem != "":
			problems = append(problems, ImportProblem{Line: row.Line, Field: ref.Column, Message: e.problem})
		case found.id == "":
			found = e.parent
		case found.id != e.parent.id:
			problems = append(problems, ImportProblem{Line: row.Line, Field: ref.Column, Message: "the row's customer columns name different customers"})
		}
	}
	if found.id == "" || len(problems) > 0 {
		return parentRef{}, problems
	}
	col := row.Refs[0].Column
	switch {
	case found.ref.Erased:
		return parentRef{}, []ImportProblem{{Line: row.Line, Field: col, Message: "the customer has been erased"}}
	case company && found.ref.Kind != domain.CustomerCompany:
		return parentRef{}, []ImportProblem{{Line: row.Line, Field: col, Message: "only company customers have contacts"}}
	}
	return found, nil
}

func (rc *refCache) lookup(ctx context.Context, ref CustomerRef) refEntry {
	rc.mu.RLock()
	e, ok := rc.byRef[ref]
	rc.mu.RUnlock()
	if ok {
		return e
	}
	e = rc.find(ctx, ref)
	rc.mu.Lock()
	rc.byRef[ref] = e
	rc.mu.Unlock()
	return e
}

func (rc *refCache) find(ctx context.Context, ref CustomerRef) refEntry {
	field, ok := refField(ref.Column)
	if !ok {
		return refEntry{problem: "not a customer column"}
	}
	var c *domain.Customer
	if field == "" {
		id, err := domain.ParseID(domain.KindCustomer, ref.Column, ref.Value)
		if err != nil {
			return refEntry{problem: domain.AsError(err).Message}
		}
		if c, err = rc.s.customers.GetCustomer(ctx, id, openNone); err != nil {
			return refEntry{problem: lookupProblem(err)}
		}
		inTerritory, err := rc.s.inTerritory(ctx, rc.a, c)
		if err != nil {
			return refEntry{problem: lookupProblem(err)}
		}
		if !policy.InScope(rc.a, c.OwnerID, c.TeamID, inTerritory) {
			return refEntry{problem: "no such customer"}
		}
	} else {
		norm, err := normalizeLookup(field, ref.Value)
		if err != nil {
			return refEntry{problem: domain.AsError(err).Message}
		}
		found, err := rc.s.customers.FindCustomers(ctx, field, norm, policy.RecordScope(rc.a))
		if err != nil {
			return refEntry{problem: lookupProblem(err)}
		}
		found = slices.DeleteFunc(found, func(c *domain.Customer) bool { return c == nil })
		if len(found) == 0 {
			return refEntry{problem: "no customer has this " + string(field)}
		}
		c = found[0]
	}
	return refEntry{parent: parentRef{id: c.ID, ref: refOf(c)}}
}

func lookupProblem(err error) string {
	if isNotFound(err) {
		return "no such customer"
	}
	return "the customer could not be looked up"
}
