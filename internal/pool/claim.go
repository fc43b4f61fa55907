package pool

import (
	"context"
	"log/slog"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// ListPool returns a page of the pool customers the caller reaches
// (policy.PoolScope), newest first, every personal field at most masked:
// a pool customer is nobody's yet. Nothing unmasked is returned, so the
// list itself is not audited.
//
// Authorization: pool.claim or pool.manage.
func (s *Service) ListPool(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.Customer], error) {
	var page domain.Page[*domain.Customer]
	a, err := s.requireAny(ctx, "pool.list", domain.FnPoolClaim, domain.FnPoolManage)
	if err != nil {
		return page, err
	}
	page, err = s.pool.ListPool(ctx, domain.PoolFilter{Cursor: cursor, Limit: limit, Scope: policy.PoolScope(a), Skip: hiddenClasses(a)})
	if err != nil {
		return page, err
	}
	for _, c := range page.Items {
		if c.Unreadable != "" {
			s.reportUnreadable(ctx, "pool.list", c)
			continue
		}
		policy.NewPoolView(a).Customer(c)
	}
	return page, nil
}

// Claim gives the caller a customer from the pool.
//
// Authorization: pool.claim, and the customer in the part of the pool the
// caller reaches (policy.InPool); anything else — someone's customer, a
// customer of another team's pool — is not found, exactly like a customer
// that does not exist. Limits, from the caller's team's settings: at most
// daily_claims claims in any 24 hours (rate_limited, Retry-After when the
// oldest of them ages out) and no claim while owning max_owned customers
// (conflict). The customer is returned as its new owner sees it; its
// unmasked fields are audited with the claim, in one transaction.
// Errors: forbidden, not_found, conflict (claimed by someone else
// meanwhile, or the total limit), rate_limited, unavailable.
func (s *Service) Claim(ctx context.Context, id domain.ID) (*domain.Customer, error) {
	a, err := s.require(ctx, domain.FnPoolClaim, domain.ActionPoolClaim, id)
	if err != nil {
		return nil, err
	}
	if a.System {
		return nil, domain.Forbidden("only people claim customers")
	}
	c, err := s.poolCustomer(ctx, a, id, domain.ActionPoolClaim, hiddenClasses(a))
	if err != nil {
		return nil, err
	}
	limits, err := s.pool.PoolSettings(ctx, a.TeamID)
	if err != nil {
		return nil, err
	}
	if limits.DailyClaims == 0 {
		s.recordDenied(ctx, domain.ActionPoolClaim, id, "the team's pool allows no claims")
		return nil, domain.Forbidden("your team's pool rules let managers assign customers, not reps claim them")
	}
	now := s.now().UTC()
	view := *c
	view.Tags = append([]string(nil), c.Tags...)
	view.OwnerID, view.TeamID = a.UserID, a.TeamID
	v := policy.NewView(a)
	v.Customer(&view)
	ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolClaim, "customer", string(id))
	ev.Reason = "to " + string(a.UserID)
	var readEv *domain.AuditEvent
	if len(v.Revealed) > 0 {
		readEv = domain.NewAuditEvent(ctx, now, domain.ActionCustomerRead, "customer", string(id))
		readEv.Fields = v.Revealed
	}
	m := &domain.PoolMove{ID: domain.NewIDAt(domain.KindPoolMove, now), Kind: domain.MoveClaim, CustomerID: id,
		ActorID: a.UserID, ToOwner: a.UserID, ToTeam: a.TeamID, At: now,
		DailyClaims: limits.DailyClaims, MaxOwned: limits.MaxOwned}
	if err := s.pool.MovePool(ctx, m, nil, ev, readEv); err != nil {
		if code := domain.ErrorCode(err); code == domain.CodeRateLimited || code == domain.CodeConflict {
			s.recordDenied(ctx, domain.ActionPoolClaim, id, domain.AsError(err).Message)
		}
		return nil, err
	}
	view.UpdatedAt, view.Version = now, c.Version+1
	return &view, nil
}

// poolCustomer loads a customer the caller may take from the pool: in
// the pool (no owner, not erased) and in the part of it the caller
// reaches. Anything else is not found (audited as denied): the caller
// learns nothing of customers that are not theirs to claim.
func (s *Service) poolCustomer(ctx context.Context, a *domain.Actor, id domain.ID, action string, skip map[domain.FieldClass]bool) (*domain.Customer, error) {
	c, err := s.customers.GetCustomer(ctx, id, skip)
	if err != nil {
		return nil, err
	}
	covered, err := s.covered(ctx, a, c.Address.Province, c.Address.City)
	if err != nil {
		return nil, err
	}
	if c.OwnerID != "" || c.Erased || !policy.InPool(a, c.TeamID, covered) {
		s.recordDenied(ctx, action, id, "not in the caller's pool")
		return nil, domain.NotFound("customer")
	}
	if c.Unreadable != "" {
		s.reportUnreadable(ctx, action, c)
		return nil, domain.Unreadable("customer", c.Unreadable)
	}
	return c, nil
}

// requireAny returns the actor if their role (and token) grants one of
// fns; otherwise the refusal names the first and is audited.
func (s *Service) requireAny(ctx context.Context, action string, fns ...domain.Function) (*domain.Actor, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range fns {
		if policy.Can(a, f) {
			return a, nil
		}
	}
	return s.require(ctx, fns[0], action, "")
}

// reportUnreadable logs and audits a customer whose stored data failed
// its integrity check.
func (s *Service) reportUnreadable(ctx context.Context, action string, c *domain.Customer) {
	s.log.Error("a customer's stored data fails its integrity check", slog.String("customer", string(c.ID)),
		slog.String("reason", string(c.Unreadable)), slog.String("action", action))
	ev := domain.NewAuditEvent(ctx, s.now(), domain.ActionCustomerUnreadable, "customer", string(c.ID))
	ev.Outcome, ev.Reason = domain.OutcomeError, action+": "+string(c.Unreadable)
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.Error("audit record of an unreadable customer failed", slog.Any("err", err))
	}
}
