package identity

import (
	"context"
	"errors"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// SessionView is a live session as its owner or an administrator sees it.
type SessionView struct {
	*domain.Session
	Current bool
}

// ListSessions returns a user's live sessions, newest first (idle ones
// past their role's timeout left out).
//
// Authorization: the user themself (in a session or with a token), or
// users.manage for anyone. Errors: forbidden, not_found.
func (s *Service) ListSessions(ctx context.Context, userID domain.ID) ([]SessionView, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		userID = a.UserID
	}
	if userID != a.UserID {
		if err := s.require(ctx, domain.FnUsersManage, "session.manage", "session", ""); err != nil {
			return nil, err
		}
	}
	u, err := s.users.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	role, err := s.users.GetRole(ctx, u.Role)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	now := s.now()
	list, err := s.sessions.ListSessions(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	out := make([]SessionView, 0, len(list))
	for _, se := range list {
		if role != nil && idleExpired(now, se.LastSeenAt, role.IdleTimeout, s.activity.precision) {
			continue
		}
		se.SecretHash = nil
		out = append(out, SessionView{Session: se, Current: se.ID == a.SessionID})
	}
	return out, nil
}

// EndSession ends one session: one of the caller's own, or, with
// users.manage, anyone's. A session the caller may not end answers not
// found, like one that does not exist.
//
// Authorization: as above (pending steps allowed for one's own). Errors:
// not_found.
func (s *Service) EndSession(ctx context.Context, id domain.ID) error {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return err
	}
	su, err := s.sessions.GetSessionUser(ctx, id)
	if err != nil {
		return err
	}
	if su.Session.UserID != a.UserID {
		if err := s.require(ctx, domain.FnUsersManage, "session.manage", "session", ""); err != nil {
			return domain.NotFound("session")
		}
	} else if a.Pending != domain.PendingNone && a.SessionID != id {
		if _, err := policy.Actor(ctx); err != nil {
			return err
		}
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, "session.revoke", "session", string(id))
	ev.TargetIDs = []string{string(su.Session.UserID)}
	return s.sessions.RevokeSession(ctx, id, now, ev)
}

// EndUserSessions ends every session of a user (a lost phone, a leaver).
//
// Authorization: users.manage, or the user themself (every session,
// including this one). Errors: forbidden, not_found.
func (s *Service) EndUserSessions(ctx context.Context, userID domain.ID) error {
	a, err := policy.Actor(ctx)
	if err != nil {
		return err
	}
	if userID != a.UserID {
		if err := s.require(ctx, domain.FnUsersManage, "session.manage", "session", ""); err != nil {
			return err
		}
	}
	if _, err := s.users.GetUser(ctx, userID); err != nil {
		return err
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, "session.revoke_all", "user", string(userID))
	return s.sessions.RevokeUserSessions(ctx, userID, now, ev)
}
