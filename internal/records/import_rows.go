package records

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Rows become records here, with every problem they have. The domain's
// constructors stop at the first problem; allProblems runs one again with
// the field it named cleared (or, for a required one, given a stand-in)
// until the rest passes, so one row reports all its problems and the
// domain stays the one place that says what is valid.

type fieldProblem struct{ field, message string }

// allProblems builds a record from in with build, collecting every field
// problem; clear removes a field from the input (false when it cannot).
// The record is the one built from what was left valid.
func allProblems[I, T any](in *I, build func(*I) (T, []string, error), clear func(*I, string) bool) (T, []string, []fieldProblem) {
	var out []fieldProblem
	seen := map[string]bool{}
	for {
		x, changed, err := build(in)
		if err == nil {
			return x, changed, out
		}
		de := domain.AsError(err)
		var zero T
		if de.Code == domain.CodeInternal {
			return zero, nil, append(out, fieldProblem{"", "the row could not be checked"})
		}
		out = append(out, fieldProblem{de.Field, de.Message})
		if seen[de.Field] || !clear(in, de.Field) {
			return zero, nil, out
		}
		seen[de.Field] = true
	}
}

// rowProblems starts a row's problems with what the reader found, and
// says which columns those concern (their values were left out, so what
// the domain says about them next is no news).
func rowProblems(row *ImportRow) ([]ImportProblem, map[string]bool) {
	problems := slices.Clone(row.Problems)
	cols := map[string]bool{}
	for _, p := range problems {
		cols[p.Field] = true
	}
	return problems, cols
}

// unreadable reports a row the reader could not split into cells.
func unreadable(row *ImportRow) bool { return row.Cells == nil && len(row.Problems) > 0 }

// addField adds the problems of fields, named by column, skipping columns
// the reader already reported.
func addField(problems []ImportProblem, line int, fps []fieldProblem, column func(string) string, skip map[string]bool) []ImportProblem {
	for _, fp := range fps {
		col := column(fp.field)
		if col != "" && skip[col] {
			continue
		}
		problems = append(problems, ImportProblem{Line: line, Field: col, Message: fp.message})
	}
	return problems
}

// writeProblems checks write access to each changed field on its own, so
// every field the role may not set is named.
func writeProblems(a *domain.Actor, line int, changed []string, classOf func(string) domain.FieldClass, column func(string) string) []ImportProblem {
	var out []ImportProblem
	for _, f := range changed {
		if err := policy.CheckWrite(a, []string{f}, classOf); err != nil {
			out = append(out, ImportProblem{Line: line, Field: column(f), Message: domain.AsError(err).Message})
		}
	}
	return out
}

// customerColumn names the column of a customer field.
func customerColumn(cols []string) func(string) string {
	return func(field string) string {
		switch field {
		case "address.street":
			if slices.Contains(cols, "address") {
				return "address"
			}
			return "street"
		case "owner_id":
			return "owner"
		}
		return strings.TrimPrefix(field, "address.")
	}
}

func sameColumn(field string) string {
	if field == "owner_id" {
		return "owner"
	}
	return field
}

