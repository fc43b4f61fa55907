package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// TOTP follows RFC 6238 with the parameters every authenticator app
// supports: HMAC-SHA1, 6 digits, 30-second steps. A code is accepted for
// the step before, the current step and the step after (clock drift), and
// only once: the last accepted step is stored and codes of that step or
// earlier are refused.
const (
	totpPeriod = 30
	totpSkew   = 1
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// normalizeTOTPCode accepts "123456" and "123 456".
func normalizeTOTPCode(code string) (string, bool) {
	c := strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(c) != 6 {
		return "", false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return "", false
		}
	}
	return c, true
}

// totpStep returns the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// TOTPCode returns the code of secret for the step holding t (tests and
// the authenticator simulation use it).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(totpStep(t)*totpPeriod, 0), totpOpts)
}

// matchTOTP returns the newest step within the window whose code is code
// and that is later than lastStep, or -1. Every candidate is compared in
// constant time.
func matchTOTP(secret, code string, now time.Time, lastStep int64) int64 {
	matched := int64(-1)
	cur := totpStep(now)
	for st := cur - totpSkew; st <= cur+totpSkew; st++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && st > lastStep {
			matched = st
		}
	}
	return matched
}

// verifyTOTP checks a TOTP code of a user with a confirmed authenticator
// app and uses it up.
func (s *Service) verifyTOTP(ctx context.Context, userID domain.ID, code string, now time.Time) (bool, error) {
	c, ok := normalizeTOTPCode(code)
	if !ok {
		return false, nil
	}
	t, err := s.factors.GetTOTP(ctx, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !t.Confirmed {
		return false, nil
	}
	step := matchTOTP(t.Secret, c, now, t.LastStep)
	if step < 0 {
		return false, nil
	}
	return s.factors.UseTOTPStep(ctx, userID, step)
}

// TOTPEnrollment is a new authenticator-app secret, shown once to be
// scanned or typed into the app.
type TOTPEnrollment struct {
	Secret string
	URI    string
}

// BeginTOTP starts enrolling an authenticator app for the caller,
// replacing an unconfirmed earlier attempt.
//
// Authorization: the caller's own session (not an API token), fresh
// (step-up); allowed while enrollment is pending. Errors: step_up_required,
// forbidden (token), conflict (an app is already enrolled).
func (s *Service) BeginTOTP(ctx context.Context) (*TOTPEnrollment, error) {
	a, now, err := s.credentialActor(ctx, domain.PendingMFAEnrollment)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.issuer, AccountName: a.Email, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, domain.Internal(err)
	}
	ev := domain.NewAuditEvent(ctx, now, "mfa.totp.begin", "user", string(a.UserID))
	if err := s.factors.BeginTOTP(ctx, a.UserID, key.Secret(), now, ev); err != nil {
		return nil, err
	}
	return &TOTPEnrollment{Secret: key.Secret(), URI: key.URL()}, nil
}

// ConfirmTOTP confirms the caller's pending authenticator app with a code
// from it. On the user's first second factor it returns their recovery
// codes (shown once) and ends their other sessions; the current session
// then counts as signed in with a second factor.
//
// Authorization: as BeginTOTP. Errors: invalid (code), unauthenticated
// (wrong code), conflict (nothing to confirm).
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	a, now, err := s.credentialActor(ctx, domain.PendingMFAEnrollment)
	if err != nil {
		return nil, err
	}
	c, ok := normalizeTOTPCode(code)
	if !ok {
		return nil, domain.Invalid("code", "a TOTP code is 6 digits")
	}
	t, err := s.factors.GetTOTP(ctx, a.UserID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && t.Confirmed) {
		return nil, domain.Conflict("", "there is no authenticator app waiting for confirmation; start at POST /api/v1/mfa/totp")
	}
	if err != nil {
		return nil, err
	}
	step := matchTOTP(t.Secret, c, now, t.LastStep)
	if step < 0 {
		ev := domain.NewAuditEvent(ctx, now, "mfa.totp.enroll", "user", string(a.UserID))
		ev.Outcome, ev.Reason = domain.OutcomeDenied, "wrong code"
		s.record(ctx, ev)
		return nil, errWrongFactor
	}
	return s.firstFactorDone(ctx, a, now, "mfa.totp.enroll", func(hashes [][]byte, ev *domain.AuditEvent) error {
		return s.factors.ConfirmTOTP(ctx, a.UserID, step, now, hashes, ev)
	})
}

// firstFactorDone stores a newly confirmed factor through save, giving the
// user recovery codes if it is their first, ending their other sessions
// and marking the current one as signed in with a second factor.
func (s *Service) firstFactorDone(ctx context.Context, a *domain.Actor, now time.Time, action string, save func(hashes [][]byte, ev *domain.AuditEvent) error) ([]string, error) {
	u, err := s.users.GetUser(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	var codes []string
	var hashes [][]byte
	if !u.MFAEnabled {
		codes, hashes = newRecoveryCodes(a.UserID)
	}
	ev := domain.NewAuditEvent(ctx, now, action, "user", string(a.UserID))
	if err := save(hashes, ev); err != nil {
		return nil, err
	}
	if !u.MFAEnabled {
		if err := s.users.UpdateUser(ctx, a.UserID, domain.UserUpdate{RevokeSessions: true, KeepSession: a.SessionID}); err != nil {
			return nil, err
		}
	}
	if err := s.sessions.MarkSessionAuthenticated(ctx, a.SessionID, now, true); err != nil {
		return nil, err
	}
	return codes, nil
}

// RemoveTOTP removes the caller's authenticator app.
//
// Authorization: own session, fresh. Errors: step_up_required, forbidden,
// not_found.
func (s *Service) RemoveTOTP(ctx context.Context) error {
	a, now, err := s.credentialActor(ctx)
	if err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, now, "mfa.totp.remove", "user", string(a.UserID))
	return s.factors.DeleteTOTP(ctx, a.UserID, ev)
}

// credentialActor returns the caller for managing their own credentials:
// a person in a session (never an API token) who proved who they are
// within the step-up window. Sessions with one of the pending steps in
// allow may proceed.
func (s *Service) credentialActor(ctx context.Context, allow ...domain.Pending) (*domain.Actor, time.Time, error) {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	if a.Pending != domain.PendingNone {
		ok := false
		for _, p := range allow {
			ok = ok || p == a.Pending
		}
		if !ok {
			if _, err := policy.Actor(ctx); err != nil {
				return nil, time.Time{}, err
			}
		}
	}
	if err := policy.RequireSession(a); err != nil {
		return nil, time.Time{}, err
	}
	now := s.now().UTC()
	if a.System {
		return nil, time.Time{}, domain.Forbidden("the system has no credentials of its own")
	}
	if !policy.Fresh(a, now, s.stepUp) {
		return nil, time.Time{}, domain.StepUpRequired("confirm it is you: step up at POST /api/v1/auth/step-up, then retry")
	}
	return a, now, nil
}
