// Package identity is the service layer for who is acting: users,
// passwords, sign-in, sessions. It turns a bearer credential into the
// actor that travels in the request context.
package identity

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Store is the persistence the identity service needs.
type Store interface {
	CreateUser(ctx context.Context, u *domain.User, evs ...*domain.AuditEvent) error
	GetUser(ctx context.Context, id domain.ID) (*domain.User, error)
	GetUserByEmail(ctx context.Context, email string) (*domain.User, error)
	ListUsers(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.User], error)
	CountUsers(ctx context.Context) (int, error)
	UpdatePasswordHash(ctx context.Context, id domain.ID, hash string) error
	CreateTeam(ctx context.Context, id domain.ID, name string, evs ...*domain.AuditEvent) error
	CreateSession(ctx context.Context, se *domain.Session, maxPerUser int, evs ...*domain.AuditEvent) ([]domain.ID, error)
	GetSessionUser(ctx context.Context, id domain.ID) (*domain.SessionUser, error)
	TouchSession(ctx context.Context, id domain.ID, at time.Time) error
	RevokeSession(ctx context.Context, id domain.ID, at time.Time, evs ...*domain.AuditEvent) error
}

// Options configure the service.
type Options struct {
	Hasher *Hasher
	Roles  map[string]*domain.Role
	Now    func() time.Time
	Log    *slog.Logger
	// TouchInterval is how stale a session's last-seen time may get before
	// a request refreshes it (bounds writes on the hot path).
	TouchInterval time.Duration
}

// Service implements sign-in and user management.
type Service struct {
	store  Store
	audit  domain.Auditor
	hasher *Hasher
	roles  map[string]*domain.Role
	now    func() time.Time
	log    *slog.Logger
	touch  time.Duration
}

// New returns the identity service.
func New(store Store, auditor domain.Auditor, opts Options) *Service {
	s := &Service{store: store, audit: auditor, hasher: opts.Hasher, roles: opts.Roles, now: opts.Now, log: opts.Log, touch: opts.TouchInterval}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.roles == nil {
		s.roles = policy.BuiltinRoles()
	}
	if s.touch <= 0 {
		s.touch = time.Minute
	}
	return s
}

// Role returns a role by name.
func (s *Service) Role(name string) (*domain.Role, bool) {
	r, ok := s.roles[name]
	return r, ok
}

// errBadCredentials is the one answer to every failed sign-in: wrong
// password, unknown email, disabled account.
var errBadCredentials = domain.Unauthenticated("invalid email or password")

// errBadSession is the one answer to every unusable bearer credential.
var errBadSession = domain.Unauthenticated("the session is invalid or has expired; sign in again")

// LoginResult is a successful sign-in.
type LoginResult struct {
	Token     string
	Session   *domain.Session
	User      *domain.User
	ExpiresAt time.Time
}

// Login checks an email and password and opens a session.
//
// Unknown emails, wrong passwords and disabled accounts all answer the
// same unauthenticated error after the same amount of work. Every attempt
// is audited.
func (s *Service) Login(ctx context.Context, email, password string) (*LoginResult, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, domain.Invalid("email", "email is required")
	}
	if password == "" {
		return nil, domain.Invalid("password", "password is required")
	}
	if len(password) > 4*MaxPasswordLen {
		return nil, errBadCredentials
	}
	u, err := s.store.GetUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok, upgrade, err := s.hasher.Verify(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if !ok || u == nil || u.Status != domain.UserActive {
		ev := domain.NewAuditEvent(ctx, now, "auth.login", "user", "")
		ev.Outcome = domain.OutcomeDenied
		switch {
		case u == nil:
			ev.Reason = "unknown account"
		case !ok:
			ev.TargetID, ev.ActorUser, ev.Reason = string(u.ID), u.ID, "wrong password"
		default:
			ev.TargetID, ev.ActorUser, ev.Reason = string(u.ID), u.ID, "account disabled"
		}
		if err := s.audit.Record(ctx, ev); err != nil {
			s.log.Error("audit of a failed sign-in failed", slog.Any("err", err))
		}
		return nil, errBadCredentials
	}
	role, ok := s.roles[u.Role]
	if !ok {
		s.log.Error("user has an unknown role; refusing sign-in", slog.String("user", string(u.ID)), slog.String("role", u.Role))
		return nil, errBadCredentials
	}
	if upgrade {
		s.upgradeHash(ctx, u, password)
	}
	secret, hashed := newSecret()
	se := &domain.Session{
		ID: domain.NewIDAt(domain.KindSession, now), UserID: u.ID, SecretHash: hashed,
		CreatedAt: now, LastSeenAt: now, AuthAt: now,
		ExpiresAt: now.Add(role.AbsoluteTimeout),
	}
	ri := domain.RequestInfoFrom(ctx)
	se.SourceIP, se.UserAgent = ri.SourceIP, truncate(ri.UserAgent, 256)
	ev := domain.NewAuditEvent(ctx, now, "auth.login", "user", string(u.ID))
	ev.ActorUser, ev.ActorSession = u.ID, se.ID
	evicted, err := s.store.CreateSession(ctx, se, role.MaxSessions, ev)
	if err != nil {
		return nil, err
	}
	for _, id := range evicted {
		end := domain.NewAuditEvent(ctx, now, domain.ActionSessionEnd, "session", string(id))
		end.ActorUser, end.ActorSession, end.Reason = u.ID, se.ID, "session limit"
		if err := s.audit.Record(ctx, end); err != nil {
			s.log.Error("audit of an evicted session failed", slog.Any("err", err))
		}
	}
	return &LoginResult{Token: formatToken(sessionTokenPrefix, se.ID, secret), Session: se, User: u, ExpiresAt: se.ExpiresAt}, nil
}

