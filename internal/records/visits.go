package records

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func (s *Service) visits() records[*domain.Visit] {
	return records[*domain.Visit]{
		s: s, kind: "visit", sealed: true, classOf: policy.VisitFieldClass, shape: (*policy.View).Visit,
		get: s.activities.GetVisit, del: s.activities.DeleteVisit,
		parent:  func(v *domain.Visit) domain.ParentRef { return v.Parent },
		id:      func(v *domain.Visit) domain.ID { return v.ID },
		clone:   func(v *domain.Visit) *domain.Visit { x := *v; return &x },
		touch:   func(v *domain.Visit, t time.Time) { v.UpdatedAt = t; v.Version++ },
		version: func(v *domain.Visit) int64 { return v.Version },
		// The version guard makes two check-ins (or check-outs) of one
		// visit conflict instead of both succeeding.
		save: func(ctx context.Context, v, before *domain.Visit, evs ...*domain.AuditEvent) error {
			return s.activities.UpdateVisit(ctx, v, before.Version, evs...)
		},
	}
}

// CreateVisit plans a visit to a customer.
//
// Authorization: visits.write, the customer in scope (an unknown or
// unreachable customer is invalid customer_id), and write access to notes
// to set notes. The rep defaults to the caller; roles limited to their own
// records may name only themselves. Errors: invalid (field named),
// forbidden, conflict (erased customer).
func (s *Service) CreateVisit(ctx context.Context, in *domain.VisitInput) (*domain.Visit, error) {
	a, err := policy.Require(ctx, domain.FnVisitsWrite)
	if err != nil {
		return nil, err
	}
	v, changed, err := domain.NewVisit(in)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.VisitFieldClass); err != nil {
		return nil, err
	}
	c, err := s.parentFor(ctx, a, v.CustomerID, "visit.create")
	if err != nil {
		return nil, err
	}
	if v.RepID, err = s.assignee(ctx, a, "rep_id", v.RepID, c); err != nil {
		return nil, err
	}
	if v.RepID == "" {
		return nil, domain.Invalid("rep_id", "rep_id is required")
	}
	now := s.stamp()
	v.ID = domain.NewIDAt(domain.KindVisit, now)
	v.CreatedAt, v.UpdatedAt, v.Version, v.Parent = now, now, 1, refOf(c)
	return s.visits().created(ctx, a, v, now, changed, s.activities.CreateVisit)
}

// GetVisit returns one visit as the caller may see it.
//
// Authorization: visits.read and the customer in scope (else not found).
// Unmasked notes and locations are audited first (fail-closed).
func (s *Service) GetVisit(ctx context.Context, id domain.ID) (*domain.Visit, error) {
	return s.visits().read(ctx, domain.FnVisitsRead, id)
}

// UpdateVisit applies a partial update: rep and time while the visit is
// planned, cancelling or reinstating it, planning notes, and the outcome
// notes of a completed visit. With a precondition (If-Match) the visit
// must still be at a version the caller named; without one the change
// applies to the visit as it is.
//
// Authorization: visits.write, the customer in scope, write access to
// notes to change notes, and CreateVisit's rule for a new rep. Errors:
// invalid, forbidden, not found, conflict (the visit has begun or the
// customer is erased), precondition_failed.
func (s *Service) UpdateVisit(ctx context.Context, id domain.ID, p *domain.VisitPatch, pre domain.Precondition) (*domain.Visit, error) {
	return s.visits().update(ctx, domain.FnVisitsWrite, id, "visit.update", pre,
		func(a *domain.Actor, v *domain.Visit, _ time.Time) ([]string, error) {
			changed, err := p.Apply(v)
			if err != nil {
				return nil, err
			}
			return changed, s.reassigned(ctx, a, changed, "rep_id", v.RepID)
		})
}

// CheckIn records the rep's arrival on site at the device's location.
//
// Authorization: visits.write, the customer in scope, the caller is the
// visit's rep (or their role reaches beyond their own records), and write
// access to locations. Errors: invalid (lat, lng, accuracy), forbidden,
// not found, conflict (the visit is not planned), precondition_failed
// (pre names another version).
func (s *Service) CheckIn(ctx context.Context, id domain.ID, in *domain.LocationInput, pre domain.Precondition) (*domain.Visit, error) {
	return s.visits().update(ctx, domain.FnVisitsWrite, id, "visit.check_in", pre,
		func(a *domain.Actor, v *domain.Visit, now time.Time) ([]string, error) {
			if err := s.checkOnSite(ctx, a, v, "visit.check_in"); err != nil {
				return nil, err
			}
			return v.CheckIn(in, now)
		})
}

// CheckOut records the rep's departure at the device's location, with
// optional outcome notes, kept as check_out_notes beside the planning
// notes (which stay as they are).
//
// Authorization: as CheckIn, and write access to notes to give notes.
// Errors: invalid, forbidden, not found, conflict (the visit is not
// checked in), precondition_failed (pre names another version).
func (s *Service) CheckOut(ctx context.Context, id domain.ID, in *domain.CheckOutInput, pre domain.Precondition) (*domain.Visit, error) {
	return s.visits().update(ctx, domain.FnVisitsWrite, id, "visit.check_out", pre,
		func(a *domain.Actor, v *domain.Visit, now time.Time) ([]string, error) {
			if err := s.checkOnSite(ctx, a, v, "visit.check_out"); err != nil {
				return nil, err
			}
			if in.Notes != nil {
				if err := policy.CheckWrite(a, []string{"check_out_notes"}, policy.VisitFieldClass); err != nil {
					return nil, err
				}
			}
			return v.CheckOut(in, now)
		})
}

// DeleteVisit deletes a visit.
//
// Authorization: visits.write and the customer in scope.
func (s *Service) DeleteVisit(ctx context.Context, id domain.ID) error {
	return s.visits().remove(ctx, domain.FnVisitsWrite, id)
}

// ListVisits returns a page of visits to customers in the caller's scope
// matching f.
//
// Authorization: visits.read; visits to customers out of scope are never
// listed. Unmasked notes and locations on the page are audited first.
func (s *Service) ListVisits(ctx context.Context, f domain.VisitFilter) (domain.Page[*domain.Visit], error) {
	return s.visits().list(ctx, domain.FnVisitsRead, func(sc domain.RecordScope) (domain.Page[*domain.Visit], error) {
		f.Scope = sc
		return s.activities.ListVisits(ctx, f)
	})
}

// checkOnSite allows check-in and check-out to the visit's rep, and to
// roles that reach beyond their own records (a manager correcting a
// visit), provided they may write locations.
func (s *Service) checkOnSite(ctx context.Context, a *domain.Actor, v *domain.Visit, action string) error {
	if !a.System && a.Role.Scope == domain.ScopeOwn && v.RepID != a.UserID {
		s.recordDenied(ctx, action, "visit", v.ID, "not the visit's rep")
		return domain.Forbidden("only the visit's rep may check in and out")
	}
	return policy.CheckWrite(a, []string{"location"}, policy.VisitFieldClass)
}
