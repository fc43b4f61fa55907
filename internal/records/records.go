package records

import (
	"context"
	"errors"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Contacts, deals, visits, notes and tasks belong to a customer: the
// customer's record scope decides who reaches them, and their sealed
// fields die with the customer's data key. Reading, changing, deleting
// and listing them follow one pattern, written once here over records[T].

// errErased refuses changes to records of an erased customer.
var errErased = domain.Conflict("", "the customer has been erased")

// records is what the shared pattern needs to know about one kind of
// record.
type records[T any] struct {
	s    *Service
	kind string // "contact", "deal", …: audit target type and action prefix
	// sealed is set for records with sealed fields: an erased customer's
	// are not changed any more.
	sealed bool
	// owns is the class of the personal data a record holds: deleting
	// the record destroys that data, so it needs write access to it
	// (e.g. finance, which sees contacts masked, may not delete them).
	owns   domain.FieldClass
	get    func(context.Context, domain.ID) (T, error)
	parent func(T) domain.ParentRef
	id     func(T) domain.ID
	clone  func(T) T
	shape  func(*policy.View, T) // in place
	// touch sets UpdatedAt and moves Version on by one.
	touch   func(T, time.Time)
	version func(T) int64
	classOf func(string) domain.FieldClass
	// save writes x over the stored record, guarded by its version before
	// the change.
	save func(ctx context.Context, x, before T, evs ...*domain.AuditEvent) error
	del  func(context.Context, domain.ID, ...*domain.AuditEvent) error
}

// stamp returns the service clock in UTC at the precision the store keeps.
func (s *Service) stamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// load loads a record and checks the actor reaches its customer. Out of
// scope answers not found for the record (existence is not disclosed) and
// is audited as denied.
func (r records[T]) load(ctx context.Context, a *domain.Actor, id domain.ID, action string) (T, error) {
	var zero T
	x, err := r.get(ctx, id)
	if err != nil {
		return zero, err
	}
	p := r.parent(x)
	if !policy.InScope(a, p.OwnerID, p.TeamID, false) {
		r.s.recordDenied(ctx, action, r.kind, id, "out of scope")
		return zero, domain.NotFound(r.kind)
	}
	return x, nil
}

// read is the whole of reading one record: function fn, scope, the
// actor's view, and the fail-closed audit of unmasked personal fields.
func (r records[T]) read(ctx context.Context, fn domain.Function, id domain.ID) (T, error) {
	var zero T
	a, err := policy.Require(ctx, fn)
	if err != nil {
		return zero, err
	}
	x, err := r.load(ctx, a, id, r.kind+".read")
	if err != nil {
		return zero, err
	}
	v := policy.NewView(a)
	r.shape(v, x)
	if err := r.s.recordRead(ctx, r.kind+".read", r.kind, id, nil, v.Revealed); err != nil {
		return zero, err
	}
	return x, nil
}

// update is the whole of changing one record: function fn, scope, the
// caller's precondition on its version, no change to an erased customer's
// sealed record, the change itself (which validates, applies and returns
// the names of the fields it changed), write access to their classes, and
// one transaction storing the record with the change event and the read
// event of what is returned. It returns the actor's view of the result.
//
// The write is guarded by the version the change was based on. When
// another change got in between, the whole of it runs again on the fresh
// record (see retryStale): a caller who sent no precondition gets its
// change applied to the latest version, one who did gets
// precondition_failed.
func (r records[T]) update(ctx context.Context, fn domain.Function, id domain.ID, action string, pre domain.Precondition,
	change func(a *domain.Actor, x T, now time.Time) ([]string, error)) (T, error) {
	return retryStale(func() (T, error) { return r.updateOnce(ctx, fn, id, action, pre, change) })
}

func (r records[T]) updateOnce(ctx context.Context, fn domain.Function, id domain.ID, action string, pre domain.Precondition,
	change func(a *domain.Actor, x T, now time.Time) ([]string, error)) (T, error) {
	var zero T
	a, err := policy.Require(ctx, fn)
	if err != nil {
		return zero, err
	}
	x, err := r.load(ctx, a, id, action)
	if err != nil {
		return zero, err
	}
	if err := pre.Check(r.kind, r.version(x)); err != nil {
		return zero, err
	}
	if r.sealed && r.parent(x).Erased {
		return zero, errErased
	}
	before := r.clone(x)
	now := r.s.stamp()
	changed, err := change(a, x, now)
	if err != nil {
		return zero, err
	}
	if err := policy.CheckWrite(a, changed, r.classOf); err != nil {
		return zero, err
	}
	if len(changed) > 0 {
		r.touch(x, now)
	}
	view := r.clone(x)
	v := policy.NewView(a)
	r.shape(v, view)
	if len(changed) == 0 {
		err = r.s.recordRead(ctx, r.kind+".read", r.kind, id, nil, v.Revealed)
	} else {
		err = r.save(ctx, x, before, r.changeEvents(ctx, now, action, id, changed, v.Revealed)...)
	}
	if err != nil {
		return zero, err
	}
	return view, nil
}

// staleAttempts bounds how often a change is tried again after losing a
// race to another change of the same record: with n changes racing, each
// round lets at least one through, so n rounds see them all through.
const staleAttempts = 10

// retryStale runs one attempt of a change, and runs it again (reading the
// record afresh) while it fails because the record changed between its
// read and its write.
func retryStale[T any](attempt func() (T, error)) (T, error) {
	for i := 1; ; i++ {
		x, err := attempt()
		if i < staleAttempts && errors.Is(err, domain.ErrStaleVersion) {
			continue
		}
		return x, err
	}
}

// changeEvents returns the audit events of a change: the change (with the
// fields changed) and, when the response shows personal fields unmasked,
// their read.
func (r records[T]) changeEvents(ctx context.Context, now time.Time, action string, id domain.ID, changed, revealed []string) []*domain.AuditEvent {
	ev := domain.NewAuditEvent(ctx, now, action, r.kind, string(id))
	ev.Fields = changed
	evs := []*domain.AuditEvent{ev}
	if len(revealed) > 0 {
		read := domain.NewAuditEvent(ctx, now, r.kind+".read", r.kind, string(id))
		read.Fields = revealed
		evs = append(evs, read)
	}
	return evs
}

// remove is the whole of deleting one record: function fn, scope, and the
// delete with its audit event in one transaction.
func (r records[T]) remove(ctx context.Context, fn domain.Function, id domain.ID) error {
	a, err := policy.Require(ctx, fn)
	if err != nil {
		return err
	}
	if _, err := r.load(ctx, a, id, r.kind+".delete"); err != nil {
		return err
	}
	if r.owns != "" && policy.FieldAccess(a, r.owns) < domain.AccessWrite {
		return domain.Forbidden("deleting a %s destroys its %s data, which your role may not change", r.kind, r.owns)
	}
	return r.del(ctx, id, domain.NewAuditEvent(ctx, r.s.now(), r.kind+".delete", r.kind, string(id)))
}

// list is the whole of listing: function fn, the actor's record scope
// handed to query, every record shaped for the actor, and the unmasked
// personal fields shown audited before the page is returned.
func (r records[T]) list(ctx context.Context, fn domain.Function, query func(domain.RecordScope) (domain.Page[T], error)) (domain.Page[T], error) {
	var page domain.Page[T]
	a, err := policy.Require(ctx, fn)
	if err != nil {
		return page, err
	}
	if page, err = query(policy.RecordScope(a)); err != nil {
		return page, err
	}
	var ids, fields []string
	for _, x := range page.Items {
		v := policy.NewView(a)
		r.shape(v, x)
		if len(v.Revealed) > 0 {
			ids = append(ids, string(r.id(x)))
			fields = mergeFields(fields, v.Revealed)
		}
	}
	if err := r.s.recordRead(ctx, r.kind+".list", r.kind, "", ids, fields); err != nil {
		return domain.Page[T]{}, err
	}
	return page, nil
}

// created finishes a create: the create event with the fields set, the
// store write, and the actor's view of the new record.
func (r records[T]) created(ctx context.Context, a *domain.Actor, x T, now time.Time, changed []string,
	create func(context.Context, T, ...*domain.AuditEvent) error) (T, error) {
	ev := domain.NewAuditEvent(ctx, now, r.kind+".create", r.kind, string(r.id(x)))
	ev.Fields = changed
	if err := create(ctx, x, ev); err != nil {
		var zero T
		return zero, err
	}
	r.shape(policy.NewView(a), x)
	return x, nil
}

// parentFor loads the customer a new record will belong to, named by the
// customer_id input. An absent or out-of-scope customer is invalid input
// (the two look the same); an erased one is a conflict.
func (s *Service) parentFor(ctx context.Context, a *domain.Actor, id domain.ID, action string) (*domain.Customer, error) {
	c, err := s.customerInScope(ctx, a, id, action, openNone)
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

// assignee returns who a new record is for: the user named in the input,
// else the caller, else (for the system) the customer's owner; and checks
// the actor may give it to them (see checkAssignee).
func (s *Service) assignee(ctx context.Context, a *domain.Actor, field string, named domain.ID, c *domain.Customer) (domain.ID, error) {
	id := named
	switch {
	case id != "":
	case a.System:
		id = c.OwnerID
	default:
		id = a.UserID
	}
	if id == "" {
		return "", nil
	}
	if _, err := s.checkAssignee(ctx, a, field, id); err != nil {
		return "", err
	}
	return id, nil
}

// reassigned checks a changed assignee field (owner_id, rep_id,
// assignee_id) after a patch.
func (s *Service) reassigned(ctx context.Context, a *domain.Actor, changed []string, field string, id domain.ID) error {
	if !contains(changed, field) {
		return nil
	}
	_, err := s.checkAssignee(ctx, a, field, id)
	return err
}

// checkAssignee checks that the actor may give a record to user id (field
// names the input): roles limited to their own records may name only
// themselves, team-scoped roles only members of their team; the user must
// exist and be active.
func (s *Service) checkAssignee(ctx context.Context, a *domain.Actor, field string, id domain.ID) (*domain.User, error) {
	if id != a.UserID && !a.System && a.Role.Scope == domain.ScopeOwn {
		return nil, domain.ForbiddenField(field)
	}
	u, err := s.directory.GetUser(ctx, id)
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
