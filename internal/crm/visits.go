package crm

import (
	"time"

	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func visitParent(v *domain.Visit) domain.ParentRef           { return v.Parent }
func shapeVisit(w *policy.View, v *domain.Visit)             { w.Visit(v) }
func shapeVisitID(w *policy.View, v *domain.Visit) domain.ID { w.Visit(v); return v.ID }

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
	if v.RepID == "" {
		if v.RepID = defaultAssignee(a, c); v.RepID == "" {
			return nil, domain.Invalid("rep_id", "rep_id is required")
		}
	}
	if _, err := s.checkAssignee(ctx, a, "rep_id", v.RepID); err != nil {
		return nil, err
	}
	now := s.stamp()
	v.ID = domain.NewIDAt(domain.KindVisit, now)
	v.CreatedAt, v.UpdatedAt, v.Parent = now, now, refOf(c)
	ev := domain.NewAuditEvent(ctx, now, "visit.create", "visit", string(v.ID))
	ev.Fields = changed
	if err := s.store.CreateVisit(ctx, v, ev); err != nil {
		return nil, err
	}
	policy.NewView(a).Visit(v)
	return v, nil
}

// GetVisit returns one visit as the caller may see it.
//
// Authorization: visits.read and the customer in scope (else not found).
// Unmasked notes and locations are audited first (fail-closed).
func (s *Service) GetVisit(ctx context.Context, id domain.ID) (*domain.Visit, error) {
	return readChild(ctx, s, domain.FnVisitsRead, id, "visit", s.store.GetVisit, visitParent, shapeVisit)
}

// UpdateVisit applies a partial update: rep and time while the visit is
// planned, cancelling or reinstating it, notes.
//
// Authorization: visits.write, the customer in scope, write access to
// notes to change notes, and CreateVisit's rule for a new rep. Errors:
// invalid, forbidden, not found, conflict (the visit has begun, was
// changed meanwhile, or the customer is erased).
func (s *Service) UpdateVisit(ctx context.Context, id domain.ID, p *domain.VisitPatch) (*domain.Visit, error) {
	a, err := policy.Require(ctx, domain.FnVisitsWrite)
	if err != nil {
		return nil, err
	}
	v, err := s.visitToChange(ctx, a, id, "visit.update")
	if err != nil {
		return nil, err
	}
	prev, prevStatus := v.UpdatedAt, v.Status
	changed, err := p.Apply(v)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.VisitFieldClass); err != nil {
		return nil, err
	}
	if contains(changed, "rep_id") {
		if _, err := s.checkAssignee(ctx, a, "rep_id", v.RepID); err != nil {
			return nil, err
		}
	}
	return s.saveVisit(ctx, a, v, prev, prevStatus, s.stamp(), "visit.update", changed)
}

// CheckIn records the rep's arrival on site at the device's location.
//
// Authorization: visits.write, the customer in scope, the caller is the
// visit's rep (or their role reaches beyond their own records), and write
// access to locations. Errors: invalid (lat, lng, accuracy), forbidden,
// not found, conflict (the visit is not planned).
func (s *Service) CheckIn(ctx context.Context, id domain.ID, in *domain.LocationInput) (*domain.Visit, error) {
	a, err := policy.Require(ctx, domain.FnVisitsWrite)
	if err != nil {
		return nil, err
	}
	v, err := s.visitToChange(ctx, a, id, "visit.check_in")
	if err != nil {
		return nil, err
	}
	if err := s.checkOnSite(ctx, a, v, "visit.check_in"); err != nil {
		return nil, err
	}
	prev, prevStatus := v.UpdatedAt, v.Status
	now := s.stamp()
	changed, err := v.CheckIn(in, now)
	if err != nil {
		return nil, err
	}
	return s.saveVisit(ctx, a, v, prev, prevStatus, now, "visit.check_in", changed)
}

// CheckOut records the rep's departure at the device's location, with
// optional outcome notes.
//
// Authorization: as CheckIn, and write access to notes to give notes.
// Errors: invalid, forbidden, not found, conflict (the visit is not
// checked in).
func (s *Service) CheckOut(ctx context.Context, id domain.ID, in *domain.CheckOutInput) (*domain.Visit, error) {
	a, err := policy.Require(ctx, domain.FnVisitsWrite)
	if err != nil {
		return nil, err
	}
	v, err := s.visitToChange(ctx, a, id, "visit.check_out")
	if err != nil {
		return nil, err
	}
	if err := s.checkOnSite(ctx, a, v, "visit.check_out"); err != nil {
		return nil, err
	}
	if in.Notes != nil {
		if err := policy.CheckWrite(a, []string{"notes"}, policy.VisitFieldClass); err != nil {
			return nil, err
		}
	}
	prev, prevStatus := v.UpdatedAt, v.Status
	now := s.stamp()
	changed, err := v.CheckOut(in, now)
	if err != nil {
		return nil, err
	}
	return s.saveVisit(ctx, a, v, prev, prevStatus, now, "visit.check_out", changed)
}

// DeleteVisit deletes a visit.
//
// Authorization: visits.write and the customer in scope.
func (s *Service) DeleteVisit(ctx context.Context, id domain.ID) error {
	return deleteChild(ctx, s, domain.FnVisitsWrite, id, "visit", s.store.GetVisit, visitParent, s.store.DeleteVisit)
}

// ListVisits returns a page of visits to customers in the caller's scope
// matching f.
//
// Authorization: visits.read; visits to customers out of scope are never
// listed. Unmasked notes and locations on the page are audited first.
func (s *Service) ListVisits(ctx context.Context, f domain.VisitFilter) (domain.Page[*domain.Visit], error) {
	var page domain.Page[*domain.Visit]
	a, err := policy.Require(ctx, domain.FnVisitsRead)
	if err != nil {
		return page, err
	}
	f.Scope = policy.RecordScope(a)
	if page, err = s.store.ListVisits(ctx, f); err != nil {
		return page, err
	}
	if err := auditPage(ctx, s, a, "visit", page.Items, shapeVisitID); err != nil {
		return domain.Page[*domain.Visit]{}, err
	}
	return page, nil
}

// visitToChange loads a visit the actor is about to change: in scope and
// not of an erased customer.
func (s *Service) visitToChange(ctx context.Context, a *domain.Actor, id domain.ID, action string) (*domain.Visit, error) {
	v, err := getChild(ctx, s, a, id, "visit", action, s.store.GetVisit, visitParent)
	if err != nil {
		return nil, err
	}
	if v.Parent.Erased {
		return nil, errErased
	}
	return v, nil
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

// saveVisit stores a changed visit guarded by its previous state and
// returns the caller's view of it.
func (s *Service) saveVisit(ctx context.Context, a *domain.Actor, v *domain.Visit, prev time.Time, prevStatus domain.VisitStatus,
	now time.Time, action string, changed []string) (*domain.Visit, error) {
	if len(changed) > 0 {
		v.UpdatedAt = now
	}
	view := *v
	w := policy.NewView(a)
	w.Visit(&view)
	err := s.saveChange(ctx, now, action, "visit", v.ID, changed, w.Revealed, func(evs ...*domain.AuditEvent) error {
		return s.store.UpdateVisit(ctx, v, prev, prevStatus, evs...)
	})
	if err != nil {
		return nil, err
	}
	return &view, nil
}