func customerKind(j *importJob, owners *ownerCache) importKind[*domain.Customer] {
	return importKind[*domain.Customer]{
		build: func(ctx context.Context, row *ImportRow) (*domain.Customer, []ImportProblem) {
			problems, skip := rowProblems(row)
			if unreadable(row) {
				return nil, problems
			}
			in := row.Customer
			if in.Address != nil {
				addr := *in.Address
				in.Address = &addr
			}
			in.Tags = slices.Clone(in.Tags)
			column := customerColumn(j.cols)
			c, changed, fps := allProblems(&in, domain.NewCustomer, clearCustomerField)
			problems = addField(problems, row.Line, fps, column, skip)
			if c == nil {
				return nil, problems
			}
			problems = append(problems, writeProblems(j.a, row.Line, changed, policy.CustomerFieldClass(c.Kind), column)...)
			if ref := cmp.Or(row.Owner, j.o.Owner); ref != "" {
				e, p := owners.resolve(ctx, ref)
				if p != nil {
					problems = append(problems, ImportProblem{Line: row.Line, Field: "owner", Message: p.Message})
				}
				c.OwnerID, c.TeamID = e.id, e.team
			}
			return c, problems
		},
		identifiers: func(c *domain.Customer) []identifier {
			if c == nil {
				return nil
			}
			var out []identifier
			for _, f := range domain.LookupFields {
				if v := c.Identifier(f); v != "" {
					out = append(out, identifier{f, v})
				}
			}
			return out
		},
		stamp: func(c *domain.Customer, t time.Time) {
			c.ID = domain.NewIDAt(domain.KindCustomer, t)
			c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
		},
		write: j.s.imports.InsertCustomers,
	}
}

func clearCustomerField(in *domain.CustomerInput, field string) bool {
	switch field {
	case "name":
		in.Name = "x" // a stand-in, so the other fields are checked
	case "kind":
		in.Kind = domain.CustomerPerson
		if in.TaxID != "" {
			in.Kind = domain.CustomerCompany
		}
	case "phone":
		in.Phone = ""
	case "email":
		in.Email = ""
	case "address":
		in.Address = nil
	case "address.province", "address.city", "address.district", "address.street":
		if in.Address == nil {
			return false
		}
		switch field {
		case "address.province":
			in.Address.Province = ""
		case "address.city":
			in.Address.City = ""
		case "address.district":
			in.Address.District = ""
		default:
			in.Address.Street = ""
		}
	case "id_type":
		in.IDType = ""
	case "id_number":
		in.IDNumber = ""
	case "tax_id":
		in.TaxID = ""
	case "bank_account":
		in.BankAccount = ""
	case "company":
		in.Company = ""
	case "industry":
		in.Industry = ""
	case "tags":
		in.Tags = nil
	case "owner_id":
		in.OwnerID = ""
	case "status":
		in.Status = ""
	default:
		return false
	}
	return true
}

func contactKind(j *importJob, refs *refCache) importKind[*domain.Contact] {
	return importKind[*domain.Contact]{
		build: func(ctx context.Context, row *ImportRow) (*domain.Contact, []ImportProblem) {
			problems, skip := rowProblems(row)
			if unreadable(row) {
				return nil, problems
			}
			parent, refProblems := refs.resolve(ctx, row, true)
			problems = append(problems, refProblems...)
			in := row.Contact
			ct, changed, fps := allProblems(&in, func(in *domain.ContactInput) (*domain.Contact, []string, error) {
				return domain.NewContact(in)
			}, clearContactField)
			problems = addField(problems, row.Line, fps, sameColumn, skip)
			if ct == nil {
				return nil, problems
			}
			problems = append(problems, writeProblems(j.a, row.Line, changed, policy.ContactFieldClass, sameColumn)...)
			ct.CustomerID, ct.Parent = parent.id, parent.ref
			return ct, problems
		},
		stamp: func(c *domain.Contact, t time.Time) {
			c.ID = domain.NewIDAt(domain.KindContact, t)
			c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
		},
		write: j.s.activityImports.InsertContacts,
	}
}

func clearContactField(in *domain.ContactInput, field string) bool {
	switch field {
	case "name":
		in.Name = "x"
	case "phone":
		in.Phone = ""
	case "email":
		in.Email = ""
	case "title":
		in.Title = ""
	default:
		return false
	}
	return true
}

// standInCustomer is the customer id a deal whose customer could not be
// found is checked with, so its other fields are still checked.
var standInCustomer = domain.NewIDAt(domain.KindCustomer, time.Unix(0, 0))

