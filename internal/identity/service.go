// Package identity is the service layer for who is acting and what they
// may do: users and service accounts, passwords, second factors (TOTP,
// recovery codes, passkeys), sign-in and its throttling, step-up, sessions,
// API tokens, roles, teams and territories. It turns a bearer credential
// into the actor that travels in the request context, reading the user
// and their role from the database on every request, so a change applies
// to the very next one on every node.
package identity

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// UserStore persists users, teams, territories and roles.
type UserStore interface {
	CreateUser(ctx context.Context, u *domain.User, evs ...*domain.AuditEvent) error
	GetUser(ctx context.Context, id domain.ID) (*domain.User, error)
	GetUserByEmail(ctx context.Context, email string) (*domain.User, error)
	ListUsers(ctx context.Context, cursor domain.ID, limit int) (domain.Page[*domain.User], error)
	CountUsers(ctx context.Context) (int, error)
	UpdateUser(ctx context.Context, id domain.ID, up domain.UserUpdate, evs ...*domain.AuditEvent) error
	UpdatePasswordHash(ctx context.Context, id domain.ID, hash string) error
	UserTerritories(ctx context.Context, id domain.ID) ([]domain.ID, error)
	CreateTeam(ctx context.Context, id domain.ID, name string, evs ...*domain.AuditEvent) error
	ListTeams(ctx context.Context) ([]*domain.Team, error)
	CreateTerritory(ctx context.Context, t *domain.Territory, evs ...*domain.AuditEvent) error
	UpdateTerritory(ctx context.Context, t *domain.Territory, evs ...*domain.AuditEvent) error
	DeleteTerritory(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	GetTerritory(ctx context.Context, id domain.ID) (*domain.Territory, error)
	ListTerritories(ctx context.Context) ([]*domain.Territory, error)
	GetRole(ctx context.Context, name string) (*domain.Role, error)
	ListRoles(ctx context.Context) ([]*domain.Role, error)
	CreateRole(ctx context.Context, r *domain.Role, evs ...*domain.AuditEvent) error
	UpdateRole(ctx context.Context, r *domain.Role, evs ...*domain.AuditEvent) error
	DeleteRole(ctx context.Context, name string, evs ...*domain.AuditEvent) error
}

// SessionStore persists sessions, API tokens and the challenges of
// sign-ins waiting for a second factor.
type SessionStore interface {
	CreateSession(ctx context.Context, se *domain.Session, maxPerUser int, evicted func(domain.ID) *domain.AuditEvent, evs ...*domain.AuditEvent) ([]domain.ID, error)
	GetSessionUser(ctx context.Context, id domain.ID) (*domain.SessionUser, error)
	TouchSessions(ctx context.Context, seen map[domain.ID]time.Time) error
	RevokeSession(ctx context.Context, id domain.ID, at time.Time, evs ...*domain.AuditEvent) error
	RevokeUserSessions(ctx context.Context, userID domain.ID, at time.Time, evs ...*domain.AuditEvent) error
	ListSessions(ctx context.Context, userID domain.ID, now time.Time) ([]*domain.Session, error)
	RotateSession(ctx context.Context, oldID domain.ID, se *domain.Session, evs ...*domain.AuditEvent) error
	MarkSessionAuthenticated(ctx context.Context, id domain.ID, at time.Time, mfa bool, evs ...*domain.AuditEvent) error
	CreateToken(ctx context.Context, t *domain.APIToken, evs ...*domain.AuditEvent) error
	GetTokenUser(ctx context.Context, id domain.ID) (*domain.TokenUser, error)
	ListTokens(ctx context.Context, userID domain.ID) ([]*domain.APIToken, error)
	RevokeToken(ctx context.Context, id domain.ID, at time.Time, evs ...*domain.AuditEvent) error
	TouchToken(ctx context.Context, id domain.ID, at time.Time) error
	CreateChallenge(ctx context.Context, c *domain.Challenge, evs ...*domain.AuditEvent) error
	GetChallenge(ctx context.Context, id domain.ID) (*domain.Challenge, error)
	FailChallenge(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) (int, error)
	ConsumeChallenge(ctx context.Context, id domain.ID, at time.Time) (bool, error)
}

// FactorStore persists second factors and sign-in throttling state.
type FactorStore interface {
	BeginTOTP(ctx context.Context, userID domain.ID, secret string, now time.Time, evs ...*domain.AuditEvent) error
	GetTOTP(ctx context.Context, userID domain.ID) (*domain.TOTP, error)
	ConfirmTOTP(ctx context.Context, userID domain.ID, step int64, now time.Time, recoveryHashes [][]byte, evs ...*domain.AuditEvent) error
	UseTOTPStep(ctx context.Context, userID domain.ID, step int64) (bool, error)
	DeleteTOTP(ctx context.Context, userID domain.ID, evs ...*domain.AuditEvent) error
	ReplaceRecoveryCodes(ctx context.Context, userID domain.ID, hashes [][]byte, now time.Time, evs ...*domain.AuditEvent) error
	RecoveryCodeHashes(ctx context.Context, userID domain.ID) ([][]byte, error)
	UseRecoveryCode(ctx context.Context, userID domain.ID, hash []byte, at time.Time) (bool, error)
	CreatePasskey(ctx context.Context, pk *domain.Passkey, recoveryHashes [][]byte, evs ...*domain.AuditEvent) error
	ListPasskeys(ctx context.Context, userID domain.ID) ([]*domain.Passkey, error)
	UpdatePasskeyUse(ctx context.Context, id domain.ID, credential []byte, at time.Time) error
	DeletePasskey(ctx context.Context, userID, id domain.ID, evs ...*domain.AuditEvent) error
	ResetMFA(ctx context.Context, userID domain.ID, evs ...*domain.AuditEvent) error
	ThrottleStates(ctx context.Context, buckets ...string) ([]domain.ThrottleState, error)
	RecordThrottleFailure(ctx context.Context, now time.Time, next func(domain.ThrottleState) domain.ThrottleState, buckets ...string) error
	ClearThrottle(ctx context.Context, buckets ...string) error
}

// Deps are what the service is built on; every one is required.
type Deps struct {
	Users    UserStore
	Sessions SessionStore
	Factors  FactorStore
	Audit    domain.Auditor
}

// Options configure the service.
type Options struct {
	Hasher *Hasher
	Now    func() time.Time
	Log    *slog.Logger
	// TouchInterval is how stale an API token's last-used time may get
	// before a request refreshes it (bounds writes on the hot path;
	// default 1 minute).
	TouchInterval time.Duration
	// IdlePrecision is how far a session's stored last-seen time may fall
	// behind its last request (default DefaultIdlePrecision): idle
	// timeouts are enforced to within it, and a busy session's last-seen
	// time is written about once per IdlePrecision. Negative means exact
	// (a write per request).
	IdlePrecision time.Duration
	// StepUpWindow is how long a sign-in or step-up counts as fresh for
	// sensitive actions (default policy.DefaultStepUpWindow).
	StepUpWindow time.Duration
	// ChallengeTTL is how long a sign-in may wait for its second factor
	// (default 5 minutes).
	ChallengeTTL time.Duration
	// Throttle is the sign-in throttling policy (zero: DefaultThrottle).
	Throttle ThrottlePolicy
	// WebAuthn configures passkeys.
	WebAuthn WebAuthnConfig
	// TOTPIssuer names Custos in authenticator apps.
	TOTPIssuer string
}

// Service implements identity and access.
type Service struct {
	users     UserStore
	sessions  SessionStore
	factors   FactorStore
	audit     domain.Auditor
	hasher    *Hasher
	now       func() time.Time
	log       *slog.Logger
	touch     time.Duration
	stepUp    time.Duration
	challenge time.Duration
	throttle  ThrottlePolicy
	webauthn  *webAuthn
	issuer    string
	activity  *activity
}

// New returns the identity service.
func New(d Deps, opts Options) (*Service, error) {
	s := &Service{users: d.Users, sessions: d.Sessions, factors: d.Factors, audit: d.Audit, hasher: opts.Hasher, now: opts.Now, log: opts.Log,
		touch: opts.TouchInterval, stepUp: opts.StepUpWindow, challenge: opts.ChallengeTTL, throttle: opts.Throttle,
		issuer: opts.TOTPIssuer}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.touch <= 0 {
		s.touch = time.Minute
	}
	if s.stepUp <= 0 {
		s.stepUp = policy.DefaultStepUpWindow
	}
	if s.challenge <= 0 {
		s.challenge = 5 * time.Minute
	}
	if s.throttle == (ThrottlePolicy{}) {
		s.throttle = DefaultThrottle
	}
	if s.issuer == "" {
		s.issuer = "Custos"
	}
	precision := opts.IdlePrecision
	switch {
	case precision == 0:
		precision = DefaultIdlePrecision
	case precision < 0:
		precision = 0
	}
	s.activity = newActivity(s.sessions, s.log, precision)
	wa, err := newWebAuthn(opts.WebAuthn)
	if err != nil {
		return nil, err
	}
	s.webauthn = wa
	return s, nil
}

// StepUpWindow returns how long an authentication counts as fresh.
func (s *Service) StepUpWindow() time.Duration { return s.stepUp }

// errBadCredentials is the one answer to every failed sign-in: wrong
// password, unknown email, disabled account.
var errBadCredentials = domain.Unauthenticated("invalid email or password")

// errBadSession is the one answer to every unusable bearer credential.
var errBadSession = domain.Unauthenticated("the session is invalid or has expired; sign in again")

// Authenticate turns a bearer credential (a session token or an API
// token) into an actor. It checks the secret in constant time, revocation
// and expiry (for sessions also the idle timeout of the user's role, to
// within IdlePrecision), and
// the user's current status and role, all read from the database now, so
// disabling a user or changing their role or the role itself applies to
// their very next request on every node.
func (s *Service) Authenticate(ctx context.Context, token string) (*domain.Actor, error) {
	if id, secret, ok := parseToken(token, sessionTokenPrefix, domain.KindSession); ok {
		return s.authenticateSession(ctx, id, secret)
	}
	if id, secret, ok := parseToken(token, apiTokenPrefix, domain.KindToken); ok {
		return s.authenticateToken(ctx, id, secret)
	}
	return nil, errBadSession
}

// AuthenticateSession is Authenticate for a session token (a person's
// browser) that also returns the signed-in user as read with the session
// — what the web UI shows of them (name, language, time zone) — so a page
// does not read the user a second time. Only session tokens are taken.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*domain.Actor, *domain.User, error) {
	id, secret, ok := parseToken(token, sessionTokenPrefix, domain.KindSession)
	if !ok {
		return nil, nil, errBadSession
	}
	a, su, err := s.session(ctx, id, secret)
	if err != nil {
		return nil, nil, err
	}
	u := su.User
	return a, &u, nil
}

