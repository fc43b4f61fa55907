package crm

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Contacts, deals, visits, notes and tasks belong to a customer: the
// customer's record scope decides who reaches them, and their sealed
// fields die with the customer's data key. The helpers here hold what
// their services share.

// errErased refuses changes to records of an erased customer.
var errErased = domain.Conflict("", "the customer has been erased")

// stamp returns the service clock in UTC at the precision the store keeps.
func (s *Service) stamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// parentInScope checks that the actor reaches the customer a record
// belongs to. Out of scope answers not found for the record (existence is
// not disclosed) and is audited as denied.
func (s *Service) parentInScope(ctx context.Context, a *domain.Actor, p domain.ParentRef, action, kind string, id domain.ID) error {
	if !policy.InScope(a, p.OwnerID, p.TeamID, false) {
		s.recordDenied(ctx, action, kind, id, "out of scope")
		return domain.NotFound(kind)
	}
	return nil
}

// parentFor loads the customer a new record will belong to, named by the
// customer_id input. An absent or out-of-scope customer is invalid input
// (the two look the same); an erased one is a conflict.
func (s *Service) parentFor(ctx context.Context, a *domain.Actor, id domain.ID, action string) (*domain.Customer, error) {
	c, err := s.customerInScope(ctx, a, id, action)
	if isNotFound(err) {
		return nil, domain.Invalid("customer_id", "no such customer")
	}
	if err != nil {
		return nil, err
	}
	if c.Erased {
		return nil, domain.Conflict("customer_id", "the customer has been erased")
	}
	return c, nil
}

func refOf(c *domain.Customer) domain.ParentRef {
	return domain.ParentRef{OwnerID: c.OwnerID, TeamID: c.TeamID, Kind: c.Kind, Erased: c.Erased}
}

// defaultAssignee returns who a new record is for when the input names no
// one: the caller, or for the system the customer's owner.
func defaultAssignee(a *domain.Actor, c *domain.Customer) domain.ID {
	if a.System {
		return c.OwnerID
	}
	return a.UserID
}

// checkAssignee checks that the actor may give a record to user id (field
// names the input): roles limited to their own records may name only
// themselves, team-scoped roles only members of their team; the user must
// exist and be active.
func (s *Service) checkAssignee(ctx context.Context, a *domain.Actor, field string, id domain.ID) (*domain.User, error) {
	if id != a.UserID && !a.System && a.Role.Scope == domain.ScopeOwn {
		return nil, domain.ForbiddenField(field)
	}
	u, err := s.store.GetUser(ctx, id)
	if isNotFound(err) {
		return nil, domain.Invalid(field, "no such user")
	}
	if err != nil {
		return nil, err
	}
	if u.Status != domain.UserActive {
		return nil, domain.Invalid(field, "the user's account is disabled")
	}
	if !a.System && a.Role.Scope == domain.ScopeTeam && u.TeamID != a.TeamID {
		return nil, domain.ForbiddenField(field)
	}
	return u, nil
}

// getChild loads a record with get and checks the actor reaches its
// customer (not found otherwise, audited as denied).
func getChild[T any](ctx context.Context, s *Service, a *domain.Actor, id domain.ID, kind, action string,
	get func(context.Context, domain.ID) (T, error), parent func(T) domain.ParentRef) (T, error) {
	x, err := get(ctx, id)
	if err != nil {
		return x, err
	}
	if err := s.parentInScope(ctx, a, parent(x), action, kind, id); err != nil {
		var zero T
		return zero, err
	}
	return x, nil
}

// readChild is the whole of reading one record: function fn, scope, the
// actor's view, and the fail-closed audit of unmasked personal fields.
func readChild[T any](ctx context.Context, s *Service, fn domain.Function, id domain.ID, kind string,
	get func(context.Context, domain.ID) (T, error), parent func(T) domain.ParentRef, shape func(*policy.View, T)) (T, error) {
	var zero T
	a, err := policy.Require(ctx, fn)
	if err != nil {
		return zero, err
	}
	x, err := getChild(ctx, s, a, id, kind, kind+".read", get, parent)
	if err != nil {
		return zero, err
	}
	v := policy.NewView(a)
	shape(v, x)
	if err := s.recordRead(ctx, kind+".read", kind, id, nil, v.Revealed); err != nil {
		return zero, err
	}
	return x, nil
}

// deleteChild is the whole of deleting one record: function fn, scope,
// and the delete with its audit event in one transaction.
func deleteChild[T any](ctx context.Context, s *Service, fn domain.Function, id domain.ID, kind string,
	get func(context.Context, domain.ID) (T, error), parent func(T) domain.ParentRef,
	del func(context.Context, domain.ID, ...*domain.AuditEvent) error) error {
	a, err := policy.Require(ctx, fn)
	if err != nil {
		return err
	}
	if _, err := getChild(ctx, s, a, id, kind, kind+".delete", get, parent); err != nil {
		return err
	}
	return del(ctx, id, domain.NewAuditEvent(ctx, s.now(), kind+".delete", kind, string(id)))
}

// auditPage shapes every record of a list page for the actor and audits
// the unmasked personal fields shown (fail-closed).
func auditPage[T any](ctx context.Context, s *Service, a *domain.Actor, kind string, items []T, shape func(*policy.View, T) domain.ID) error {
	var ids, fields []string
	for _, x := range items {
		v := policy.NewView(a)
		id := shape(v, x)
		if len(v.Revealed) > 0 {
			ids = append(ids, string(id))
			fields = mergeFields(fields, v.Revealed)
		}
	}
	return s.recordRead(ctx, kind+".list", kind, "", ids, fields)
}

// changeEvents returns the audit events of a change to a record: the
// change (action, with the fields changed) and, when the response shows
// personal fields unmasked, their read.
func changeEvents(ctx context.Context, now time.Time, action, kind string, id domain.ID, changed, revealed []string) []*domain.AuditEvent {
	ev := domain.NewAuditEvent(ctx, now, action, kind, string(id))
	ev.Fields = changed
	evs := []*domain.AuditEvent{ev}
	if len(revealed) > 0 {
		read := domain.NewAuditEvent(ctx, now, kind+".read", kind, string(id))
		read.Fields = revealed
		evs = append(evs, read)
	}
	return evs
}

// saveChange finishes an update: with nothing changed it only audits the
// read of what is returned; otherwise save stores the record with the
// change and read events in one transaction.
func (s *Service) saveChange(ctx context.Context, now time.Time, action, kind string, id domain.ID, changed, revealed []string,
	save func(evs ...*domain.AuditEvent) error) error {
	if len(changed) == 0 {
		return s.recordRead(ctx, kind+".read", kind, id, nil, revealed)
	}
	return save(changeEvents(ctx, now, action, kind, id, changed, revealed)...)
}
