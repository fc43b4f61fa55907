package identity

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/custoscrm/custos/internal/domain"
)

// LoginResult is the outcome of a sign-in step: either a session (Token)
// or, for a user with a second factor, a challenge to answer (MFA).
type LoginResult struct {
	Token     string
	Session   *domain.Session
	User      *domain.User
	ExpiresAt time.Time
	// Pending is what the new session must do first, if anything.
	Pending domain.Pending
	// MFA is set instead of Token when a second factor is needed.
	MFA *MFAChallenge
}

// MFAChallenge asks for the second factor of a sign-in or step-up.
type MFAChallenge struct {
	// Token identifies the half-finished sign-in; it is good for one
	// completion, a few wrong answers, and ChallengeTTL.
	Token     string
	Methods   []string
	ExpiresAt time.Time
	// WebAuthn holds the assertion options for navigator.credentials.get
	// when the user has passkeys.
	WebAuthn json.RawMessage
}

// maxChallengeAttempts bounds wrong answers to one challenge.
const maxChallengeAttempts = 5

// errChallenge is the one answer to an unusable challenge token.
var errChallenge = domain.Unauthenticated("this sign-in has expired or was already completed; sign in again")

// errWrongFactor answers a wrong, expired or replayed second factor.
var errWrongFactor = domain.Unauthenticated("the second factor was not accepted (wrong, expired or already used)")

// Login checks an email and password. Without a second factor it opens a
// session; with one it returns a challenge to complete with CompleteMFA.
//
// Unknown emails, wrong passwords, disabled accounts and service accounts
// all answer the same unauthenticated error after the same amount of
// work. Repeated failures are throttled per account and source address
// and per source address (rate_limited with a retry delay). Every attempt
// is audited (auth.login, auth.password, auth.throttled).
func (s *Service) Login(ctx context.Context, email, password string) (*LoginResult, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, domain.Invalid("email", "email is required")
	}
	if strings.ContainsFunc(email, unicode.IsControl) {
		return nil, domain.Invalid("email", "email must not contain control characters")
	}
	if norm, err := domain.NormalizeEmail("email", email); err == nil {
		email = norm // as stored (IDNA domains), so throttle buckets match
	}
	if len(email) > 320 {
		return nil, domain.Invalid("email", "email is too long")
	}
	if password == "" {
		return nil, domain.Invalid("password", "password is required")
	}
	if err := checkPresented("password", password); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	account, src := throttleBuckets(email, domain.RequestInfoFrom(ctx).SourceIP)
	u, err := s.users.GetUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	var uid domain.ID
	hash := ""
	if u != nil {
		uid, hash = u.ID, u.PasswordHash
	}
	if err := s.checkThrottle(ctx, now, uid, account, src); err != nil {
		return nil, err
	}
	ok, upgrade := false, false
	if len(password) <= 4*MaxPasswordLen {
		if ok, upgrade, err = s.hasher.Verify(ctx, hash, password); err != nil {
			return nil, err
		}
	}
	if !ok || u == nil || u.Status != domain.UserActive || u.Kind == domain.UserService {
		ev := domain.NewAuditEvent(ctx, now, "auth.login", "user", "")
		ev.Outcome = domain.OutcomeDenied
		switch {
		case u == nil:
			ev.Reason = "unknown account"
		case !ok:
			ev.TargetID, ev.ActorUser, ev.Reason = string(u.ID), u.ID, "wrong password"
		case u.Kind == domain.UserService:
			ev.TargetID, ev.ActorUser, ev.Reason = string(u.ID), u.ID, "service account"
		default:
			ev.TargetID, ev.ActorUser, ev.Reason = string(u.ID), u.ID, "account disabled"
		}
		s.record(ctx, ev)
		s.recordFailure(ctx, now, account, src)
		return nil, errBadCredentials
	}
	role, err := s.users.GetRole(ctx, u.Role)
	if err != nil {
		s.log.Error("user has an unknown role; refusing sign-in", slog.String("user", string(u.ID)), slog.String("role", u.Role))
		return nil, errBadCredentials
	}
	if upgrade {
		s.upgradeHash(ctx, u, password)
	}
	s.clearThrottle(ctx, account)
	if u.MFAEnabled {
		ch, err := s.newChallenge(ctx, u, domain.ChallengeLogin, "", now)
		if err != nil {
			return nil, err
		}
		return &LoginResult{User: u, MFA: ch}, nil
	}
	return s.openSession(ctx, u, role, now, false, "password")
}

// upgradeHash rehashes a password whose stored hash used weaker
// parameters than the current ones (it is in hand only now, at sign-in).
func (s *Service) upgradeHash(ctx context.Context, u *domain.User, password string) {
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return
	}
	if err := s.users.UpdatePasswordHash(ctx, u.ID, h); err != nil {
		s.log.Warn("password hash upgrade failed", slog.String("user", string(u.ID)), slog.Any("err", err))
		return
	}
	u.PasswordHash = h
}