func (s *Service) authenticateSession(ctx context.Context, id domain.ID, secret string) (*domain.Actor, error) {
	a, _, err := s.session(ctx, id, secret)
	return a, err
}

// session authenticates session id with its secret, returning the actor
// and the session as read.
func (s *Service) session(ctx context.Context, id domain.ID, secret string) (*domain.Actor, *domain.SessionUser, error) {
	su, err := s.sessions.GetSessionUser(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, errBadSession
	}
	if err != nil {
		return nil, nil, err
	}
	if !secretMatches(secret, su.Session.SecretHash) {
		return nil, nil, errBadSession
	}
	now := s.now()
	se, u, role := &su.Session, &su.User, su.Role
	if se.RevokedAt.IsZero() && !now.Before(se.ExpiresAt) {
		s.endSession(ctx, se, "expired", now)
		return nil, nil, errBadSession
	}
	if role == nil || u.Status != domain.UserActive || u.Kind == domain.UserService || !se.RevokedAt.IsZero() {
		return nil, nil, errBadSession
	}
	if idleExpired(now, se.LastSeenAt, role.IdleTimeout, s.activity.precision) {
		s.endSession(ctx, se, "idle timeout", now)
		return nil, nil, errBadSession
	}
	if role.AbsoluteTimeout > 0 && now.Sub(se.CreatedAt) >= role.AbsoluteTimeout {
		return nil, nil, errBadSession
	}
	s.activity.seen(ctx, se.ID, se.LastSeenAt, now)
	return &domain.Actor{
		UserID: u.ID, Email: u.Email, Role: role, TeamID: u.TeamID, Territories: su.Territories,
		SessionID: se.ID, DeviceID: se.DeviceID, AuthTime: se.AuthAt, MFA: se.MFA,
		Pending: pendingFor(u, role),
	}, su, nil
}

