package jsonapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// The endpoint table drives every API route as every kind of caller and
// checks each answer's status and that the body holds nothing the caller
// may not see. A route added to the API without a row here fails the
// test (see TestEveryEndpointEveryActor).
//
// To add a route: append one row to endpointTable with
//   - route: "METHOD /pattern" exactly as registered;
//   - req: a builder returning the request for a caller. It may create
//     fresh records through f (f.customer, f.user, f.login…) so destructive
//     requests never disturb other cells, and may override the caller's
//     token (e.g. a fresh session for logout);
//   - want: the expected status for every caller in callers(). Start from
//     a helper (adminOnly, signedIn, readers…) and override with set().

// caller is who sends a request.
type caller string

const (
	anon    caller = "anonymous"
	admin   caller = "admin"
	manager caller = "sales_manager" // team East
	owner   caller = "owner"         // a sales_rep in team East who owns the record (or is the user)
	other   caller = "other_rep"     // another sales_rep in team East
	finance caller = "finance"
	service caller = "service"
	auditor caller = "auditor"
	narrow  caller = "narrow_token" // the administrator's API token with scope audit:read only
)

func callers() []caller {
	return []caller{anon, admin, manager, owner, other, finance, service, auditor, narrow}
}

// roleOf names each caller's built-in role.
var roleOf = map[caller]string{
	admin: domain.RoleAdmin, manager: domain.RoleSalesManager, owner: domain.RoleSalesRep, other: domain.RoleSalesRep,
	finance: domain.RoleFinance, service: domain.RoleService, auditor: domain.RoleAuditor, narrow: domain.RoleAdmin,
}

// request is one cell's request. token "" sends the caller's own
// credential; reveals lists plaintext values the answer may show although
// the caller's role masks them (the reveal endpoint).
type request struct {
	path    string
	body    any
	token   string
	reveals []string
	header  http.Header // extra headers (an upload's Content-Type)
}

type endpointRow struct {
	route string
	req   func(f *fixture, c caller) request
	want  map[caller]int
}

// Expectation helpers: anonymous callers get 401 unless said otherwise.
func expect(others int) map[caller]int {
	m := map[caller]int{}
	for _, c := range callers() {
		m[c] = others
	}
	m[anon] = http.StatusUnauthorized
	return m
}

// adminOnly: the administrator's session gets ok; other roles and the
// narrowly scoped token are forbidden.
func adminOnly(ok int) map[caller]int { return set(expect(http.StatusForbidden), admin, ok) }

// signedIn: every session and the token get ok.
func signedIn(ok int) map[caller]int { return expect(ok) }

// sessionsOnly: every session gets ok; the API token is forbidden
// (credentials are managed in sessions only).
func sessionsOnly(ok int) map[caller]int { return set(expect(ok), narrow, http.StatusForbidden) }

func set(m map[caller]int, kv ...any) map[caller]int {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(caller)] = kv[i+1].(int)
	}
	return m
}

func p(path string, body any) request { return request{path: path, body: body} }

// sessionID returns the session id inside a session token.
func sessionID(tok string) string { return strings.Split(tok, ".")[1] }

