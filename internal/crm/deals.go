package crm

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func dealParent(d *domain.Deal) domain.ParentRef           { return d.Parent }
func shapeDeal(v *policy.View, d *domain.Deal)             { v.Deal(d) }
func shapeDealID(v *policy.View, d *domain.Deal) domain.ID { v.Deal(d); return d.ID }

// CreateDeal creates a deal with a customer.
//
// Authorization: deals.write, the customer in scope (an unknown or
// unreachable customer is invalid customer_id), and write access to
// amounts to set amount or currency. The owner defaults to the caller;
// roles limited to their own records may name only themselves. Errors:
// invalid (field named), forbidden, conflict (erased customer).
func (s *Service) CreateDeal(ctx context.Context, in *domain.DealInput) (*domain.Deal, error) {
	a, err := policy.Require(ctx, domain.FnDealsWrite)
	if err != nil {
		return nil, err
	}
	d, changed, err := domain.NewDeal(in)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.DealFieldClass); err != nil {
		return nil, err
	}
	c, err := s.parentFor(ctx, a, d.CustomerID, "deal.create")
	if err != nil {
		return nil, err
	}
	if d.OwnerID == "" {
		d.OwnerID = defaultAssignee(a, c)
	}
	if d.OwnerID != "" {
		if _, err := s.checkAssignee(ctx, a, "owner_id", d.OwnerID); err != nil {
			return nil, err
		}
	}
	now := s.stamp()
	d.ID = domain.NewIDAt(domain.KindDeal, now)
	d.CreatedAt, d.UpdatedAt, d.Parent = now, now, refOf(c)
	ev := domain.NewAuditEvent(ctx, now, "deal.create", "deal", string(d.ID))
	ev.Fields = changed
	if err := s.store.CreateDeal(ctx, d, ev); err != nil {
		return nil, err
	}
	policy.NewView(a).Deal(d)
	return d, nil
}

// GetDeal returns one deal as the caller may see it.
//
// Authorization: deals.read and the customer in scope (else not found).
func (s *Service) GetDeal(ctx context.Context, id domain.ID) (*domain.Deal, error) {
	return readChild(ctx, s, domain.FnDealsRead, id, "deal", s.store.GetDeal, dealParent, shapeDeal)
}

// UpdateDeal applies a partial update.
//
// Authorization: deals.write, the customer in scope, write access to
// amounts to change amount or currency, and CreateDeal's rule for a new
// owner. Errors: invalid, forbidden, not found, conflict.
func (s *Service) UpdateDeal(ctx context.Context, id domain.ID, p *domain.DealPatch) (*domain.Deal, error) {
	a, err := policy.Require(ctx, domain.FnDealsWrite)
	if err != nil {
		return nil, err
	}
	d, err := getChild(ctx, s, a, id, "deal", "deal.update", s.store.GetDeal, dealParent)
	if err != nil {
		return nil, err
	}
	prev := d.UpdatedAt
	changed, err := p.Apply(d)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckWrite(a, changed, policy.DealFieldClass); err != nil {
		return nil, err
	}
	if contains(changed, "owner_id") {
		if _, err := s.checkAssignee(ctx, a, "owner_id", d.OwnerID); err != nil {
			return nil, err
		}
	}
	now := s.stamp()
	if len(changed) > 0 {
		d.UpdatedAt = now
	}
	view := *d
	policy.NewView(a).Deal(&view)
	err = s.saveChange(ctx, now, "deal.update", "deal", id, changed, nil, func(evs ...*domain.AuditEvent) error {
		return s.store.UpdateDeal(ctx, d, prev, evs...)
	})
	if err != nil {
		return nil, err
	}
	return &view, nil
}

// DeleteDeal deletes a deal.
//
// Authorization: deals.write and the customer in scope.
func (s *Service) DeleteDeal(ctx context.Context, id domain.ID) error {
	return deleteChild(ctx, s, domain.FnDealsWrite, id, "deal", s.store.GetDeal, dealParent, s.store.DeleteDeal)
}

// ListDeals returns a page of deals of customers in the caller's scope
// matching f.
//
// Authorization: deals.read; deals of customers out of scope are never
// listed.
func (s *Service) ListDeals(ctx context.Context, f domain.DealFilter) (domain.Page[*domain.Deal], error) {
	var page domain.Page[*domain.Deal]
	a, err := policy.Require(ctx, domain.FnDealsRead)
	if err != nil {
		return page, err
	}
	f.Scope = policy.RecordScope(a)
	if page, err = s.store.ListDeals(ctx, f); err != nil {
		return page, err
	}
	if err := auditPage(ctx, s, a, "deal", page.Items, shapeDealID); err != nil {
		return domain.Page[*domain.Deal]{}, err
	}
	return page, nil
}