func (s *Service) authenticateToken(ctx context.Context, id domain.ID, secret string) (*domain.Actor, error) {
	tu, err := s.sessions.GetTokenUser(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, errBadSession
	}
	if err != nil {
		return nil, err
	}
	if !secretMatches(secret, tu.Token.SecretHash) {
		return nil, errBadSession
	}
	now := s.now()
	t, u := &tu.Token, &tu.User
	if tu.Role == nil || u.Status != domain.UserActive || !t.RevokedAt.IsZero() || !now.Before(t.ExpiresAt) {
		return nil, errBadSession
	}
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) > s.touch {
		go func(id domain.ID, at time.Time) {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := s.sessions.TouchToken(ctx, id, at); err != nil {
				s.log.Warn("token touch failed", slog.Any("err", err))
			}
		}(t.ID, now)
	}
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return &domain.Actor{
		UserID: u.ID, Email: u.Email, Role: tu.Role, TeamID: u.TeamID, Territories: tu.Territories,
		TokenID: t.ID, Scopes: scopes, AuthTime: t.CreatedAt,
	}, nil
}

// require checks that the actor may perform fn; a refusal of a signed-in
// actor is audited as a denied attempt at action.
func (s *Service) require(ctx context.Context, fn domain.Function, action, targetType string, targetID domain.ID) error {
	_, err := policy.Require(ctx, fn)
	if err != nil && domain.ErrorCode(err) == domain.CodeForbidden {
		ev := domain.NewAuditEvent(ctx, s.now(), action, targetType, string(targetID))
		ev.Outcome, ev.Reason = domain.OutcomeDenied, "function "+string(fn)+" not granted"
		s.record(ctx, ev)
	}
	return err
}

