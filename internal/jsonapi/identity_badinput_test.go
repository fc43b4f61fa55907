package jsonapi_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// identitySnapshot renders every identity table a refused request could
// have touched.
func identitySnapshot(t *testing.T, raw *testkit.Raw) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, email, display_name, role, COALESCE(team_id, ''), status, password_hash, must_change_password, kind, mfa_enabled, updated_at FROM users ORDER BY id`,
		`SELECT name, functions, scope, fields, idle_timeout, absolute_timeout, max_sessions, require_mfa, version FROM roles ORDER BY name`,
		`SELECT id, user_id, expires_at, auth_at, mfa, COALESCE(revoked_at, 0) FROM sessions ORDER BY id`,
		`SELECT id, user_id, name, scopes, expires_at, COALESCE(revoked_at, 0) FROM api_tokens ORDER BY id`,
		`SELECT user_id, COALESCE(confirmed_at, 0), last_step FROM mfa_totp ORDER BY user_id`,
		`SELECT user_id, COALESCE(used_at, 0) FROM mfa_recovery_codes ORDER BY user_id, code_hash`,
		`SELECT id, user_id, name FROM webauthn_credentials ORDER BY id`,
		`SELECT id, name FROM territories ORDER BY id`,
		`SELECT territory_id, province, city FROM territory_regions ORDER BY territory_id, province, city`,
		`SELECT user_id, territory_id FROM user_territories ORDER BY user_id, territory_id`,
		`SELECT id, name FROM teams ORDER BY id`,
	} {
		dumpRows(t, raw, q, &b)
		b.WriteString("--\n")
	}
	return b.String()
}

func dumpRows(t *testing.T, raw *testkit.Raw, q string, b *strings.Builder) {
	t.Helper()
	rows, err := raw.DB.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			b.Write(v)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestIdentityBadInput sends wrong passwords, replayed and expired TOTP
// codes, malformed WebAuthn payloads, forged and expired tokens, tokens
// with the wrong scope, role names that do not exist, fields the caller
// may not set and malformed bodies to the identity endpoints. Each
// answers a clear error naming what was wrong, and the stored users,
// roles, sessions, tokens, factors, teams and territories are exactly as
// before.
func TestIdentityBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 9, 9, 0, 10, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		team := a.CreateTeam(t, "East")
		a.UpdateRole(t, domain.RoleSalesRep, func(r *domain.Role) { r.MaxSessions = 50 })
		a.UpdateRole(t, domain.RoleAdmin, func(r *domain.Role) { r.MaxSessions = 50 })
		rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, team)
		mgr := a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, team)
		admin := s.LoginAs(t, testkit.AdminEmail)
		adminID := s.Do(t, "GET", "/api/v1/auth/me", admin, nil).Map(t)["user"].(map[string]any)["id"].(string)
		repTok := s.LoginAs(t, "rep@x.example.com")
		const mfaEmail = "mfa@x.example.com"
		a.CreateUser(t, mfaEmail, domain.RoleSalesManager, team)
		secret, _ := s.EnrollTOTP(t, s.LoginAs(t, mfaEmail), clock.Now())
		usedCode := testkit.TOTPCode(t, secret, clock.Now())
		var readTok struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		s.Do(t, "POST", "/api/v1/tokens", repTok, map[string]any{"name": "read only", "scopes": []string{"customers:read"}, "expires_in_days": 1}).JSON(t, &readTok)
		var expTok struct {
			Token string `json:"token"`
		}
		s.Do(t, "POST", "/api/v1/tokens", repTok, map[string]any{"name": "expiring", "scopes": []string{"customers:read"}, "expires_in_days": 1}).JSON(t, &expTok)
		clock.Advance(30 * time.Second)
		// Challenges made before the snapshot (making one is a write).
		mfaChallenge := func() string {
			r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": mfaEmail, "password": testkit.PasswordFor(mfaEmail)})
			return r.Map(t)["mfa_token"].(string)
		}
		chReplay, chMalformed, chExpired := mfaChallenge(), mfaChallenge(), mfaChallenge()
		parts := strings.Split(repTok, ".")
		forgedSession := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		tparts := strings.Split(readTok.Token, ".")
		forgedToken := tparts[0] + "." + tparts[1] + "." + strings.Repeat("B", len(tparts[2]))

		raw := testkit.RawDB(t, a)
		before := identitySnapshot(t, raw)

		big := `{"email":"x@x.example.com","password":"` + strings.Repeat("p", 2<<20) + `"}`
		repPath := "/api/v1/users/" + string(rep.ID)
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			code, field               string
			advance                   time.Duration
		}{
			// Sign-in.
			{"wrong password", "POST", "/api/v1/auth/login", "", map[string]string{"email": "rep@x.example.com", "password": "definitely not it"}, 401, "unauthenticated", "", 0},
			{"unknown email", "POST", "/api/v1/auth/login", "", map[string]string{"email": "ghost@x.example.com", "password": "definitely not it"}, 401, "unauthenticated", "", 0},
			{"missing password", "POST", "/api/v1/auth/login", "", map[string]string{"email": "rep@x.example.com"}, 400, "invalid", "password", 0},
			{"missing email", "POST", "/api/v1/auth/login", "", map[string]string{"password": "whatever it is"}, 400, "invalid", "email", 0},
			{"login unknown field", "POST", "/api/v1/auth/login", "", `{"email":"rep@x.example.com","password":"x","remember":true}`, 400, "invalid", "remember", 0},
			{"login malformed", "POST", "/api/v1/auth/login", "", `{"email":`, 400, "invalid", "", 0},
			{"login oversized", "POST", "/api/v1/auth/login", "", big, 413, "too_large", "", 0},
			// Second factor.
			{"replayed TOTP code", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": chReplay, "method": "totp", "code": usedCode}, 401, "unauthenticated", "", 0},
			{"TOTP code too old", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": chReplay, "method": "totp", "code": testkit.TOTPCode(t, secret, clock.Now().Add(-2*time.Minute))}, 401, "unauthenticated", "", 0},
			{"TOTP code not digits", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": chReplay, "method": "totp", "code": "12a456"}, 400, "invalid", "code", 0},
			{"recovery code malformed", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": chReplay, "method": "recovery_code", "code": "short"}, 400, "invalid", "code", 0},
			{"unknown method", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": chReplay, "method": "sms", "code": "123456"}, 400, "invalid", "method", 0},
			{"malformed mfa token", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": "cm1.nope", "method": "totp", "code": "123456"}, 400, "invalid", "mfa_token", 0},
			{"forged mfa token", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": strings.Split(chMalformed, ".")[0] + "." + strings.Split(chMalformed, ".")[1] + "." + strings.Repeat("C", 43), "method": "totp", "code": "123456"}, 401, "unauthenticated", "", 0},
			{"webauthn not an object", "POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": chMalformed, "method": "webauthn", "credential": "AAAA"}, 400, "invalid", "credential", 0},
			{"webauthn garbage fields", "POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": chMalformed, "method": "webauthn", "credential": map[string]any{"id": 7, "response": "x"}}, 400, "invalid", "credential", 0},
			{"webauthn bad base64", "POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": chMalformed, "method": "webauthn", "credential": json.RawMessage(`{"id":"%%%","rawId":"%%%","type":"public-key","response":{"authenticatorData":"%%","clientDataJSON":"%%","signature":"%%"}}`)}, 400, "invalid", "credential", 0},
			{"webauthn huge", "POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": chMalformed, "method": "webauthn", "credential": map[string]string{"id": strings.Repeat("A", 70000)}}, 400, "invalid", "credential", 0},
			{"expired challenge", "POST", "/api/v1/auth/login/mfa", "", map[string]string{"mfa_token": chExpired, "method": "totp", "code": "123456"}, 401, "unauthenticated", "", 6 * time.Minute},
			// Bearer credentials.
			{"forged session token", "GET", "/api/v1/auth/me", forgedSession, nil, 401, "unauthenticated", "", 0},
			{"forged API token", "GET", "/api/v1/customers", forgedToken, nil, 401, "unauthenticated", "", 0},
			{"garbage bearer", "GET", "/api/v1/auth/me", "cs1." + strings.Repeat("x", 500), nil, 401, "unauthenticated", "", 0},
			{"wrong scope", "POST", "/api/v1/customers", readTok.Token, map[string]string{"name": "Nope"}, 403, "forbidden", "", 0},
			{"token reads users", "GET", "/api/v1/users", readTok.Token, nil, 403, "forbidden", "", 0},
			{"token makes a token", "POST", "/api/v1/tokens", readTok.Token, map[string]any{"name": "child", "scopes": []string{"customers:read"}}, 403, "forbidden", "", 0},
			{"expired API token", "GET", "/api/v1/customers", expTok.Token, nil, 401, "unauthenticated", "", 24 * time.Hour},
		}
		// From here on, sessions are re-opened fresh (the clock moved a day).
		for _, c := range cases {
			clock.Advance(c.advance)
			got := s.Do(t, c.method, c.path, c.token, c.body)
			if got.Status != c.status || got.ErrorCode() != c.code || got.ErrorField() != c.field {
				t.Errorf("%s: got %d %s, want %d %s field %q", c.name, got.Status, clip(got.Body), c.status, c.code, c.field)
			}
		}
		// Refused sign-ins leave failure counters (that is their purpose);
		// nothing else.
		if after := identitySnapshot(t, raw); after != before {
			t.Errorf("identity tables changed:\nbefore %s\nafter  %s", before, after)
		}

		admin = s.LoginAs(t, testkit.AdminEmail)
		repTok = s.LoginAs(t, "rep@x.example.com")
		mgrTok := s.LoginAs(t, "mgr@x.example.com")
		before = identitySnapshot(t, raw)
		unknownUser := "usr_01m84ztas6f8qe2qrsjv15xa69"
		fields := []struct {
			name, method, path, token string
			body                      any
			status                    int
			code, field               string
		}{
			{"unknown role on create", "POST", "/api/v1/users", admin, map[string]string{"email": "n1@x.example.com", "password": "a fine long passphrase", "role": "superuser"}, 400, "invalid", "role"},
			{"malformed role name", "POST", "/api/v1/users", admin, map[string]string{"email": "n1@x.example.com", "password": "a fine long passphrase", "role": "Admin; DROP TABLE users"}, 400, "invalid", "role"},
			{"unknown role on update", "PATCH", repPath, admin, map[string]string{"role": "superuser"}, 400, "invalid", "role"},
			{"common password", "POST", "/api/v1/users", admin, map[string]string{"email": "n2@x.example.com", "password": "password123456", "role": "sales_rep"}, 400, "invalid", "password"},
			{"short password", "POST", "/api/v1/users", admin, map[string]string{"email": "n2@x.example.com", "password": "short", "role": "sales_rep"}, 400, "invalid", "password"},
			{"bad kind", "POST", "/api/v1/users", admin, map[string]string{"email": "n2@x.example.com", "password": "a fine long passphrase", "role": "sales_rep", "kind": "robot"}, 400, "invalid", "kind"},
			{"mass assignment password hash", "PATCH", repPath, admin, map[string]string{"password_hash": strings.Repeat("$argon2id", 2)}, 400, "invalid", "password_hash"},
			{"mass assignment must_change", "PATCH", repPath, admin, map[string]any{"must_change_password": false}, 400, "invalid", "must_change_password"},
			{"mass assignment mfa", "PATCH", repPath, admin, map[string]any{"mfa_enabled": true}, 400, "invalid", "mfa_enabled"},
			{"bad status", "PATCH", repPath, admin, map[string]string{"status": "banned"}, 400, "invalid", "status"},
			{"bad team id", "PATCH", repPath, admin, map[string]string{"team_id": "cus_01m84ztas6f8qe2qrsjv15xa69"}, 400, "invalid", "team_id"},
			{"unknown team", "PATCH", repPath, admin, map[string]string{"team_id": "tea_01m84ztas6f8qe2qrsjv15xa69"}, 400, "invalid", "team_id"},
			{"unknown user", "PATCH", "/api/v1/users/" + unknownUser, admin, map[string]string{"display_name": "X"}, 404, "not_found", ""},
			{"nothing to change", "PATCH", repPath, admin, map[string]string{}, 400, "invalid", ""},
			{"admin changes own role", "PATCH", "/api/v1/users/" + adminID, admin, map[string]string{"role": "sales_rep"}, 403, "forbidden", "role"},
			{"admin disables self", "PATCH", "/api/v1/users/" + adminID, admin, map[string]string{"status": "disabled"}, 403, "forbidden", "status"},
			{"rep sets own role", "PATCH", repPath, repTok, map[string]string{"role": "admin"}, 403, "forbidden", ""},
			{"manager creates an admin", "POST", "/api/v1/users", mgrTok, map[string]string{"email": "n3@x.example.com", "password": "a fine long passphrase", "role": "admin"}, 403, "forbidden", ""},
			{"manager resets a password", "POST", repPath + "/password-reset", mgrTok, nil, 403, "forbidden", ""},
			{"rep ends manager's sessions", "DELETE", "/api/v1/users/" + string(mgr.ID) + "/sessions", repTok, nil, 403, "forbidden", ""},
			{"rep lists manager's tokens", "GET", "/api/v1/tokens?user_id=" + string(mgr.ID), repTok, nil, 403, "forbidden", ""},
			{"rep lists manager's sessions", "GET", "/api/v1/sessions?user_id=" + string(mgr.ID), repTok, nil, 403, "forbidden", ""},
			{"rep revokes another's token", "DELETE", "/api/v1/tokens/" + readTok.ID, mgrTok, nil, 404, "not_found", ""},
			{"unknown scope", "POST", "/api/v1/tokens", repTok, map[string]any{"name": "x", "scopes": []string{"everything"}}, 400, "invalid", "scopes"},
			{"no scopes", "POST", "/api/v1/tokens", repTok, map[string]any{"name": "x", "scopes": []string{}}, 400, "invalid", "scopes"},
			{"token lifetime", "POST", "/api/v1/tokens", repTok, map[string]any{"name": "x", "scopes": []string{"customers:read"}, "expires_in_days": 400}, 400, "invalid", "expires_in_days"},
			{"token without name", "POST", "/api/v1/tokens", repTok, map[string]any{"scopes": []string{"customers:read"}}, 400, "invalid", "name"},
			{"token for someone else", "POST", "/api/v1/tokens", repTok, map[string]any{"name": "x", "scopes": []string{"customers:read"}, "user_id": string(mgr.ID)}, 403, "forbidden", ""},
			{"token mass assignment", "POST", "/api/v1/tokens", repTok, map[string]any{"name": "x", "scopes": []string{"customers:read"}, "expires_at": "2099-01-01T00:00:00Z"}, 400, "invalid", "expires_at"},
			{"role mass assignment", "POST", "/api/v1/roles", admin, map[string]any{"name": "sneaky", "scope": "own", "builtin": true}, 400, "invalid", "builtin"},
			{"role wrong type", "POST", "/api/v1/roles", admin, map[string]any{"name": "sneaky", "scope": "own", "functions": "customers.read"}, 400, "invalid", "functions"},
			{"role unknown", "PATCH", "/api/v1/roles/nobody_has_this", admin, map[string]any{"require_mfa": true}, 404, "not_found", ""},
			{"role absolute below idle", "PATCH", "/api/v1/roles/sales_rep", admin, map[string]any{"session": map[string]int{"idle_timeout_seconds": 3600, "absolute_timeout_seconds": 600}}, 400, "invalid", "session.idle_timeout_seconds"},
			{"role max sessions zero", "PATCH", "/api/v1/roles/sales_rep", admin, map[string]any{"session": map[string]int{"max_sessions": 0}}, 400, "invalid", "session.max_sessions"},
			{"step-up wrong password", "POST", "/api/v1/auth/step-up", repTok, map[string]string{"password": "not my password"}, 403, "forbidden", "password"},
			{"step-up passkey in one step", "POST", "/api/v1/auth/step-up", repTok, map[string]string{"password": "x", "method": "webauthn"}, 400, "invalid", "method"},
			{"password change wrong current", "POST", "/api/v1/auth/password", repTok, map[string]string{"current_password": "not my password", "new_password": "a brand new passphrase"}, 403, "forbidden", "current_password"},
			{"password change same", "POST", "/api/v1/auth/password", repTok, map[string]string{"current_password": testkit.PasswordFor("rep@x.example.com"), "new_password": testkit.PasswordFor("rep@x.example.com")}, 400, "invalid", "new_password"},
			{"confirm TOTP without one", "POST", "/api/v1/mfa/totp/confirm", repTok, map[string]string{"code": "123456"}, 409, "conflict", ""},
			{"remove TOTP without one", "DELETE", "/api/v1/mfa/totp", repTok, nil, 404, "not_found", ""},
			{"remove unknown passkey", "DELETE", "/api/v1/mfa/webauthn/pky_01m84ztas6f8qe2qrsjv15xa69", repTok, nil, 404, "not_found", ""},
			{"passkey finish malformed", "POST", "/api/v1/mfa/webauthn/register/finish", repTok, map[string]any{"registration_token": unknownChallenge(), "credential": map[string]string{"type": "public-key"}}, 400, "invalid", "credential"},
			{"passkey finish bad token", "POST", "/api/v1/mfa/webauthn/register/finish", repTok, map[string]any{"registration_token": "nope", "credential": map[string]string{}}, 400, "invalid", "registration_token"},
			{"recovery codes without a factor", "POST", "/api/v1/mfa/recovery-codes", repTok, nil, 409, "conflict", ""},
			{"recovery codes with a body", "POST", "/api/v1/mfa/recovery-codes", repTok, map[string]string{"count": "100"}, 400, "invalid", "count"},
			{"territory bad id", "GET", "/api/v1/territories/usr_01m84ztas6f8qe2qrsjv15xa69", admin, nil, 400, "invalid", "id"},
			{"end session bad id", "DELETE", "/api/v1/sessions/xyz", repTok, nil, 400, "invalid", "id"},
			{"end unknown session", "DELETE", "/api/v1/sessions/ses_01m84ztas6f8qe2qrsjv15xa69", repTok, nil, 404, "not_found", ""},
			{"sessions unknown filter", "GET", "/api/v1/sessions?user=me", repTok, nil, 400, "invalid", "user"},
			{"reveal unknown customer", "POST", "/api/v1/customers/cus_01m84ztas6f8qe2qrsjv15xa69/reveal", admin, map[string]string{"field": "phone", "reason": "checking an order"}, 404, "not_found", ""},
		}
		for _, c := range fields {
			got := s.Do(t, c.method, c.path, c.token, c.body)
			if got.Status != c.status || got.ErrorCode() != c.code || got.ErrorField() != c.field {
				t.Errorf("%s: got %d %s, want %d %s field %q", c.name, got.Status, clip(got.Body), c.status, c.code, c.field)
			}
		}
		after := identitySnapshot(t, raw)
		if after != before {
			t.Errorf("identity tables changed:\nbefore %s\nafter  %s", before, after)
		}
		if testing.Verbose() {
			fmt.Println(len(cases)+len(fields), "bad requests refused")
		}
	})
}

// unknownChallenge is a well-formed challenge token no server issued.
func unknownChallenge() string {
	return "cm1.chl_01m84ztas6f8qe2qrsjv15xa69." + strings.Repeat("A", 43)
}
