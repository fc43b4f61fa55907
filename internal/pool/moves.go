package pool

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Release gives the caller's own customer back to the pool of its team.
//
// Authorization: pool.claim, and the caller owns the customer; anyone
// else's customer is not found. Errors: forbidden, not_found, conflict
// (it changed owner meanwhile).
func (s *Service) Release(ctx context.Context, id domain.ID) error {
	a, err := s.require(ctx, domain.FnPoolClaim, domain.ActionPoolRelease, id)
	if err != nil {
		return err
	}
	c, err := s.customers.GetCustomer(ctx, id, openNone)
	if err != nil {
		return err
	}
	if c.OwnerID == "" || c.OwnerID != a.UserID || c.Erased {
		s.recordDenied(ctx, domain.ActionPoolRelease, id, "not the caller's customer")
		return domain.NotFound("customer")
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolRelease, "customer", string(id))
	ev.Reason = "from " + string(a.UserID)
	return s.pool.MovePool(ctx, &domain.PoolMove{ID: domain.NewIDAt(domain.KindPoolMove, now), Kind: domain.MoveRelease,
		CustomerID: id, ActorID: a.UserID, FromOwner: a.UserID, At: now}, nil, ev)
}

// Reclaim takes a customer from its owner back into the pool of its
// team; the owner is notified.
//
// Authorization: pool.manage, and the customer in the caller's record
// scope (else not found). A customer in the pool already is a conflict.
func (s *Service) Reclaim(ctx context.Context, id domain.ID) error {
	a, err := s.require(ctx, domain.FnPoolManage, domain.ActionPoolReclaim, id)
	if err != nil {
		return err
	}
	c, err := s.customerInScope(ctx, a, id, domain.ActionPoolReclaim)
	if err != nil {
		return err
	}
	if c.OwnerID == "" {
		return domain.Conflict("", "the customer is in the pool already")
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolReclaim, "customer", string(id))
	ev.Reason = "from " + string(c.OwnerID)
	var notes []*domain.Notification
	if c.OwnerID != a.UserID {
		notes = append(notes, domain.NewReclaimedNotice(c.OwnerID, id, a.UserID, now))
	}
	return s.pool.MovePool(ctx, &domain.PoolMove{ID: domain.NewIDAt(domain.KindPoolMove, now), Kind: domain.MoveReclaim,
		CustomerID: id, ActorID: a.UserID, FromOwner: c.OwnerID, At: now}, notes, ev)
}

// Assign gives a pool customer to owner, who is notified.
//
// Authorization: pool.manage; the customer in the part of the pool the
// caller reaches (else not found); owner someone the caller may give
// records to, as for a customer's owner_id: an active user, of the
// caller's team for team-scoped roles (forbidden, field owner_id, for
// another). A customer someone owns is a conflict (reclaim it first) when
// the caller reaches it, else not found. Managers' assignments are not
// held to the reps' claim limits.
func (s *Service) Assign(ctx context.Context, id, owner domain.ID) error {
	a, err := s.require(ctx, domain.FnPoolManage, domain.ActionPoolAssign, id)
	if err != nil {
		return err
	}
	if owner == "" {
		return domain.Invalid("owner_id", "owner_id is required")
	}
	c, err := s.customers.GetCustomer(ctx, id, openNone)
	if err != nil {
		return err
	}
	covered, err := s.covered(ctx, a, c.Address.Province, c.Address.City)
	if err != nil {
		return err
	}
	if c.OwnerID != "" && !c.Erased && policy.InScope(a, c.OwnerID, c.TeamID, covered) {
		return domain.Conflict("", "the customer has an owner; reclaim it into the pool first, or change its owner_id")
	}
	if c.OwnerID != "" || c.Erased || !policy.InPool(a, c.TeamID, covered) {
		s.recordDenied(ctx, domain.ActionPoolAssign, id, "not in the caller's pool")
		return domain.NotFound("customer")
	}
	u, err := s.assignee(ctx, a, owner)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolAssign, "customer", string(id))
	ev.Reason = "to " + string(u.ID)
	var notes []*domain.Notification
	if u.ID != a.UserID {
		notes = append(notes, domain.NewAssignedNotice(u.ID, id, a.UserID, now))
	}
	return s.pool.MovePool(ctx, &domain.PoolMove{ID: domain.NewIDAt(domain.KindPoolMove, now), Kind: domain.MoveAssign,
		CustomerID: id, ActorID: a.UserID, ToOwner: u.ID, ToTeam: u.TeamID, At: now}, notes, ev)
}

// assignee checks that the actor may give a customer to user id: an
// active person; for roles limited to their own records only
// themselves, for team-scoped roles a member of their team.
func (s *Service) assignee(ctx context.Context, a *domain.Actor, id domain.ID) (*domain.User, error) {
	if !a.System && a.Role.Scope == domain.ScopeOwn && id != a.UserID {
		return nil, domain.ForbiddenField("owner_id")
	}
	u, err := s.directory.GetUser(ctx, id)
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return nil, domain.Invalid("owner_id", "no such user")
		}
		return nil, err
	}
	if u.Status != domain.UserActive || u.Kind == domain.UserService {
		return nil, domain.Invalid("owner_id", "the user cannot own customers (disabled, or a service account)")
	}
	if !a.System && a.Role.Scope == domain.ScopeTeam && u.TeamID != a.TeamID {
		return nil, domain.ForbiddenField("owner_id")
	}
	return u, nil
}

// customerInScope loads a customer's clear columns and checks the actor
// reaches it (record scope); out of scope is not found, audited as
// denied.
func (s *Service) customerInScope(ctx context.Context, a *domain.Actor, id domain.ID, action string) (*domain.Customer, error) {
	c, err := s.customers.GetCustomer(ctx, id, openNone)
	if err != nil {
		return nil, err
	}
	covered, err := s.covered(ctx, a, c.Address.Province, c.Address.City)
	if err != nil {
		return nil, err
	}
	if c.Erased || !policy.InScope(a, c.OwnerID, c.TeamID, covered && a.Role.Scope == domain.ScopeTerritory) {
		s.recordDenied(ctx, action, id, "out of scope")
		return nil, domain.NotFound("customer")
	}
	return c, nil
}
