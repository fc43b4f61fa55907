package records

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func (s *Service) deals() records[*domain.Deal] {
	return records[*domain.Deal]{
		s: s, kind: "deal", owns: domain.ClassAmount, classOf: policy.DealFieldClass, shape: (*policy.View).Deal,
		get: s.activities.GetDeal, del: s.activities.DeleteDeal,
		parent:  func(d *domain.Deal) domain.ParentRef { return d.Parent },
		id:      func(d *domain.Deal) domain.ID { return d.ID },
		clone:   func(d *domain.Deal) *domain.Deal { x := *d; return &x },
		touch:   func(d *domain.Deal, t time.Time) { d.UpdatedAt = t; d.Version++ },
		version: func(d *domain.Deal) int64 { return d.Version },
		save: func(ctx context.Context, d, before *domain.Deal, evs ...*domain.AuditEvent) error {
			return s.activities.UpdateDeal(ctx, d, before.Version, evs...)
		},
	}
}

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
	if d.OwnerID, err = s.assignee(ctx, a, "owner_id", d.OwnerID, c); err != nil {
		return nil, err
	}
	now := s.stamp()
	d.ID = domain.NewIDAt(domain.KindDeal, now)
	d.CreatedAt, d.UpdatedAt, d.Version, d.Parent = now, now, 1, refOf(c)
	return s.deals().created(ctx, a, d, now, changed, s.activities.CreateDeal)
}

// GetDeal returns one deal as the caller may see it.
//
// Authorization: deals.read and the customer in scope (else not found).
func (s *Service) GetDeal(ctx context.Context, id domain.ID) (*domain.Deal, error) {
	return s.deals().read(ctx, domain.FnDealsRead, id)
}

// UpdateDeal applies a partial update, to the version pre names if it
// names any (If-Match).
//
// Authorization: deals.write, the customer in scope, write access to
// amounts to change amount or currency, and CreateDeal's rule for a new
// owner. Errors: invalid, forbidden, not found, precondition_failed.
func (s *Service) UpdateDeal(ctx context.Context, id domain.ID, p *domain.DealPatch, pre domain.Precondition) (*domain.Deal, error) {
	return s.deals().update(ctx, domain.FnDealsWrite, id, "deal.update", pre,
		func(a *domain.Actor, d *domain.Deal, _ time.Time) ([]string, error) {
			changed, err := p.Apply(d)
			if err != nil {
				return nil, err
			}
			return changed, s.reassigned(ctx, a, changed, "owner_id", d.OwnerID)
		})
}

// DeleteDeal deletes a deal.
//
// Authorization: deals.write and the customer in scope.
func (s *Service) DeleteDeal(ctx context.Context, id domain.ID) error {
	return s.deals().remove(ctx, domain.FnDealsWrite, id)
}

// ListDeals returns a page of deals of customers in the caller's scope
// matching f.
//
// Authorization: deals.read; deals of customers out of scope are never
// listed.
func (s *Service) ListDeals(ctx context.Context, f domain.DealFilter) (domain.Page[*domain.Deal], error) {
	return s.deals().list(ctx, domain.FnDealsRead, func(sc domain.RecordScope) (domain.Page[*domain.Deal], error) {
		f.Scope = sc
		return s.activities.ListDeals(ctx, f)
	})
}
