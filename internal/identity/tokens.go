package identity

import (
	"context"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// API token limits.
const (
	DefaultTokenLifetime = 90 * 24 * time.Hour
	MaxTokenLifetime     = 365 * 24 * time.Hour
	maxTokenScopes       = 32
)

// TokenInput describes a new API token. UserID names a service account
// to create it for (administrators); empty means the caller.
type TokenInput struct {
	Name          string    `json:"name"`
	Scopes        []string  `json:"scopes"`
	ExpiresInDays int       `json:"expires_in_days"`
	UserID        domain.ID `json:"user_id"`
}

// CreateToken creates an API token and returns it with its secret, which
// is shown this once (only its hash is kept). A token reaches what both
// its scopes and its owner's role allow, and never more: a scope that
// grants its owner nothing is refused.
//
// Authorization: a person in a session (not a token), fresh; for a
// service account's token, users.manage too. Errors: invalid (name,
// scopes, expires_in_days, user_id), forbidden, step_up_required,
// not_found.
func (s *Service) CreateToken(ctx context.Context, in *TokenInput) (*domain.APIToken, string, error) {
	a, now, err := s.credentialActor(ctx)
	if err != nil {
		return nil, "", err
	}
	owner := a.UserID
	role := a.Role
	if in.UserID != "" && in.UserID != a.UserID {
		if _, err := domain.ParseID(domain.KindUser, "user_id", string(in.UserID)); err != nil {
			return nil, "", err
		}
		if err := s.require(ctx, domain.FnUsersManage, "token.manage", "token", ""); err != nil {
			return nil, "", err
		}
		u, err := s.users.GetUser(ctx, in.UserID)
		if err != nil {
			return nil, "", err
		}
		if u.Kind != domain.UserService {
			return nil, "", domain.Invalid("user_id", "tokens for other people are refused; only service accounts get tokens from an administrator")
		}
		if role, err = s.users.GetRole(ctx, u.Role); err != nil {
			return nil, "", err
		}
		owner = u.ID
	}
	name, err := domain.NormalizeName("name", in.Name)
	if err != nil {
		return nil, "", err
	}
	if name == "" {
		return nil, "", domain.Invalid("name", "name is required (what the token is for)")
	}
	if len(in.Scopes) == 0 {
		return nil, "", domain.Invalid("scopes", "give at least one scope, e.g. customers:read")
	}
	if len(in.Scopes) > maxTokenScopes {
		return nil, "", domain.Invalid("scopes", "at most %d scopes", maxTokenScopes)
	}
	var scopes []string
	for _, sc := range in.Scopes {
		if !policy.ValidTokenScope(sc) {
			return nil, "", domain.Invalid("scopes", "unknown scope %q; known scopes: %v", clip(sc, 40), policy.TokenScopes())
		}
		grants := false
		for _, f := range policy.ScopeFunctions(sc) {
			grants = grants || role.Can(f)
		}
		if !grants {
			return nil, "", domain.Invalid("scopes", "scope %s grants nothing the owner's role allows", sc)
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	life := DefaultTokenLifetime
	if in.ExpiresInDays != 0 {
		life = time.Duration(in.ExpiresInDays) * 24 * time.Hour
		if in.ExpiresInDays < 1 || life > MaxTokenLifetime {
			return nil, "", domain.Invalid("expires_in_days", "expires_in_days must be from 1 to %d", int(MaxTokenLifetime/(24*time.Hour)))
		}
	}
	secret, hashed := newSecret()
	t := &domain.APIToken{ID: domain.NewIDAt(domain.KindToken, now), UserID: owner, Name: name, Scopes: scopes,
		SecretHash: hashed, CreatedBy: a.UserID, CreatedAt: now, ExpiresAt: now.Add(life)}
	ev := domain.NewAuditEvent(ctx, now, "token.create", "token", string(t.ID))
	ev.TargetIDs = []string{string(owner)}
	ev.Reason = "scopes " + joinScopes(scopes)
	if err := s.sessions.CreateToken(ctx, t, ev); err != nil {
		return nil, "", err
	}
	t.SecretHash = nil
	return t, formatToken(apiTokenPrefix, t.ID, secret), nil
}

func joinScopes(scopes []string) string {
	out := ""
	for i, s := range scopes {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

// ListTokens returns a user's API tokens (never their secrets).
//
// Authorization: the user themself, or users.manage. Errors: forbidden,
// not_found.
func (s *Service) ListTokens(ctx context.Context, userID domain.ID) ([]*domain.APIToken, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		userID = a.UserID
	}
	if userID != a.UserID {
		if err := s.require(ctx, domain.FnUsersManage, "token.manage", "token", ""); err != nil {
			return nil, err
		}
		if _, err := s.users.GetUser(ctx, userID); err != nil {
			return nil, err
		}
	}
	return s.sessions.ListTokens(ctx, userID)
}

// RevokeToken revokes an API token at once.
//
// Authorization: a person in a session, fresh; the token's owner, or
// users.manage. A token the caller may not revoke answers not found.
// Errors: step_up_required, forbidden, not_found.
func (s *Service) RevokeToken(ctx context.Context, id domain.ID) error {
	a, now, err := s.credentialActor(ctx)
	if err != nil {
		return err
	}
	tu, err := s.sessions.GetTokenUser(ctx, id)
	if err != nil {
		return err
	}
	if tu.Token.UserID != a.UserID && !policy.Can(a, domain.FnUsersManage) {
		return domain.NotFound("token")
	}
	ev := domain.NewAuditEvent(ctx, now, "token.revoke", "token", string(id))
	ev.TargetIDs = []string{string(tu.Token.UserID)}
	return s.sessions.RevokeToken(ctx, id, now, ev)
}
