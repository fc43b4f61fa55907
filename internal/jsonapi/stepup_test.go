package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestStepUp runs on an injected clock: a sign-in is fresh for five
// minutes; after that sensitive actions answer step_up_required (401 with
// insufficient_user_authentication); stepping up rotates the session (the
// old token stops working) without extending its lifetime, and the new
// authentication is fresh for another five minutes. A user with a second
// factor steps up with it too.
func TestStepUp(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		u := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		admin := s.LoginAs(t, testkit.AdminEmail)
		path := "/api/v1/users/" + string(u.ID)
		rename := func(tok, name string) *testkit.Response {
			return s.Do(t, "PATCH", path, tok, map[string]any{"display_name": name})
		}
		clock.Advance(4*time.Minute + 59*time.Second)
		if r := rename(admin, "Within the window"); r.Status != 200 {
			t.Fatalf("within five minutes: %d %s", r.Status, r.Body)
		}
		clock.Advance(2 * time.Second)
		r := rename(admin, "Too late")
		if r.Status != 401 || r.ErrorCode() != "step_up_required" || !strings.Contains(r.Header.Get("WWW-Authenticate"), "insufficient_user_authentication") {
			t.Fatalf("after five minutes: %d %s %q", r.Status, r.Body, r.Header.Get("WWW-Authenticate"))
		}
		// Ordinary reads need no step-up.
		if r := s.Do(t, "GET", "/api/v1/users", admin, nil); r.Status != 200 {
			t.Fatalf("read after the window: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/auth/step-up", admin, map[string]string{"password": "not the admin password"}); r.Status != 403 || r.ErrorField() != "password" {
			t.Fatalf("step-up with a wrong password: %d %s", r.Status, r.Body)
		}
		var meBefore struct {
			SessionID string `json:"session_id"`
		}
		s.Do(t, "GET", "/api/v1/auth/me", admin, nil).JSON(t, &meBefore)
		r = s.Do(t, "POST", "/api/v1/auth/step-up", admin, map[string]string{"password": testkit.AdminPassword})
		var up struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		r.JSON(t, &up)
		if r.Status != 200 || up.Token == "" || up.Token == admin {
			t.Fatalf("step-up: %d %s", r.Status, r.Body)
		}
		if got := s.Do(t, "GET", "/api/v1/auth/me", admin, nil); got.Status != 401 {
			t.Fatalf("the old token after step-up: %d", got.Status)
		}
		if want := time.Date(2026, 3, 6, 21, 0, 0, 0, time.UTC); !up.ExpiresAt.Equal(want) {
			t.Fatalf("step-up moved the absolute expiry to %v, want %v", up.ExpiresAt, want)
		}
		if r := rename(up.Token, "After step-up"); r.Status != 200 {
			t.Fatalf("after step-up: %d %s", r.Status, r.Body)
		}
		clock.Advance(5*time.Minute + time.Second)
		if r := rename(up.Token, "Stale again"); r.Status != 401 || r.ErrorCode() != "step_up_required" {
			t.Fatalf("five minutes after step-up: %d %s", r.Status, r.Body)
		}
		// Events recorded on their own and those written with a change
		// are integrated into the log in their own order: count, don't
		// rely on position.
		evs, _ := a.Store.AuditLog.ListAudit(t.Context(), storeFilter("auth.step_up"))
		var denied, allowed int
		for _, ev := range evs {
			switch {
			case ev.Outcome == domain.OutcomeDenied:
				denied++
			case ev.ActorSession == domain.ID(meBefore.SessionID):
				allowed++
			}
		}
		if len(evs) != 2 || denied != 1 || allowed != 1 {
			t.Fatalf("step-up audit: %d events, %d denied, %d allowed from the session", len(evs), denied, allowed)
		}

		// With a second factor: the password alone gets a challenge.
		const email = "mgr@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesManager, "")
		mgr := s.LoginAs(t, email)
		secret, _ := s.EnrollTOTP(t, mgr, clock.Now())
		clock.Advance(10 * time.Minute)
		if r := s.Do(t, "POST", "/api/v1/tokens", mgr, map[string]any{"name": "x", "scopes": []string{"customers:read"}}); r.ErrorCode() != "step_up_required" {
			t.Fatalf("stale token creation: %d %s", r.Status, r.Body)
		}
		r = s.Do(t, "POST", "/api/v1/auth/step-up", mgr, map[string]string{"password": testkit.PasswordFor(email)})
		var c challenge
		r.JSON(t, &c)
		if r.Status != 200 || !c.MFARequired || c.Token != "" {
			t.Fatalf("step-up without the factor: %d %s", r.Status, r.Body)
		}
		r = answer(t, s, c.MFAToken, map[string]any{"method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now())})
		r.JSON(t, &c)
		if r.Status != 200 || c.Token == "" {
			t.Fatalf("completing step-up: %d %s", r.Status, r.Body)
		}
		if s.Do(t, "GET", "/api/v1/auth/me", mgr, nil).Status != 401 {
			t.Fatal("old token works after a two-step step-up")
		}
		if r := s.Do(t, "POST", "/api/v1/tokens", c.Token, map[string]any{"name": "x", "scopes": []string{"customers:read"}}); r.Status != http.StatusCreated {
			t.Fatalf("after step-up: %d %s", r.Status, r.Body)
		}
		// One request with password and code works too.
		clock.Advance(10 * time.Minute)
		r = s.Do(t, "POST", "/api/v1/auth/step-up", c.Token, map[string]string{"password": testkit.PasswordFor(email), "method": "totp",
			"code": testkit.TOTPCode(t, secret, clock.Now())})
		if r.Status != 200 || r.Map(t)["token"] == nil {
			t.Fatalf("one-request step-up: %d %s", r.Status, r.Body)
		}
	})
}

func storeFilter(action string) domain.AuditFilter {
	return domain.AuditFilter{Action: action, Limit: 1000}
}

// TestDisabledMidSession disables a user between two of their requests:
// the second is refused, and so is their API token.
func TestDisabledMidSession(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		u := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		rep := s.LoginAs(t, "rep@x.example.com")
		tok := s.Do(t, "POST", "/api/v1/tokens", rep, map[string]any{"name": "sync", "scopes": []string{"customers:read"}}).Map(t)["token"].(string)
		if r := s.Do(t, "GET", "/api/v1/customers", rep, nil); r.Status != 200 {
			t.Fatalf("before: %d", r.Status)
		}
		admin := s.LoginAs(t, testkit.AdminEmail)
		if r := s.Do(t, "PATCH", "/api/v1/users/"+string(u.ID), admin, map[string]string{"status": "disabled"}); r.Status != 200 || r.Map(t)["status"] != "disabled" {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		for name, bearer := range map[string]string{"session": rep, "API token": tok} {
			if r := s.Do(t, "GET", "/api/v1/customers", bearer, nil); r.Status != 401 {
				t.Errorf("%s after disabling: %d", name, r.Status)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "rep@x.example.com", "password": testkit.PasswordFor("rep@x.example.com")}); r.Status != 401 {
			t.Errorf("sign-in after disabling: %d", r.Status)
		}
	})
}