// endSession revokes a session that ran out (expired, idle) when a request
// presents it, recording session.end once: a session already revoked is
// left alone, so only the first request after expiry writes.
func (s *Service) endSession(ctx context.Context, se *domain.Session, reason string, now time.Time) {
	ev := domain.NewAuditEvent(ctx, now, domain.ActionSessionEnd, "session", string(se.ID))
	ev.ActorUser, ev.ActorSession, ev.Reason = se.UserID, se.ID, reason
	if err := s.sessions.RevokeSession(ctx, se.ID, now.UTC(), ev); err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.log.Warn("ending a timed-out session failed", slog.Any("err", err))
	}
}

// pendingFor returns what a session of u must do before anything else.
func pendingFor(u *domain.User, role *domain.Role) domain.Pending {
	switch {
	case u.MustChangePassword:
		return domain.PendingPasswordChange
	case role != nil && role.RequireMFA && !u.MFAEnabled:
		return domain.PendingMFAEnrollment
	}
	return domain.PendingNone
}

// Logout ends the caller's session. Authorization: a signed-in session
// (pending steps allowed). Errors: unauthenticated, invalid (an API
// token: revoke it instead).
func (s *Service) Logout(ctx context.Context) error {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return err
	}
	if a.SessionID == "" {
		return domain.Invalid("", "this credential is an API token, not a session; revoke it at DELETE /api/v1/tokens/{id}")
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, "auth.logout", "session", string(a.SessionID))
	return s.sessions.RevokeSession(ctx, a.SessionID, now, ev)
}

// record makes an audit event durable; a failure is logged (the event
// records a refusal, which happens either way).
func (s *Service) record(ctx context.Context, ev *domain.AuditEvent) {
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.Error("audit record failed", slog.String("action", ev.Action), slog.Any("err", err))
	}
}

// truncate keeps at most n bytes of a client's text (a User-Agent) as
// UTF-8: bytes that are not UTF-8 (a header may carry any) are replaced,
// and the cut falls between characters. PostgreSQL refuses text that is
// not UTF-8, which would fail the sign-in.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