func dealKind(j *importJob, refs *refCache, owners *ownerCache) importKind[*domain.Deal] {
	return importKind[*domain.Deal]{
		build: func(ctx context.Context, row *ImportRow) (*domain.Deal, []ImportProblem) {
			problems, skip := rowProblems(row)
			if unreadable(row) {
				return nil, problems
			}
			parent, refProblems := refs.resolve(ctx, row, false)
			problems = append(problems, refProblems...)
			in := row.Deal
			in.CustomerID = cmp.Or(parent.id, standInCustomer)
			d, changed, fps := allProblems(&in, domain.NewDeal, clearDealField)
			problems = addField(problems, row.Line, fps, sameColumn, skip)
			if d == nil {
				return nil, problems
			}
			problems = append(problems, writeProblems(j.a, row.Line, changed, policy.DealFieldClass, sameColumn)...)
			d.Parent = parent.ref
			if ref := cmp.Or(row.Owner, j.o.Owner); ref != "" {
				e, p := owners.resolve(ctx, ref)
				if p != nil {
					problems = append(problems, ImportProblem{Line: row.Line, Field: "owner", Message: p.Message})
				}
				d.OwnerID = e.id
			} else {
				d.OwnerID = parent.ref.OwnerID // the system's import: the customer's owner
			}
			return d, problems
		},
		stamp: func(d *domain.Deal, t time.Time) {
			d.ID = domain.NewIDAt(domain.KindDeal, t)
			d.CreatedAt, d.UpdatedAt, d.Version = t, t, 1
		},
		write: j.s.activityImports.InsertDeals,
	}
}

func clearDealField(in *domain.DealInput, field string) bool {
	switch field {
	case "title":
		in.Title = "x"
	case "amount":
		in.Amount = nil
	case "currency":
		in.Currency = ""
	case "stage":
		in.Stage = ""
	case "expected_close":
		in.ExpectedClose = ""
	case "owner_id":
		in.OwnerID = ""
	case "customer_id":
		in.CustomerID = standInCustomer
	default:
		return false
	}
	return true
}

// ownerCache resolves owner cells once per distinct value.
type ownerEntry struct {
	id, team domain.ID
	problem  *ImportProblem
}

type ownerCache struct {
	s     *Service
	a     *domain.Actor
	mu    sync.RWMutex
	byRef map[string]ownerEntry
}

// resolve finds the user an owner cell names (user id or email) and
// checks the actor may give records to them: roles limited to their own
// records may name only themselves, team-scoped roles only their team.
func (oc *ownerCache) resolve(ctx context.Context, ref string) (ownerEntry, *ImportProblem) {
	oc.mu.RLock()
	e, ok := oc.byRef[ref]
	oc.mu.RUnlock()
	if ok {
		return e, e.problem
	}
	var u *domain.User
	var err error
	if domain.ValidID(domain.KindUser, ref) {
		u, err = oc.s.directory.GetUser(ctx, domain.ID(ref))
	} else if email, nerr := domain.NormalizeEmail("owner", ref); nerr == nil {
		u, err = oc.s.directory.GetUserByEmail(ctx, email)
	} else {
		err = domain.ErrNotFound
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		e.problem = &ImportProblem{Field: "owner", Message: "no such user"}
	case err != nil:
		return e, &ImportProblem{Field: "owner", Message: "could not look the owner up"}
	case u.Status != domain.UserActive:
		e.problem = &ImportProblem{Field: "owner", Message: "the owner's account is disabled"}
	default:
		e.id, e.team = u.ID, u.TeamID
		switch {
		case oc.a.System:
		case oc.a.Role.Scope == domain.ScopeOwn && u.ID != oc.a.UserID:
			e.problem = &ImportProblem{Field: "owner", Message: "you may only import records you own"}
		case oc.a.Role.Scope == domain.ScopeTeam && u.TeamID != oc.a.TeamID:
			e.problem = &ImportProblem{Field: "owner", Message: "the owner is not in your team"}
		}
	}
	oc.mu.Lock()
	oc.byRef[ref] = e
	oc.mu.Unlock()
	return e, e.problem
}