// openSession starts a session for u, ending their oldest sessions beyond
// the role's limit, and audits the sign-in with how it was proved.
func (s *Service) openSession(ctx context.Context, u *domain.User, role *domain.Role, now time.Time, mfa bool, method string) (*LoginResult, error) {
	secret, hashed := newSecret()
	se := &domain.Session{
		ID: domain.NewIDAt(domain.KindSession, now), UserID: u.ID, SecretHash: hashed,
		CreatedAt: now, LastSeenAt: now, AuthAt: now, ExpiresAt: now.Add(role.AbsoluteTimeout), MFA: mfa,
	}
	ri := domain.RequestInfoFrom(ctx)
	se.SourceIP, se.UserAgent = ri.SourceIP, truncate(ri.UserAgent, 256)
	ev := domain.NewAuditEvent(ctx, now, "auth.login", "user", string(u.ID))
	ev.ActorUser, ev.ActorSession, ev.Reason = u.ID, se.ID, method
	evicted := func(id domain.ID) *domain.AuditEvent {
		e := domain.NewAuditEvent(ctx, now, domain.ActionSessionEnd, "session", string(id))
		e.ActorUser, e.ActorSession = u.ID, se.ID
		e.Reason = "session limit"
		return e
	}
	if _, err := s.sessions.CreateSession(ctx, se, role.MaxSessions, evicted, ev); err != nil {
		return nil, err
	}
	return &LoginResult{Token: formatToken(sessionTokenPrefix, se.ID, secret), Session: se, User: u,
		ExpiresAt: se.ExpiresAt, Pending: pendingFor(u, role)}, nil
}

// newChallenge starts the second-factor step of a sign-in or step-up.
func (s *Service) newChallenge(ctx context.Context, u *domain.User, kind string, sessionID domain.ID, now time.Time) (*MFAChallenge, error) {
	methods, passkeys, err := s.mfaMethods(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ch := &MFAChallenge{Methods: methods, ExpiresAt: now.Add(s.challenge)}
	secret, hashed := newSecret()
	c := &domain.Challenge{ID: domain.NewIDAt(domain.KindChallenge, now), SecretHash: hashed, Kind: kind, UserID: u.ID,
		SessionID: sessionID, CreatedAt: now, ExpiresAt: ch.ExpiresAt}
	if len(passkeys) > 0 {
		opts, data, err := s.webauthn.beginLogin(u, passkeys)
		if err != nil {
			return nil, err
		}
		ch.WebAuthn, c.Data = opts, data
	}
	action := "auth.password"
	if kind == domain.ChallengeStepUp {
		action = "auth.step_up"
	}
	ev := domain.NewAuditEvent(ctx, now, action, "user", string(u.ID))
	ev.ActorUser, ev.Reason = u.ID, "password accepted; second factor required"
	if err := s.sessions.CreateChallenge(ctx, c, ev); err != nil {
		return nil, err
	}
	ch.Token = formatToken(challengeTokenPrefix, c.ID, secret)
	return ch, nil
}

// MFAInput answers a sign-in or step-up challenge.
type MFAInput struct {
	Token  string
	Method string
	// Code is a TOTP code or a recovery code.
	Code string
	// Credential is a WebAuthn assertion (PublicKeyCredential as JSON).
	Credential json.RawMessage
}

// CompleteMFA answers the challenge of a sign-in (opening a session) or a
// step-up (rotating the session) with a second factor.
//
// Authorization: possession of the challenge token, then the factor.
// Errors: invalid (malformed token, method, code or credential; field
// named), unauthenticated (expired or used challenge; a wrong, expired or
// replayed factor), rate_limited. Each challenge takes a few wrong
// answers, and wrong answers count toward the sign-in throttle. Audited
// as auth.mfa.
func (s *Service) CompleteMFA(ctx context.Context, in *MFAInput) (*LoginResult, error) {
	id, secret, ok := parseToken(in.Token, challengeTokenPrefix, domain.KindChallenge)
	if !ok {
		return nil, domain.Invalid("mfa_token", "mfa_token is not a token this server issued")
	}
	if err := checkFactorInput(in.Method, in.Code, in.Credential); err != nil {
		return nil, err
	}
	c, err := s.sessions.GetChallenge(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, errChallenge
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if !secretMatches(secret, c.SecretHash) || (c.Kind != domain.ChallengeLogin && c.Kind != domain.ChallengeStepUp) ||
		!c.UsedAt.IsZero() || !now.Before(c.ExpiresAt) || c.Attempts >= maxChallengeAttempts {
		return nil, errChallenge
	}
	u, err := s.users.GetUser(ctx, c.UserID)
	if err != nil || u.Status != domain.UserActive {
		return nil, errChallenge
	}
	account, src := throttleBuckets(u.Email, domain.RequestInfoFrom(ctx).SourceIP)
	if err := s.checkThrottle(ctx, now, u.ID, account, src); err != nil {
		return nil, err
	}
	ok, err = s.verifyFactor(ctx, u, in.Method, in.Code, in.Credential, c.Data, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		ev := domain.NewAuditEvent(ctx, now, "auth.mfa", "user", string(u.ID))
		ev.ActorUser, ev.Outcome, ev.Reason = u.ID, domain.OutcomeDenied, in.Method+" not accepted"
		if _, err := s.sessions.FailChallenge(ctx, c.ID, ev); err != nil {
			return nil, err
		}
		s.recordFailure(ctx, now, account, src)
		return nil, errWrongFactor
	}
	if used, err := s.sessions.ConsumeChallenge(ctx, c.ID, now); err != nil || !used {
		if err != nil {
			return nil, err
		}
		return nil, errChallenge
	}
	s.clearThrottle(ctx, account)
	role, err := s.users.GetRole(ctx, u.Role)
	if err != nil {
		return nil, errChallenge
	}
	method := "password+" + in.Method
	if c.Kind == domain.ChallengeStepUp {
		return s.rotate(ctx, c.SessionID, u, role, now, true, method)
	}
	ev := domain.NewAuditEvent(ctx, now, "auth.mfa", "user", string(u.ID))
	ev.ActorUser, ev.Reason = u.ID, in.Method
	s.record(ctx, ev)
	return s.openSession(ctx, u, role, now, true, method)
}
