package identity

import (
	"context"
	"errors"

	"github.com/custoscrm/custos/internal/domain"
)

// MaxNamesLookup bounds the ids UserNames takes at once.
const MaxNamesLookup = 200

// UserNames returns the display names of the users with ids (those that
// exist), so that people reading the audit log, which names users by id,
// see who they are.
//
// Authorization: audit.read or users.manage. Errors: invalid (more than
// MaxNamesLookup ids).
func (s *Service) UserNames(ctx context.Context, ids []domain.ID) (map[domain.ID]string, error) {
	if err := requireAny(ctx, domain.FnAuditRead, domain.FnUsersManage); err != nil {
		return nil, err
	}
	if len(ids) > MaxNamesLookup {
		return nil, domain.Invalid("ids", "at most %d users at once", MaxNamesLookup)
	}
	out := make(map[domain.ID]string, len(ids))
	for _, id := range ids {
		if _, ok := out[id]; ok || !domain.ValidID(domain.KindUser, string(id)) {
			continue
		}
		u, err := s.users.GetUser(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = u.DisplayName
	}
	return out, nil
}
