package identity

import (
	"context"
	"errors"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// StepUpInput is a fresh proof of identity: the password and, for a user
// with a second factor, either a TOTP or recovery code here, or nothing
// (then a challenge comes back to be answered with CompleteMFA, e.g. with
// a passkey).
type StepUpInput struct {
	Password string
	Method   string
	Code     string
}

// errWrongPassword answers a wrong password at step-up or password change
// (the caller's session stays valid).
func errWrongPassword(field string) error {
	return &domain.Error{Code: domain.CodeForbidden, Field: field, Message: "the password is not correct"}
}

// StepUp re-authenticates the caller in their session and rotates it: the
// result carries a new token and the old one stops working. The session
// keeps its absolute expiry.
//
// Authorization: a session (API tokens never step up; pending steps
// allowed). Errors: invalid (missing password, malformed method or
// code), forbidden (wrong password or second factor, field named; a
// token), rate_limited (throttled like sign-in). Audited as auth.step_up.
func (s *Service) StepUp(ctx context.Context, in *StepUpInput) (*LoginResult, error) {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	if a.SessionID == "" {
		return nil, domain.Forbidden("API tokens do not step up; sign in for sensitive actions")
	}
	if in.Password == "" {
		return nil, domain.Invalid("password", "password is required")
	}
	if err := checkPresented("password", in.Password); err != nil {
		return nil, err
	}
	if in.Method != "" {
		if in.Method == domain.MethodWebAuthn {
			return nil, domain.Invalid("method", "for a passkey, step up with the password alone and answer the challenge")
		}
		if err := checkFactorInput(in.Method, in.Code, nil); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	u, err := s.users.GetUser(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	account, src := throttleBuckets(u.Email, domain.RequestInfoFrom(ctx).SourceIP)
	if err := s.checkThrottle(ctx, now, u.ID, account, src); err != nil {
		return nil, err
	}
	ok := false
	if len(in.Password) <= 4*MaxPasswordLen {
		if ok, _, err = s.hasher.Verify(ctx, u.PasswordHash, in.Password); err != nil {
			return nil, err
		}
	}
	deny := func(reason, field string) error {
		ev := domain.NewAuditEvent(ctx, now, "auth.step_up", "session", string(a.SessionID))
		ev.Outcome, ev.Reason = domain.OutcomeDenied, reason
		s.record(ctx, ev)
		s.recordFailure(ctx, now, account, src)
		if field == "password" {
			return errWrongPassword(field)
		}
		return &domain.Error{Code: domain.CodeForbidden, Field: field, Message: "the second factor was not accepted (wrong, expired or already used)"}
	}
	if !ok {
		return nil, deny("wrong password", "password")
	}
	if !u.MFAEnabled {
		s.clearThrottle(ctx, account)
		return s.rotate(ctx, a.SessionID, u, a.Role, now, false, "password")
	}
	if in.Method == "" {
		ch, err := s.newChallenge(ctx, u, domain.ChallengeStepUp, a.SessionID, now)
		if err != nil {
			return nil, err
		}
		return &LoginResult{User: u, MFA: ch}, nil
	}
	ok, err = s.verifyFactor(ctx, u, in.Method, in.Code, nil, "", now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, deny(in.Method+" not accepted", "code")
	}
	s.clearThrottle(ctx, account)
	return s.rotate(ctx, a.SessionID, u, a.Role, now, true, "password+"+in.Method)
}

// rotate replaces session oldID with a fresh one (new secret,
// authenticated now).
func (s *Service) rotate(ctx context.Context, oldID domain.ID, u *domain.User, role *domain.Role, now time.Time, mfa bool, method string) (*LoginResult, error) {
	secret, hashed := newSecret()
	se := &domain.Session{ID: domain.NewIDAt(domain.KindSession, now), UserID: u.ID, SecretHash: hashed,
		LastSeenAt: now, AuthAt: now, MFA: mfa}
	ri := domain.RequestInfoFrom(ctx)
	se.SourceIP, se.UserAgent = ri.SourceIP, truncate(ri.UserAgent, 256)
	ev := domain.NewAuditEvent(ctx, now, "auth.step_up", "session", string(se.ID))
	ev.ActorUser, ev.ActorSession, ev.Reason = u.ID, oldID, method
	if err := s.sessions.RotateSession(ctx, oldID, se, ev); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, errBadSession
		}
		return nil, err
	}
	return &LoginResult{Token: formatToken(sessionTokenPrefix, se.ID, secret), Session: se, User: u,
		ExpiresAt: se.ExpiresAt, Pending: pendingFor(u, role)}, nil
}
