package pool

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Settings returns a team's pool settings (the defaults, marked default,
// until the team sets its own).
//
// Authorization: a member of the team (reps see their limits), someone
// who runs pools over all records (pool.manage with scope all), or
// teams.manage. Any other team is not found.
func (s *Service) Settings(ctx context.Context, team domain.ID) (*domain.PoolSettings, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.System && a.TeamID != team && !runsEveryPool(a) && !policy.Can(a, domain.FnTeamsManage) {
		return nil, domain.NotFound("team")
	}
	return s.pool.PoolSettings(ctx, team)
}

// UpdateSettings sets a team's pool settings.
//
// Authorization: pool.manage, for the caller's own team, or for any team
// with scope all (or teams.manage); another team is not found. The fields
// that changed are audited by name. Errors: invalid (field named),
// forbidden, not_found.
func (s *Service) UpdateSettings(ctx context.Context, team domain.ID, in *domain.PoolSettingsInput) (*domain.PoolSettings, error) {
	a, err := s.require(ctx, domain.FnPoolManage, domain.ActionPoolSettings, "")
	if err != nil {
		return nil, err
	}
	if !a.System && a.TeamID != team && !runsEveryPool(a) && !policy.Can(a, domain.FnTeamsManage) {
		return nil, domain.NotFound("team")
	}
	p, err := in.Settings(team)
	if err != nil {
		return nil, err
	}
	old, err := s.pool.PoolSettings(ctx, team)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	p.UpdatedAt = now
	ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolSettings, "team", string(team))
	for _, f := range []struct {
		name     string
		old, new int
	}{
		{"daily_claims", old.DailyClaims, p.DailyClaims}, {"max_owned", old.MaxOwned, p.MaxOwned},
		{"return_days", old.ReturnDays, p.ReturnDays}, {"warn_days", old.WarnDays, p.WarnDays},
	} {
		if f.old != f.new || old.Default {
			ev.Fields = append(ev.Fields, f.name)
		}
	}
	if err := s.pool.SavePoolSettings(ctx, p, ev); err != nil {
		return nil, err
	}
	p.TeamName = old.TeamName
	return p, nil
}

// AllSettings returns every team's pool settings.
//
// Authorization: pool.manage with scope all, or teams.manage (the CLI
// acts as the system).
func (s *Service) AllSettings(ctx context.Context) ([]*domain.PoolSettings, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if !a.System && !runsEveryPool(a) && !policy.Can(a, domain.FnTeamsManage) {
		return nil, domain.Forbidden("your role may not list every team's pool settings")
	}
	return s.pool.ListPoolSettings(ctx)
}

// runsEveryPool reports whether the actor runs the pools of every team.
func runsEveryPool(a *domain.Actor) bool {
	return a.System || (policy.Can(a, domain.FnPoolManage) && a.Role.Scope == domain.ScopeAll)
}
