package jsonapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// fixture holds the callers of the endpoint table and makes fresh records
// for its cells.
type fixture struct {
	t         *testing.T
	a         *testkit.TestApp
	s         *testkit.Server
	team      domain.ID
	users     map[caller]*domain.User
	tokens    map[caller]string
	customers []*fixtureCustomer
	n         int
	mfaEmail  string
	recovery  []string
	westRep   *domain.User // a rep of another team (created when needed)
}

// fixtureCustomer is a customer owned by the owner rep, with a value of
// every sensitive class whose plaintext the body checks look for.
type fixtureCustomer struct {
	id                                string
	name, phone, email, street, idNum string
	bank                              string
}

func newFixture(t *testing.T, d testkit.Dialect) *fixture {
	a := testkit.NewApp(t, d, testkit.AppOptions{})
	f := &fixture{t: t, a: a, s: testkit.Serve(t, a), users: map[caller]*domain.User{}, tokens: map[caller]string{}}
	// Cells open many sessions for the same callers; the limit is tested
	// elsewhere.
	for _, r := range []string{domain.RoleAdmin, domain.RoleSalesManager, domain.RoleSalesRep, domain.RoleFinance, domain.RoleService, domain.RoleAuditor} {
		a.UpdateRole(t, r, func(r *domain.Role) { r.MaxSessions = 100 })
	}
	f.team = a.CreateTeam(t, "East")
	adm, err := a.Store.Users.GetUserByEmail(t.Context(), testkit.AdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	f.users[admin], f.users[narrow] = adm, adm
	for c, team := range map[caller]domain.ID{manager: f.team, owner: f.team, other: f.team, finance: "", service: "", auditor: ""} {
		f.users[c] = a.CreateUser(t, string(c)+"@x.example.com", roleOf[c], team)
	}
	for _, c := range callers() {
		if c != anon && c != narrow {
			f.tokens[c] = f.s.Login(t, f.email(c), f.password(c))
		}
	}
	r := f.s.Do(t, "POST", "/api/v1/tokens", f.tokens[admin], map[string]any{"name": "auditing only", "scopes": []string{"audit:read"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("narrow token: %d %s", r.Status, r.Body)
	}
	f.tokens[narrow] = r.Map(t)["token"].(string)
	f.mfaEmail = "mfa@x.example.com"
	a.CreateUser(t, f.mfaEmail, domain.RoleSalesRep, "")
	_, f.recovery = f.s.EnrollTOTP(t, f.s.LoginAs(t, f.mfaEmail), time.Now())
	return f
}

func (f *fixture) next() int { f.n++; return f.n }

func (f *fixture) now() time.Time { return time.Now() }

func (f *fixture) email(c caller) string {
	if c == anon {
		return ""
	}
	if c == admin || c == narrow {
		return testkit.AdminEmail
	}
	return f.users[c].Email
}

func (f *fixture) password(c caller) string {
	if c == anon {
		return "no account, no password"
	}
	if c == admin || c == narrow {
		return testkit.AdminPassword
	}
	return testkit.PasswordFor(f.users[c].Email)
}

// login opens a fresh session for the caller (the token itself for the
// API-token caller; nothing for the anonymous one).
func (f *fixture) login(c caller) string {
	switch c {
	case anon:
		return ""
	case narrow:
		return f.tokens[narrow]
	}
	return f.s.Login(f.t, f.email(c), f.password(c))
}

// user creates a user of role without signing in.
func (f *fixture) user(role string) *domain.User {
	return f.a.CreateUser(f.t, fmt.Sprintf("u%d@x.example.com", f.next()), role, "")
}

// throwawayUser creates a user of role and signs them in.
func (f *fixture) throwawayUser(role string) (*domain.User, string) {
	team := domain.ID("")
	if role == domain.RoleSalesRep || role == domain.RoleSalesManager {
		team = f.team
	}
	u := f.a.CreateUser(f.t, fmt.Sprintf("tmp%d@x.example.com", f.next()), role, team)
	return u, f.s.LoginAs(f.t, u.Email)
}

// throwaway returns a fresh user with the caller's role, signed in, for
// requests that change the caller's own credentials (the API-token
// caller keeps its token; the anonymous caller gets nothing).
func (f *fixture) throwaway(c caller) (string, string) {
	switch c {
	case anon:
		return "", ""
	case narrow:
		return "", f.tokens[narrow]
	}
	u, tok := f.throwawayUser(roleOf[c])
	return u.Email, tok
}

func sessionCaller(c caller) bool { return c != anon && c != narrow }

// beginTOTP starts enrolling an authenticator app; "" when refused.
func (f *fixture) beginTOTP(tok string) string {
	r := f.s.Do(f.t, "POST", "/api/v1/mfa/totp", tok, nil)
	if r.Status != http.StatusOK {
		return ""
	}
	return r.Map(f.t)["secret"].(string)
}

func (f *fixture) code(secret string) string {
	if secret == "" {
		return "000000"
	}
	return testkit.TOTPCode(f.t, secret, time.Now())
}

// mfaChallenge signs in the user with a second factor: the first step.
func (f *fixture) mfaChallenge() string {
	r := f.s.Do(f.t, "POST", "/api/v1/auth/login", "", map[string]string{"email": f.mfaEmail, "password": testkit.PasswordFor(f.mfaEmail)})
	return r.Map(f.t)["mfa_token"].(string)
}

func (f *fixture) nextRecoveryCode() string {
	if len(f.recovery) == 0 {
		f.t.Fatal("out of recovery codes")
	}
	c := f.recovery[0]
	f.recovery = f.recovery[1:]
	return c
}

// role creates a custom role and returns its name.
func (f *fixture) role() string {
	name := fmt.Sprintf("custom_%d", f.next())
	if _, err := f.a.Identity.CreateRole(f.a.System(), &identity.RoleInput{Name: name, Scope: domain.ScopeOwn,
		Functions: []domain.Function{domain.FnCustomersRead}}); err != nil {
		f.t.Fatal(err)
	}
	return name
}

// territory creates a territory and returns its id.
func (f *fixture) territory() string {
	t, err := f.a.Identity.CreateTerritory(f.a.System(), &identity.TerritoryInput{Name: fmt.Sprintf("Territory %d", f.next()),
		Regions: []identity.RegionInput{{Province: "广东省", City: "深圳市"}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return string(t.ID)
}

const givenNames = "晓明华芳伟娜静丽强磊军洋勇艳杰涛超秀霞平刚桂英敏玲建国"

// customer creates a customer owned by the owner rep with a value in every
// sensitive class.
func (f *fixture) customer() *fixtureCustomer {
	n := f.next()
	g := []rune(givenNames)
	cu := &fixtureCustomer{
		name:   "张" + string(g[n%len(g)]) + string(g[(n/len(g))%len(g)]),
		phone:  fmt.Sprintf("139%08d", n),
		email:  fmt.Sprintf("sentinel.%d@example.com", n),
		street: fmt.Sprintf("Sentinel Road %d", n),
		idNum:  cnResidentID(n),
		bank:   fmt.Sprintf("62220200%08d", n),
	}
	c, err := f.a.Records.CreateCustomer(f.a.System(), &domain.CustomerInput{
		Name: cu.name, Phone: cu.phone, Email: cu.email, IDNumber: cu.idNum, BankAccount: cu.bank,
		Address: &domain.AddressInput{Province: "广东省", City: "深圳市", Street: cu.street}, OwnerID: f.users[owner].ID,
	})
	if err != nil {
		f.t.Fatalf("create customer: %v", err)
	}
	cu.id = string(c.ID)
	f.customers = append(f.customers, cu)
	return cu
}

// cnResidentID returns a valid GB 11643 resident id number with serial n.
func cnResidentID(n int) string {
	body := fmt.Sprintf("11010519800101%03d", n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// checkBody asserts an answer holds nothing the caller may not see: no
// password or secret hashes, no other caller's token secret, and no
// plaintext of a customer field the caller's role masks or hides or of a
// customer outside the caller's scope (except what a reveal returned).
func (f *fixture) checkBody(t *testing.T, c caller, body []byte, reveals []string) {
	b := string(body)
	for _, never := range []string{"$argon2id", "secret_hash", "password_hash", "SecretHash", "PasswordHash"} {
		if strings.Contains(b, never) {
			t.Errorf("the answer to %s holds %q", c, never)
		}
	}
	for other, tok := range f.tokens {
		if other != c && other != admin && other != narrow && strings.Contains(b, tok[strings.LastIndexByte(tok, '.')+1:]) {
			t.Errorf("the answer to %s holds %s's token secret", c, other)
		}
	}
	var role *domain.Role
	if c != anon {
		role, _ = f.a.Store.Users.GetRole(t.Context(), roleOf[c])
	}
	inScope := func() bool {
		switch c {
		case anon:
			return false
		case owner, manager:
			return true // owned by owner, team East
		case other:
			return false
		}
		return role.Scope == domain.ScopeAll
	}()
	for _, cu := range f.customers {
		for _, v := range []struct {
			class domain.FieldClass
			value string
		}{
			{domain.ClassContact, cu.name}, {domain.ClassContact, cu.phone}, {domain.ClassContact, cu.email},
			{domain.ClassContact, cu.street}, {domain.ClassIdentity, cu.idNum}, {domain.ClassFinancial, cu.bank},
		} {
			if !strings.Contains(b, v.value) {
				continue
			}
			allowed := inScope && role.FieldAccess(v.class) >= domain.AccessRead
			for _, r := range reveals {
				allowed = allowed || r == v.value
			}
			if !allowed {
				t.Errorf("the answer to %s holds the %s value %q", c, v.class, v.value)
			}
		}
	}
}

// csvUpload is the Content-Type of a raw CSV upload.
var csvUpload = http.Header{"Content-Type": {"text/csv"}}

// importDone runs an import as the administrator to its end and returns
// its id; refused: one row of it is invalid, so it has a report.
func (f *fixture) importDone(refused bool) string {
	body := fmt.Sprintf("name,phone\nImported %d,\n", f.next())
	if refused {
		body += "Bad phone,123\n"
	}
	r := f.s.DoWith(f.t, "POST", "/api/v1/imports/customers", f.tokens[admin], body, csvUpload)
	if r.Status != http.StatusAccepted {
		f.t.Fatalf("start an import: %d %s", r.Status, r.Body)
	}
	id := r.Map(f.t)["id"].(string)
	waitImport(f.t, f.s, f.tokens[admin], id)
	return id
}