var endpointTable = []endpointRow{
	// Sign-in and the session itself.
	{"POST /api/v1/auth/login", func(f *fixture, c caller) request {
		if c == anon {
			return p("/api/v1/auth/login", map[string]string{"email": "nobody@x.example.com", "password": "no account behind this"})
		}
		return p("/api/v1/auth/login", map[string]string{"email": f.email(c), "password": f.password(c)})
	}, set(signedIn(200), anon, 401)},
	{"POST /api/v1/auth/login/mfa", func(f *fixture, c caller) request {
		return p("/api/v1/auth/login/mfa", map[string]string{"mfa_token": f.mfaChallenge(), "method": "recovery_code", "code": f.nextRecoveryCode()})
	}, set(signedIn(200), anon, 200)},
	{"POST /api/v1/auth/logout", func(f *fixture, c caller) request {
		return request{path: "/api/v1/auth/logout", token: f.login(c)}
	}, set(signedIn(204), narrow, 400)},
	{"GET /api/v1/auth/me", func(f *fixture, c caller) request { return p("/api/v1/auth/me", nil) }, signedIn(200)},
	{"PATCH /api/v1/auth/me/preferences", func(f *fixture, c caller) request {
		return p("/api/v1/auth/me/preferences", map[string]string{"locale": "zh-CN", "time_zone": "Asia/Shanghai"})
	}, signedIn(200)},
	{"POST /api/v1/auth/step-up", func(f *fixture, c caller) request {
		return request{path: "/api/v1/auth/step-up", body: map[string]string{"password": f.password(c)}, token: f.login(c)}
	}, sessionsOnly(200)},
	{"POST /api/v1/auth/password", func(f *fixture, c caller) request {
		email, tok := f.throwaway(c)
		return request{path: "/api/v1/auth/password", token: tok,
			body: map[string]string{"current_password": testkit.PasswordFor(email), "new_password": "a brand new passphrase for " + email}}
	}, sessionsOnly(204)},

	// Users.
	{"POST /api/v1/users", func(f *fixture, c caller) request {
		n := f.next()
		return p("/api/v1/users", map[string]string{"email": fmt.Sprintf("new%d@x.example.com", n), "password": testkit.PasswordFor("new@x.example.com"),
			"role": "sales_rep", "display_name": "New"})
	}, adminOnly(201)},
	{"GET /api/v1/users", func(f *fixture, c caller) request { return p("/api/v1/users", nil) }, adminOnly(200)},
	{"GET /api/v1/users/{id}", func(f *fixture, c caller) request { return p("/api/v1/users/"+string(f.users[owner].ID), nil) },
		set(adminOnly(200), owner, 200)},
	{"PATCH /api/v1/users/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/users/"+string(f.user(domain.RoleSalesRep).ID), map[string]string{"display_name": "Renamed"})
	}, adminOnly(200)},
	{"POST /api/v1/users/{id}/password-reset", func(f *fixture, c caller) request {
		return p("/api/v1/users/"+string(f.user(domain.RoleSalesRep).ID)+"/password-reset", nil)
	}, adminOnly(204)},
	{"DELETE /api/v1/users/{id}/mfa", func(f *fixture, c caller) request {
		return p("/api/v1/users/"+string(f.user(domain.RoleSalesRep).ID)+"/mfa", nil)
	}, adminOnly(204)},

	// Customers.
	{"POST /api/v1/customers", func(f *fixture, c caller) request {
		return p("/api/v1/customers", map[string]any{"kind": "company", "name": fmt.Sprintf("Company %d Ltd", f.next())})
	}, set(signedIn(201), finance, 403, service, 403, auditor, 403, narrow, 403)},
	{"GET /api/v1/customers", func(f *fixture, c caller) request { f.customer(); return p("/api/v1/customers", nil) },
		set(signedIn(200), auditor, 403, narrow, 403)},
	{"POST /api/v1/customers/search", func(f *fixture, c caller) request {
		return p("/api/v1/customers/search", map[string]string{"phone": f.customer().phone})
	}, set(signedIn(200), auditor, 403, narrow, 403)},
	{"GET /api/v1/customers/{id}", func(f *fixture, c caller) request { return p("/api/v1/customers/"+f.customer().id, nil) },
		set(signedIn(200), other, 404, auditor, 403, narrow, 403)},
	{"PATCH /api/v1/customers/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/customers/"+f.customer().id, map[string]any{"tags": []string{"vip"}})
	}, set(signedIn(200), other, 404, finance, 403, service, 403, auditor, 403, narrow, 403)},
	{"DELETE /api/v1/customers/{id}", func(f *fixture, c caller) request { return p("/api/v1/customers/"+f.customer().id, nil) },
		set(signedIn(204), other, 404, finance, 403, service, 403, auditor, 403, narrow, 403)},
	{"POST /api/v1/customers/{id}/reveal", func(f *fixture, c caller) request {
		cu := f.customer()
		return request{path: "/api/v1/customers/" + cu.id + "/reveal", body: map[string]string{"field": "phone", "reason": "customer on the phone"},
			reveals: []string{cu.phone}}
	}, set(signedIn(200), owner, 403, other, 403, auditor, 403, narrow, 403)},
	// Imports: only the administrator holds customers.import.
	{"POST /api/v1/imports/{kind}", func(f *fixture, c caller) request {
		return request{path: "/api/v1/imports/customers", body: fmt.Sprintf("name,industry\nImported %d,retail\n", f.next()),
			header: csvUpload}
	}, adminOnly(202)},
	{"GET /api/v1/imports/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/imports/"+f.importDone(false), nil)
	}, adminOnly(200)},
	{"GET /api/v1/imports/{id}/report", func(f *fixture, c caller) request {
		return p("/api/v1/imports/"+f.importDone(true)+"/report", nil)
	}, adminOnly(200)},
	{"GET /api/v1/customers/export", func(f *fixture, c caller) request { f.customer(); return p("/api/v1/customers/export", nil) },
		set(signedIn(200), owner, 403, other, 403, service, 403, auditor, 403, narrow, 403)},

	// Sessions.
	{"GET /api/v1/sessions", func(f *fixture, c caller) request { return p("/api/v1/sessions", nil) }, signedIn(200)},
	{"DELETE /api/v1/sessions/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/sessions/"+sessionID(f.login(owner)), nil)
	}, set(expect(404), owner, 204, admin, 204)},
	{"DELETE /api/v1/users/{id}/sessions", func(f *fixture, c caller) request {
		u, tok := f.throwawayUser(domain.RoleSalesRep)
		r := p("/api/v1/users/"+string(u.ID)+"/sessions", nil)
		if c == owner {
			r.token = tok // the user ends their own sessions
		}
		return r
	}, set(adminOnly(204), owner, 204)},

	// Second factors: each caller manages their own (fresh users where the
	// request changes what they have).
	{"GET /api/v1/mfa", func(f *fixture, c caller) request { return p("/api/v1/mfa", nil) }, signedIn(200)},
	{"POST /api/v1/mfa/totp", func(f *fixture, c caller) request {
		_, tok := f.throwaway(c)
		return request{path: "/api/v1/mfa/totp", token: tok}
	}, sessionsOnly(200)},
	{"POST /api/v1/mfa/totp/confirm", func(f *fixture, c caller) request {
		_, tok := f.throwaway(c)
		secret := f.beginTOTP(tok)
		return request{path: "/api/v1/mfa/totp/confirm", token: tok, body: map[string]string{"code": f.code(secret)}}
	}, sessionsOnly(200)},
	{"DELETE /api/v1/mfa/totp", func(f *fixture, c caller) request {
		_, tok := f.throwaway(c)
		if sessionCaller(c) {
			f.s.EnrollTOTP(f.t, tok, f.now())
		}
		return request{path: "/api/v1/mfa/totp", token: tok}
	}, sessionsOnly(204)},
	{"POST /api/v1/mfa/recovery-codes", func(f *fixture, c caller) request {
		_, tok := f.throwaway(c)
		if sessionCaller(c) {
			f.s.EnrollTOTP(f.t, tok, f.now())
		}
		return request{path: "/api/v1/mfa/recovery-codes", token: tok}
	}, sessionsOnly(200)},
	{"POST /api/v1/mfa/webauthn/register", func(f *fixture, c caller) request {
		return p("/api/v1/mfa/webauthn/register", map[string]string{"name": "laptop"})
	}, sessionsOnly(200)},
	{"POST /api/v1/mfa/webauthn/register/finish", func(f *fixture, c caller) request {
		_, tok := f.throwaway(c)
		if !sessionCaller(c) {
			return request{path: "/api/v1/mfa/webauthn/register/finish", token: tok,
				body: map[string]any{"registration_token": unknownChallenge(), "credential": map[string]string{}}}
		}
		r := f.s.Do(f.t, "POST", "/api/v1/mfa/webauthn/register", tok, map[string]string{"name": "phone"})
		var begin struct {
			RegistrationToken string          `json:"registration_token"`
			Options           json.RawMessage `json:"options"`
		}
		r.JSON(f.t, &begin)
		return request{path: "/api/v1/mfa/webauthn/register/finish", token: tok,
			body: map[string]any{"registration_token": begin.RegistrationToken, "credential": testkit.NewPasskey().Create(f.t, begin.Options)}}
	}, sessionsOnly(201)},
	{"DELETE /api/v1/mfa/webauthn/{id}", func(f *fixture, c caller) request {
		_, tok := f.throwaway(owner)
		f.s.RegisterPasskey(f.t, tok, "key")
		var st struct {
			Passkeys []struct {
				ID string `json:"id"`
			} `json:"passkeys"`
		}
		f.s.Do(f.t, "GET", "/api/v1/mfa", tok, nil).JSON(f.t, &st)
		r := p("/api/v1/mfa/webauthn/"+st.Passkeys[0].ID, nil)
		if c == owner {
			r.token = tok
		}
		return r
	}, set(expect(404), owner, 204, narrow, 403)},

	// API tokens.
	{"GET /api/v1/tokens", func(f *fixture, c caller) request { return p("/api/v1/tokens", nil) }, signedIn(200)},
	{"POST /api/v1/tokens", func(f *fixture, c caller) request {
		scope := "customers:read"
		if c == auditor {
			scope = "audit:read"
		}
		return p("/api/v1/tokens", map[string]any{"name": "script", "scopes": []string{scope}})
	}, sessionsOnly(201)},
	{"DELETE /api/v1/tokens/{id}", func(f *fixture, c caller) request {
		r := f.s.Do(f.t, "POST", "/api/v1/tokens", f.tokens[owner], map[string]any{"name": "owned", "scopes": []string{"customers:read"}})
		return p("/api/v1/tokens/"+r.Map(f.t)["id"].(string), nil)
	}, set(expect(404), owner, 204, admin, 204, narrow, 403)},

	// Roles.
	{"GET /api/v1/roles", func(f *fixture, c caller) request { return p("/api/v1/roles", nil) }, adminOnly(200)},
	{"POST /api/v1/roles", func(f *fixture, c caller) request {
		return p("/api/v1/roles", map[string]any{"name": fmt.Sprintf("role_%d", f.next()), "scope": "own", "functions": []string{"customers.read"}})
	}, adminOnly(201)},
	{"GET /api/v1/roles/{name}", func(f *fixture, c caller) request { return p("/api/v1/roles/sales_rep", nil) }, adminOnly(200)},
	{"PATCH /api/v1/roles/{name}", func(f *fixture, c caller) request {
		return p("/api/v1/roles/"+f.role(), map[string]any{"require_mfa": true})
	}, adminOnly(200)},
	{"DELETE /api/v1/roles/{name}", func(f *fixture, c caller) request { return p("/api/v1/roles/"+f.role(), nil) }, adminOnly(204)},

	// Teams and territories.
	{"GET /api/v1/teams", func(f *fixture, c caller) request { return p("/api/v1/teams", nil) }, adminOnly(200)},
	{"POST /api/v1/teams", func(f *fixture, c caller) request {
		return p("/api/v1/teams", map[string]string{"name": fmt.Sprintf("Team %d", f.next())})
	}, adminOnly(201)},
	{"GET /api/v1/territories", func(f *fixture, c caller) request { return p("/api/v1/territories", nil) }, adminOnly(200)},
	{"POST /api/v1/territories", func(f *fixture, c caller) request {
		return p("/api/v1/territories", map[string]any{"name": fmt.Sprintf("T%d", f.next()), "regions": []map[string]string{{"province": "浙江省"}}})
	}, adminOnly(201)},
	{"GET /api/v1/territories/{id}", func(f *fixture, c caller) request { return p("/api/v1/territories/"+f.territory(), nil) }, adminOnly(200)},
	{"PUT /api/v1/territories/{id}", func(f *fixture, c caller) request {
		return p("/api/v1/territories/"+f.territory(), map[string]any{"name": fmt.Sprintf("T%d", f.next()), "regions": []map[string]string{{"province": "江苏省", "city": "南京市"}}})
	}, adminOnly(200)},
	{"DELETE /api/v1/territories/{id}", func(f *fixture, c caller) request { return p("/api/v1/territories/"+f.territory(), nil) }, adminOnly(204)},
}

