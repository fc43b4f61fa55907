package jsonapi_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestIdentityLogsHoldNoSecrets drives enrollment, two-step sign-ins
// (right and wrong codes), recovery codes, passkeys, step-up, password
// changes, API tokens and throttled attempts with the server logging at
// debug level, and finds no password, TOTP secret or code, recovery code,
// token or challenge secret in the log.
func TestIdentityLogsHoldNoSecrets(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		var logs lockedBuffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		clock := testkit.NewClock(time.Date(2026, 3, 10, 9, 0, 10, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Log: log, Now: clock.Now})
		s := testkit.Serve(t, a)
		const email = "rep@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesRep, "")
		tok := s.LoginAs(t, email)
		secret, recovery := s.EnrollTOTP(t, tok, clock.Now())
		_, _ = s.RegisterPasskey(t, tok, "laptop")
		clock.Advance(30 * time.Second)
		code := testkit.TOTPCode(t, secret, clock.Now())
		c := startLogin(t, s, email)
		answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": "000000"})
		answer(t, s, c.MFAToken, map[string]any{"method": "recovery_code", "code": "zzzz-zzzz-zzzz-zzzz"})
		r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": code})
		session := r.Map(t)["token"].(string)
		c2 := startLogin(t, s, email)
		answer(t, s, c2.MFAToken, map[string]any{"method": "recovery_code", "code": recovery[3]})
		tk := s.Do(t, "POST", "/api/v1/tokens", session, map[string]any{"name": "script", "scopes": []string{"customers:read"}}).Map(t)["token"].(string)
		s.Do(t, "GET", "/api/v1/customers", tk, nil)
		wrongStepUp := strings.Join([]string{"Step", "Up", "Wrong", "Sentinel"}, "-")
		s.Do(t, "POST", "/api/v1/auth/step-up", session, map[string]string{"password": wrongStepUp})
		s.Do(t, "POST", "/api/v1/auth/password", session, map[string]string{"current_password": testkit.PasswordFor(email), "new_password": "New-Passphrase-Sentinel-42"})
		for i := 0; i < 7; i++ {
			s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "Throttled-Guess-Sentinel"})
		}

		out := logs.String()
		if !strings.Contains(out, `"route"`) {
			t.Fatal("no access log captured")
		}
		secrets := []string{secret, code, "Step-Up-Wrong-Sentinel", "New-Passphrase-Sentinel-42", "Throttled-Guess-Sentinel",
			testkit.PasswordFor(email), tok, session, tk}
		for _, rc := range recovery {
			secrets = append(secrets, rc, strings.ReplaceAll(rc, "-", ""))
		}
		for _, bearer := range []string{tok, session, tk, c.MFAToken, c2.MFAToken} {
			secrets = append(secrets, bearer[strings.LastIndexByte(bearer, '.')+1:])
		}
		for _, sec := range secrets {
			if strings.Contains(out, sec) {
				t.Errorf("log contains a secret (%.8s…)", sec)
			}
		}
	})
}

// TestThrottledSignInAnswers429 shows the HTTP face of throttling: after
// five failures from one address, 429 rate_limited with Retry-After.
func TestThrottledSignInAnswers429(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		for i := 0; i < 6; i++ {
			if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "rep@x.example.com", "password": "guess number " + strings.Repeat("x", i)}); r.Status != 401 {
				t.Fatalf("failure %d: %d", i+1, r.Status)
			}
		}
		r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "rep@x.example.com", "password": testkit.PasswordFor("rep@x.example.com")})
		if r.Status != 429 || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") != "1" {
			t.Fatalf("throttled sign-in: %d %s Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
		}
		clock.Advance(time.Second)
		s.Login(t, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
	})
}
