package jsonapi_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestAPITokens: a token is shown once and stored hashed; it reaches what
// both its scopes and its owner's role allow; it records its last use,
// expires, and stops at once when revoked. Tokens never manage tokens.
// Service accounts cannot sign in and hold tokens an administrator makes.
func TestAPITokens(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		repID := string(a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "").ID)
		rep := s.LoginAs(t, "rep@x.example.com")
		r := s.Do(t, "POST", "/api/v1/tokens", rep, map[string]any{"name": "sync script", "scopes": []string{"customers:read"}, "expires_in_days": 30})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var tok struct {
			ID        string    `json:"id"`
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		}
		r.JSON(t, &tok)
		if !strings.HasPrefix(tok.Token, "ct1.tok_") || !tok.ExpiresAt.Equal(clock.Now().Add(30*24*time.Hour)) {
			t.Fatalf("token %+v", tok)
		}
		secret := tok.Token[strings.LastIndexByte(tok.Token, '.')+1:]
		if bytes.Contains(testkit.StoredBytes(t, a), []byte(secret)) {
			t.Fatal("the token secret is stored in the clear")
		}
		list := s.Do(t, "GET", "/api/v1/tokens", rep, nil)
		if list.Status != 200 || strings.Contains(string(list.Body), secret) || !strings.Contains(string(list.Body), tok.ID) {
			t.Fatalf("list: %d %s", list.Status, list.Body)
		}
		// Scopes and role both apply.
		if r := s.Do(t, "GET", "/api/v1/customers", tok.Token, nil); r.Status != 200 {
			t.Fatalf("read with customers:read: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers", tok.Token, map[string]any{"name": "Via Token"}); r.Status != 403 {
			t.Fatalf("write with customers:read: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/tokens", rep, map[string]any{"name": "too much", "scopes": []string{"audit:read"}}); r.Status != 400 || r.ErrorField() != "scopes" {
			t.Fatalf("a scope the role does not grant: %d %s", r.Status, r.Body)
		}
		// Tokens do not manage tokens, sessions' credentials or step up.
		for _, c := range []struct{ method, path string }{{"POST", "/api/v1/tokens"}, {"DELETE", "/api/v1/tokens/" + tok.ID}, {"POST", "/api/v1/auth/step-up"}, {"POST", "/api/v1/mfa/totp"}} {
			got := s.Do(t, c.method, c.path, tok.Token, map[string]any{})
			if got.Status != 403 && got.Status != 400 {
				t.Errorf("%s %s with an API token: %d %s", c.method, c.path, got.Status, got.Body)
			}
		}
		clock.Advance(2 * time.Minute)
		s.Do(t, "GET", "/api/v1/customers", tok.Token, nil)
		raw := testkit.RawDB(t, a)
		deadline := time.Now().Add(5 * time.Second)
		for raw.Int(t, `SELECT COUNT(*) FROM api_tokens WHERE id = ? AND last_used_at IS NOT NULL`, tok.ID) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("last use never recorded")
			}
			time.Sleep(10 * time.Millisecond) // the last-use refresh is off the request path
		}
		// Revocation works on the next request.
		if r := s.Do(t, "DELETE", "/api/v1/tokens/"+tok.ID, rep, nil); r.Status != 204 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", tok.Token, nil); r.Status != 401 {
			t.Fatalf("revoked token: %d", r.Status)
		}
		// Expiry.
		r = s.Do(t, "POST", "/api/v1/tokens", rep, map[string]any{"name": "short", "scopes": []string{"customers:*"}, "expires_in_days": 1})
		r.JSON(t, &tok)
		if s.Do(t, "GET", "/api/v1/customers", tok.Token, nil).Status != 200 {
			t.Fatal("fresh token refused")
		}
		clock.Advance(24*time.Hour + time.Second)
		if r := s.Do(t, "GET", "/api/v1/customers", tok.Token, nil); r.Status != 401 {
			t.Fatalf("expired token: %d", r.Status)
		}

		// Service accounts.
		admin := s.LoginAs(t, testkit.AdminEmail)
		r = s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "erp@svc.example.com", "role": "finance", "kind": "service"})
		if r.Status != 201 {
			t.Fatalf("service account: %d %s", r.Status, r.Body)
		}
		svcID := r.Map(t)["id"].(string)
		if r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "erp@svc.example.com", "password": "anything at all here"}); r.Status != 401 {
			t.Fatalf("service account signs in: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "erp2@svc.example.com", "role": "finance", "kind": "service", "password": "some long passphrase"}); r.Status != 400 || r.ErrorField() != "password" {
			t.Fatalf("service account with a password: %d %s", r.Status, r.Body)
		}
		r = s.Do(t, "POST", "/api/v1/tokens", admin, map[string]any{"name": "ERP", "scopes": []string{"customers:read", "deals:*"}, "user_id": svcID})
		r.JSON(t, &tok)
		if r.Status != 201 {
			t.Fatalf("token for the service account: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", tok.Token, nil); r.Status != 200 {
			t.Fatalf("service account token: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/tokens", admin, map[string]any{"name": "x", "scopes": []string{"customers:read"}, "user_id": repID}); r.Status != 400 || r.ErrorField() != "user_id" {
			t.Fatalf("token for another person: %d %s", r.Status, r.Body)
		}
	})
}
