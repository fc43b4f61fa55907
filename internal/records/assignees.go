package records

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// MaxAssignees bounds how many people Assignees lists.
const MaxAssignees = 500

// Assignee is someone a customer can be given to: an id and the name
// colleagues know them by, nothing more.
type Assignee struct {
	ID          domain.ID
	DisplayName string
}

// Assignees lists the people the caller may make a customer's owner
// (checkAssignee's rule): the active people of the caller's team for a
// team-scoped role, every active person for a role that reaches all
// records or a territory. At most MaxAssignees, ordered by id.
//
// Authorization: customers.update, write access to the owner (a public
// field) and a record scope beyond one's own (a role limited to its own
// records may only keep them). Errors: forbidden.
func (s *Service) Assignees(ctx context.Context) ([]Assignee, error) {
	a, err := s.require(ctx, domain.FnCustomersUpdate, "user.list", "user", "")
	if err != nil {
		return nil, err
	}
	if !a.System && (a.Role.Scope == domain.ScopeOwn || policy.FieldAccess(a, domain.ClassPublic) < domain.AccessWrite) {
		s.recordDenied(ctx, "user.list", "user", "", "assigning others needs a scope beyond one's own records")
		return nil, domain.Forbidden("your role may not give customers to others")
	}
	var out []Assignee
	var cursor domain.ID
	for {
		page, err := s.directory.ListUsers(ctx, cursor, domain.MaxPageSize)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Items {
			if u.Status != domain.UserActive || u.Kind == domain.UserService {
				continue
			}
			if !a.System && a.Role.Scope == domain.ScopeTeam && (a.TeamID == "" || u.TeamID != a.TeamID) && u.ID != a.UserID {
				continue
			}
			out = append(out, Assignee{ID: u.ID, DisplayName: u.DisplayName})
			if len(out) == MaxAssignees {
				return out, nil
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = domain.ID(page.NextCursor)
	}
}