func (s *Service) upgradeHash(ctx context.Context, u *domain.User, password string) {
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return
	}
	if err := s.store.UpdatePasswordHash(ctx, u.ID, h); err != nil {
		s.log.Warn("password hash upgrade failed", slog.String("user", string(u.ID)), slog.Any("err", err))
	}
}

// Authenticate turns a session bearer token into an actor. It checks the
// secret in constant time, the session's revocation, absolute expiry and
// idle timeout, and the user's current status and role, so disabling a
// user or changing their role applies to their very next request.
func (s *Service) Authenticate(ctx context.Context, token string) (*domain.Actor, error) {
	id, secret, ok := parseToken(token, sessionTokenPrefix, domain.KindSession)
	if !ok {
		return nil, errBadSession
	}
	su, err := s.store.GetSessionUser(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, errBadSession
	}
	if err != nil {
		return nil, err
	}
	if !secretMatches(secret, su.Session.SecretHash) {
		return nil, errBadSession
	}
	now := s.now()
	se, u := &su.Session, &su.User
	role, ok := s.roles[u.Role]
	if se.RevokedAt.IsZero() && !now.Before(se.ExpiresAt) {
		s.endSession(ctx, se, "expired", now)
		return nil, errBadSession
	}
	if !ok || u.Status != domain.UserActive || !se.RevokedAt.IsZero() {
		return nil, errBadSession
	}
	if role.IdleTimeout > 0 && now.Sub(se.LastSeenAt) > role.IdleTimeout {
		s.endSession(ctx, se, "idle timeout", now)
		return nil, errBadSession
	}
	if now.Sub(se.LastSeenAt) > s.touch {
		// Refresh last-seen off the request path; a lost refresh only
		// shortens the idle window by at most TouchInterval.
		go func(id domain.ID, at time.Time) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.store.TouchSession(ctx, id, at); err != nil {
				s.log.Warn("session touch failed", slog.Any("err", err))
			}
		}(se.ID, now)
	}
	return &domain.Actor{
		UserID: u.ID, Email: u.Email, Role: role, TeamID: u.TeamID,
		SessionID: se.ID, DeviceID: se.DeviceID, AuthTime: se.AuthAt,
	}, nil
}

// endSession revokes a session that ran out (expired, idle) when a request
// presents it, recording session.end once: a session already revoked is
// left alone, so only the first request after expiry writes.
func (s *Service) endSession(ctx context.Context, se *domain.Session, reason string, now time.Time) {
	ev := domain.NewAuditEvent(ctx, now, domain.ActionSessionEnd, "session", string(se.ID))
	ev.ActorUser, ev.ActorSession, ev.Reason = se.UserID, se.ID, reason
	if err := s.store.RevokeSession(ctx, se.ID, now.UTC(), ev); err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.log.Warn("ending a timed-out session failed", slog.Any("err", err))
	}
}

