package jsonapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

type challenge struct {
	MFARequired bool            `json:"mfa_required"`
	MFAToken    string          `json:"mfa_token"`
	Methods     []string        `json:"methods"`
	Token       string          `json:"token"`
	WebAuthn    json.RawMessage `json:"webauthn"`
}

func startLogin(t *testing.T, s *testkit.Server, email string) challenge {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": testkit.PasswordFor(email)})
	var c challenge
	r.JSON(t, &c)
	if r.Status != http.StatusOK || !c.MFARequired || c.MFAToken == "" || c.Token != "" {
		t.Fatalf("login with a second factor enrolled: %d %s", r.Status, r.Body)
	}
	return c
}

func answer(t *testing.T, s *testkit.Server, mfaToken string, body map[string]any) *testkit.Response {
	t.Helper()
	body["mfa_token"] = mfaToken
	return s.Do(t, "POST", "/api/v1/auth/login/mfa", "", body)
}

// TestTOTPSignIn enrolls an authenticator app and signs in in two steps on
// an injected clock: codes of the previous, current and next 30-second
// step work, older and newer ones do not, and each code works once (the
// code that confirmed enrollment included). Recovery codes work once. A
// challenge takes five wrong answers and lasts five minutes.
func TestTOTPSignIn(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 5, 9, 0, 10, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		const email = "rep@x.example.com"
		u := a.CreateUser(t, email, domain.RoleSalesRep, "")
		tok := s.LoginAs(t, email)
		enrolledAt := clock.Now()
		secret, recovery := s.EnrollTOTP(t, tok, enrolledAt)
		if len(recovery) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(recovery))
		}

		// At rest: the secret is sealed, recovery codes hashed.
		stored := testkit.StoredBytes(t, a)
		if bytes.Contains(stored, []byte(secret)) {
			t.Fatal("the TOTP secret is stored in the clear")
		}
		for _, c := range recovery {
			if bytes.Contains(stored, []byte(c)) || bytes.Contains(stored, []byte(strings.ReplaceAll(c, "-", ""))) {
				t.Fatal("a recovery code is stored in the clear")
			}
		}

		c := startLogin(t, s, email)
		if strings.Join(c.Methods, ",") != "totp,recovery_code" {
			t.Fatalf("methods %v", c.Methods)
		}
		// The code that confirmed enrollment is used up.
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, enrolledAt)}); r.Status != 401 {
			t.Fatalf("replayed enrollment code: %d %s", r.Status, r.Body)
		}
		clock.Advance(30 * time.Second)
		now := clock.Now()
		r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, now)})
		var done challenge
		r.JSON(t, &done)
		if r.Status != 200 || done.Token == "" {
			t.Fatalf("current code: %d %s", r.Status, r.Body)
		}
		if me := s.Do(t, "GET", "/api/v1/auth/me", done.Token, nil); me.Status != 200 || me.Map(t)["mfa"] != true {
			t.Fatalf("me after MFA sign-in: %d %s", me.Status, me.Body)
		}
		// The same code again, on a new sign-in: refused (replay).
		c = startLogin(t, s, email)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, now)}); r.Status != 401 {
			t.Fatalf("replayed code: %d %s", r.Status, r.Body)
		}
		// Window: the step after (clock behind the phone) and the step
		// before (phone behind) are accepted once each.
		clock.Advance(30 * time.Second)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now().Add(30*time.Second))}); r.Status != 200 {
			t.Fatalf("next step's code: %d %s", r.Status, r.Body)
		}
		clock.Advance(90 * time.Second)
		c = startLogin(t, s, email)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now().Add(-30*time.Second))}); r.Status != 200 {
			t.Fatalf("previous step's code: %d %s", r.Status, r.Body)
		}
		clock.Advance(5 * time.Minute)
		c = startLogin(t, s, email)
		for _, off := range []time.Duration{-60 * time.Second, -90 * time.Second, 60 * time.Second} {
			if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now().Add(off))}); r.Status != 401 {
				t.Fatalf("code %v off: %d %s", off, r.Status, r.Body)
			}
		}
		// Recovery codes: once each, dashes and case forgiven.
		c = startLogin(t, s, email)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "recovery_code", "code": strings.ToUpper(strings.ReplaceAll(recovery[0], "-", " "))}); r.Status != 200 {
			t.Fatalf("recovery code: %d %s", r.Status, r.Body)
		}
		c = startLogin(t, s, email)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "recovery_code", "code": recovery[0]}); r.Status != 401 {
			t.Fatalf("used recovery code: %d %s", r.Status, r.Body)
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL`, string(u.ID)); n != 9 {
			t.Fatalf("%d unused recovery codes, want 9", n)
		}
		// Five wrong answers end a challenge, even before a right one.
		clock.Advance(time.Minute)
		c = startLogin(t, s, email)
		for i := 0; i < 4; i++ {
			answer(t, s, c.MFAToken, map[string]any{"method": "recovery_code", "code": "0000-0000-0000-0000"})
		}
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": "000000"}); r.Status != 401 {
			t.Fatalf("5th wrong answer: %d", r.Status)
		}
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now())}); r.Status != 401 {
			t.Fatalf("right code after 5 wrong: %d %s", r.Status, r.Body)
		}
		// A challenge expires after five minutes.
		clock.Advance(2 * time.Minute)
		c = startLogin(t, s, email)
		clock.Advance(5*time.Minute + time.Second)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now())}); r.Status != 401 {
			t.Fatalf("expired challenge: %d %s", r.Status, r.Body)
		}
	})
}

// TestPasskeySignIn registers a passkey with a software authenticator and
// signs in with it as the second factor; malformed and forged assertions
// are refused with clear errors.
func TestPasskeySignIn(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		const email = "mgr@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesManager, "")
		tok := s.LoginAs(t, email)
		pk, recovery := s.RegisterPasskey(t, tok, "work phone")
		if len(recovery) != 10 {
			t.Fatalf("%d recovery codes on the first factor, want 10", len(recovery))
		}
		st := s.Do(t, "GET", "/api/v1/mfa", tok, nil)
		if st.Status != 200 || !strings.Contains(string(st.Body), `"name":"work phone"`) {
			t.Fatalf("mfa status: %d %s", st.Status, st.Body)
		}

		c := startLogin(t, s, email)
		if strings.Join(c.Methods, ",") != "webauthn,recovery_code" || len(c.WebAuthn) == 0 {
			t.Fatalf("methods %v, options %s", c.Methods, c.WebAuthn)
		}
		// Malformed payloads: 400 naming the credential; the challenge lives on.
		for _, bad := range []string{`{}`, `"x"`, `[1,2]`, `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"!!"}}`,
			`{"id":"AAAA","type":"public-key","response":{"authenticatorData":"AA","clientDataJSON":"e30","signature":"AA"}}`} {
			r := answer(t, s, c.MFAToken, map[string]any{"method": "webauthn", "credential": json.RawMessage(bad)})
			if r.Status != 400 || r.ErrorField() != "credential" {
				t.Errorf("malformed credential %s: %d %s", bad, r.Status, r.Body)
			}
		}
		// A well-formed assertion for another challenge does not verify.
		other := startLogin(t, s, email)
		forged := pk.Get(t, other.WebAuthn)
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "webauthn", "credential": forged}); r.Status != 401 {
			t.Fatalf("assertion for another challenge: %d %s", r.Status, r.Body)
		}
		// Another authenticator's signature does not verify.
		stranger := testkit.NewPasskey()
		stranger.Cred.ID = pk.Cred.ID
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "webauthn", "credential": stranger.Get(t, c.WebAuthn)}); r.Status != 401 {
			t.Fatalf("assertion signed by another key: %d %s", r.Status, r.Body)
		}
		r := answer(t, s, c.MFAToken, map[string]any{"method": "webauthn", "credential": pk.Get(t, c.WebAuthn)})
		var done challenge
		r.JSON(t, &done)
		if r.Status != 200 || done.Token == "" {
			t.Fatalf("passkey sign-in: %d %s", r.Status, r.Body)
		}
		// The same assertion again: the challenge is used up.
		if r := answer(t, s, c.MFAToken, map[string]any{"method": "webauthn", "credential": pk.Get(t, c.WebAuthn)}); r.Status != 401 {
			t.Fatalf("second completion of one challenge: %d", r.Status)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", done.Token, nil); r.Status != 200 {
			t.Fatalf("session from a passkey sign-in: %d", r.Status)
		}
	})
}

// TestRoleRequiresMFA requires a second factor for the sales_rep role: a
// rep without one gets a session that may only enroll (every other call
// answers mfa_enrollment_required), enrolls, and then works normally;
// their next sign-in asks for the factor.
func TestRoleRequiresMFA(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		const email = "rep@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesRep, "")
		admin := s.LoginAs(t, testkit.AdminEmail)
		if r := s.Do(t, "PATCH", "/api/v1/roles/sales_rep", admin, map[string]any{"require_mfa": true}); r.Status != 200 {
			t.Fatalf("require MFA: %d %s", r.Status, r.Body)
		}
		r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": testkit.PasswordFor(email)})
		var out struct {
			Token   string `json:"token"`
			Pending string `json:"pending"`
		}
		r.JSON(t, &out)
		if r.Status != 200 || out.Token == "" || out.Pending != "mfa_enrollment" {
			t.Fatalf("login without a second factor under require_mfa: %d %s", r.Status, r.Body)
		}
		for _, c := range []struct{ method, path string }{{"GET", "/api/v1/customers"}, {"GET", "/api/v1/sessions"}, {"GET", "/api/v1/tokens"}} {
			got := s.Do(t, c.method, c.path, out.Token, nil)
			if got.Status != 403 || got.ErrorCode() != "mfa_enrollment_required" || !strings.Contains(string(got.Body), "/api/v1/mfa/totp") {
				t.Errorf("%s %s before enrolling: %d %s", c.method, c.path, got.Status, got.Body)
			}
		}
		if me := s.Do(t, "GET", "/api/v1/auth/me", out.Token, nil); me.Status != 200 || me.Map(t)["pending"] != "mfa_enrollment" {
			t.Fatalf("me while enrollment is pending: %d %s", me.Status, me.Body)
		}
		secret, _ := s.EnrollTOTP(t, out.Token, clock.Now())
		if got := s.Do(t, "GET", "/api/v1/customers", out.Token, nil); got.Status != 200 {
			t.Fatalf("after enrolling: %d %s", got.Status, got.Body)
		}
		clock.Advance(30 * time.Second)
		s.MFALogin(t, email, testkit.PasswordFor(email), secret, clock.Now())
	})
}

// TestForcedPasswordReset: an administrator forces a reset; the user's
// sessions end, their next session may only change the password, and
// afterwards the old password is gone.
func TestForcedPasswordReset(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		const email = "rep@x.example.com"
		u := a.CreateUser(t, email, domain.RoleSalesRep, "")
		rep := s.LoginAs(t, email)
		admin := s.LoginAs(t, testkit.AdminEmail)
		if r := s.Do(t, "POST", "/api/v1/users/"+string(u.ID)+"/password-reset", admin, nil); r.Status != 204 {
			t.Fatalf("reset: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", rep, nil); r.Status != 401 {
			t.Fatalf("session after a forced reset: %d", r.Status)
		}
		tok := s.LoginAs(t, email)
		if r := s.Do(t, "GET", "/api/v1/customers", tok, nil); r.Status != 403 || r.ErrorCode() != "password_change_required" {
			t.Fatalf("before changing the password: %d %s", r.Status, r.Body)
		}
		const next = "a new and rather long passphrase"
		if r := s.Do(t, "POST", "/api/v1/auth/password", tok, map[string]string{"current_password": "wrong one entirely", "new_password": next}); r.Status != 403 || r.ErrorField() != "current_password" {
			t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/password", tok, map[string]string{"current_password": testkit.PasswordFor(email), "new_password": "password1234"}); r.Status != 400 || r.ErrorField() != "new_password" {
			t.Fatalf("common new password: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/password", tok, map[string]string{"current_password": testkit.PasswordFor(email), "new_password": next}); r.Status != 204 {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", tok, nil); r.Status != 200 {
			t.Fatalf("after changing the password: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": testkit.PasswordFor(email)}); r.Status != 401 {
			t.Fatalf("old password after the change: %d", r.Status)
		}
		s.Login(t, email, next)
	})
}