// TestEveryEndpointEveryActor runs the endpoint table on both databases.
func TestEveryEndpointEveryActor(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newFixture(t, d)
		rows := map[string]endpointRow{}
		for _, row := range endpointTable {
			if _, dup := rows[row.route]; dup {
				t.Fatalf("two rows for %s", row.route)
			}
			rows[row.route] = row
		}
		seen := map[string]bool{}
		for _, rt := range f.a.API.Routes() {
			route := rt.Method + " " + rt.Pattern
			seen[route] = true
			row, ok := rows[route]
			if !ok {
				t.Errorf("%s has no row in the endpoint table: add one (see endpointTable)", route)
				continue
			}
			for _, c := range callers() {
				want, ok := row.want[c]
				if !ok {
					t.Errorf("%s: no expected status for %s", route, c)
					continue
				}
				t.Run(strings.ReplaceAll(route, "/", "_")+"/"+string(c), func(t *testing.T) {
					f.t = t
					req := row.req(f, c)
					tok := req.token
					if tok == "" && c != anon {
						tok = f.tokens[c]
					}
					if c == anon {
						tok = ""
					}
					got := f.s.DoWith(t, rt.Method, req.path, tok, req.body, req.header)
					if got.Status != want {
						t.Errorf("%s %s as %s: %d %s, want %d", rt.Method, req.path, c, got.Status, clip(got.Body), want)
					}
					f.checkBody(t, c, got.Body, req.reveals)
				})
			}
		}
		for route := range rows {
			if !seen[route] {
				t.Errorf("the endpoint table has a row for %s, which the API does not serve", route)
			}
		}
	})
}