// require checks that the actor may perform fn; a refusal of a signed-in
// actor is audited as a denied attempt at action.
func (s *Service) require(ctx context.Context, fn domain.Function, action, targetType string, targetID domain.ID) error {
	_, err := policy.Require(ctx, fn)
	if err != nil && domain.ErrorCode(err) == domain.CodeForbidden {
		ev := domain.NewAuditEvent(ctx, s.now(), action, targetType, string(targetID))
		ev.Outcome, ev.Reason = domain.OutcomeDenied, "function "+string(fn)+" not granted"
		if rerr := s.audit.Record(ctx, ev); rerr != nil {
			s.log.Error("audit record of a denied attempt failed", slog.String("action", action), slog.Any("err", rerr))
		}
	}
	return err
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	a, err := policy.Actor(ctx)
	if err != nil {
		return err
	}
	if a.SessionID == "" {
		return domain.Invalid("", "this credential is not a session")
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, "auth.logout", "session", string(a.SessionID))
	return s.store.RevokeSession(ctx, a.SessionID, now, ev)
}

// UserInput is what an administrator sends to create a user.
type UserInput struct {
	Email       string    `json:"email"`
	Password    string    `json:"password"`
	Role        string    `json:"role"`
	DisplayName string    `json:"display_name"`
	TeamID      domain.ID `json:"team_id"`
}

// CreateUser creates a user.
//
// Authorization: users.manage. Errors: invalid (field named: email,
// password, role, display_name, team_id), conflict (email taken).
func (s *Service) CreateUser(ctx context.Context, in *UserInput) (*domain.User, error) {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserCreate, "user", ""); err != nil {
		return nil, err
	}
	return s.createUser(ctx, in)
}

func (s *Service) createUser(ctx context.Context, in *UserInput) (*domain.User, error) {
	email, err := domain.NormalizeEmail("email", in.Email)
	if err != nil {
		return nil, err
	}
	name, err := domain.NormalizeName("display_name", in.DisplayName)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = email
	}
	if _, ok := s.roles[in.Role]; !ok {
		return nil, domain.Invalid("role", "no role named %q", in.Role)
	}
	if in.TeamID != "" {
		if _, err := domain.ParseID(domain.KindTeam, "team_id", string(in.TeamID)); err != nil {
			return nil, err
		}
	}
	if err := CheckPassword("password", in.Password, email); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	u := &domain.User{
		ID: domain.NewIDAt(domain.KindUser, now), Email: email, DisplayName: name, Role: in.Role,
		TeamID: in.TeamID, Status: domain.UserActive, PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	ev := domain.NewAuditEvent(ctx, now, "user.create", "user", string(u.ID))
	ev.Fields = []string{"email", "display_name", "role", "password"}
	if err := s.store.CreateUser(ctx, u, ev); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateFirstAdmin creates the first administrator of a fresh install. It
// refuses when any user exists. It runs as the system (no actor needed).
func (s *Service) CreateFirstAdmin(ctx context.Context, email, password string) (*domain.User, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, domain.Conflict("", "users already exist")
	}
	return s.createUser(ctx, &UserInput{Email: email, Password: password, Role: domain.RoleAdmin, DisplayName: "Administrator"})
}

// GetUser returns a user. Authorization: users.manage, or the user
// themself.
func (s *Service) GetUser(ctx context.Context, id domain.ID) (*domain.User, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.UserID != id {
		if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserRead, "user", id); err != nil {
			return nil, err
		}
	}
	return s.store.GetUser(ctx, id)
}

// ListUsers returns a page of users. Authorization: users.manage.
func (s *Service) ListUsers(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.User], error) {
	if err := s.require(ctx, domain.FnUsersManage, domain.ActionUserList, "user", ""); err != nil {
		return domain.Page[*domain.User]{}, err
	}
	return s.store.ListUsers(ctx, cursor, limit)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// CreateTeam creates a team. Authorization: teams.manage. Errors:
// invalid (name), conflict (name taken).
func (s *Service) CreateTeam(ctx context.Context, name string) (domain.ID, error) {
	if err := s.require(ctx, domain.FnTeamsManage, domain.ActionTeamCreate, "team", ""); err != nil {
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
	if err := s.store.CreateTeam(ctx, id, name, ev); err != nil {
		return "", err
	}
	return id, nil
}
