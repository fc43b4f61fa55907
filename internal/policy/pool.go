package policy

import "github.com/custoscrm/custos/internal/domain"

// PoolScope returns the part of the customer pool the actor reaches: the
// scope one step wider than their own records. A rep (own scope) reaches
// the pool of their team, narrowed to their territories when they have
// any; a manager (team scope) the team's pool; a territory-scoped role
// the pool customers in its territories; all-scoped roles and the system
// the whole pool. Someone without a team, or a territory role without
// territories, reaches none of it.
func PoolScope(a *domain.Actor) domain.PoolScope {
	if a == nil || a.Role == nil {
		return domain.PoolScope{Nothing: true}
	}
	if a.System {
		return domain.PoolScope{}
	}
	switch a.Role.Scope {
	case domain.ScopeAll:
		return domain.PoolScope{}
	case domain.ScopeTerritory:
		if len(a.Territories) == 0 {
			return domain.PoolScope{Nothing: true}
		}
		return domain.PoolScope{Territories: a.Territories}
	case domain.ScopeTeam:
		if a.TeamID == "" {
			return domain.PoolScope{Nothing: true}
		}
		return domain.PoolScope{TeamID: a.TeamID}
	default:
		if a.TeamID == "" {
			return domain.PoolScope{Nothing: true}
		}
		return domain.PoolScope{TeamID: a.TeamID, Territories: a.Territories}
	}
}

// InPool reports whether a pool customer of team teamID (whose address
// lies in one of the actor's territories when inTerritory) is in the
// part of the pool the actor reaches (PoolScope).
func InPool(a *domain.Actor, teamID domain.ID, inTerritory bool) bool {
	sc := PoolScope(a)
	switch {
	case sc.Nothing:
		return false
	case sc.TeamID != "" && teamID != sc.TeamID:
		return false
	case len(sc.Territories) > 0 && !inTerritory:
		return false
	}
	return true
}

// NewPoolView starts a view of pool customers for actor a: every
// personal field at most masked, whatever the role's access, because a
// pool customer is nobody's yet. Fields the role may not see at all stay
// hidden; public fields (a company's name, region, tags) show in full.
func NewPoolView(a *domain.Actor) *View { return &View{actor: a, ceiling: domain.AccessMasked} }
