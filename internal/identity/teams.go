package identity

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// CreateTeam creates a team. Authorization: teams.manage. Errors:
// invalid (name), conflict (name taken).
func (s *Service) CreateTeam(ctx context.Context, name string) (domain.ID, error) {
	if _, err := policy.Require(ctx, domain.FnTeamsManage); err != nil {
		return "", err
	}
	name, err := domain.NormalizeName("name", name)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", domain.Invalid("name", "name is required")
	}
	now := s.now().UTC()
	id := domain.NewIDAt(domain.KindTeam, now)
	ev := domain.NewAuditEvent(ctx, now, "team.create", "team", string(id))
	if err := s.users.CreateTeam(ctx, id, name, ev); err != nil {
		return "", err
	}
	return id, nil
}

// ListTeams returns every team. Authorization: teams.manage or
// users.manage.
func (s *Service) ListTeams(ctx context.Context) ([]*domain.Team, error) {
	if err := requireAny(ctx, domain.FnTeamsManage, domain.FnUsersManage); err != nil {
		return nil, err
	}
	return s.users.ListTeams(ctx)
}

func requireAny(ctx context.Context, fns ...domain.Function) error {
	a, err := policy.Actor(ctx)
	if err != nil {
		return err
	}
	for _, f := range fns {
		if policy.Can(a, f) {
			return nil
		}
	}
	_, err = policy.Require(ctx, fns[0])
	return err
}

// TerritoryInput defines a territory: a name and its regions.
type TerritoryInput struct {
	Name    string        `json:"name"`
	Regions []RegionInput `json:"regions"`
}

// RegionInput is a province, or a city in it.
type RegionInput struct {
	Province string `json:"province"`
	City     string `json:"city"`
}

const maxRegions = 500

func (in *TerritoryInput) territory() (*domain.Territory, error) {
	name, err := domain.NormalizeName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, domain.Invalid("name", "name is required")
	}
	if len(in.Regions) == 0 {
		return nil, domain.Invalid("regions", "give at least one region (a province, optionally a city)")
	}
	if len(in.Regions) > maxRegions {
		return nil, domain.Invalid("regions", "at most %d regions", maxRegions)
	}
	t := &domain.Territory{Name: name}
	for _, r := range in.Regions {
		p, err := domain.NormalizeName("regions.province", r.Province)
		if err != nil {
			return nil, err
		}
		if p == "" {
			return nil, domain.Invalid("regions.province", "every region needs a province")
		}
		c, err := domain.NormalizeName("regions.city", r.City)
		if err != nil {
			return nil, err
		}
		t.Regions = append(t.Regions, domain.Region{Province: p, City: c})
	}
	return t, nil
}

// CreateTerritory creates a territory.
//
// Authorization: teams.manage. Errors: invalid (name, regions), conflict
// (name taken).
func (s *Service) CreateTerritory(ctx context.Context, in *TerritoryInput) (*domain.Territory, error) {
	if _, err := policy.Require(ctx, domain.FnTeamsManage); err != nil {
		return nil, err
	}
	t, err := in.territory()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	t.ID, t.CreatedAt, t.UpdatedAt = domain.NewIDAt(domain.KindTerritory, now), now, now
	ev := domain.NewAuditEvent(ctx, now, "territory.create", "territory", string(t.ID))
	if err := s.users.CreateTerritory(ctx, t, ev); err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTerritory renames a territory and replaces its regions; users of
// territory-scoped roles see the change on their next request.
//
// Authorization: teams.manage, fresh (it changes what people reach).
// Errors: invalid, step_up_required, not_found, conflict.
func (s *Service) UpdateTerritory(ctx context.Context, id domain.ID, in *TerritoryInput) (*domain.Territory, error) {
	if _, err := policy.Require(ctx, domain.FnTeamsManage); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if _, err := policy.RequireFresh(ctx, now, s.stepUp); err != nil {
		return nil, err
	}
	t, err := in.territory()
	if err != nil {
		return nil, err
	}
	t.ID, t.UpdatedAt = id, now
	ev := domain.NewAuditEvent(ctx, now, "territory.update", "territory", string(id))
	ev.Fields = []string{"name", "regions"}
	if err := s.users.UpdateTerritory(ctx, t, ev); err != nil {
		return nil, err
	}
	return s.users.GetTerritory(ctx, id)
}

// DeleteTerritory deletes a territory; its users lose it.
//
// Authorization: teams.manage, fresh. Errors: step_up_required,
// not_found.
func (s *Service) DeleteTerritory(ctx context.Context, id domain.ID) error {
	if _, err := policy.Require(ctx, domain.FnTeamsManage); err != nil {
		return err
	}
	now := s.now().UTC()
	if _, err := policy.RequireFresh(ctx, now, s.stepUp); err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, now, "territory.delete", "territory", string(id))
	return s.users.DeleteTerritory(ctx, id, ev)
}

// GetTerritory returns a territory. Authorization: teams.manage or
// users.manage, or a user assigned to it. Errors: not_found.
func (s *Service) GetTerritory(ctx context.Context, id domain.ID) (*domain.Territory, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	mine := false
	for _, t := range a.Territories {
		mine = mine || t == id
	}
	if !mine {
		if err := requireAny(ctx, domain.FnTeamsManage, domain.FnUsersManage); err != nil {
			return nil, err
		}
	}
	return s.users.GetTerritory(ctx, id)
}

// ListTerritories returns every territory. Authorization: teams.manage or
// users.manage.
func (s *Service) ListTerritories(ctx context.Context) ([]*domain.Territory, error) {
	if err := requireAny(ctx, domain.FnTeamsManage, domain.FnUsersManage); err != nil {
		return nil, err
	}
	return s.users.ListTerritories(ctx)
}
