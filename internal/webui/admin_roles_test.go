package webui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// An administrator creates a custom role and sets its field-access
// matrix, functions and scope; a built-in role is shown read-only and a
// change to it is refused; bad names are shown at their field.
func TestAdminRoles(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	c := newClient(t, s)
	c.signIn(testkit.AdminEmail, testkit.AdminPassword)
	if p := c.get("/admin/roles"); p.Status != http.StatusOK || !strings.Contains(p.Body, domain.RoleSalesRep) {
		t.Fatalf("roles: %d", p.Status)
	}
	p := c.post("/admin/roles", url.Values{"name": {"field_agent"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/roles/field_agent?done=role_created" {
		t.Fatalf("create: %d → %q %s", p.Status, p.Location, p.Body)
	}
	p = c.get("/admin/roles/field_agent")
	if p.Status != http.StatusOK || strings.Count(p.Body, `type="radio"`) != 4*len(domain.AllFieldClasses) {
		t.Fatalf("matrix: %d, %d radios", p.Status, strings.Count(p.Body, `type="radio"`))
	}
	form := url.Values{"field.public": {"read"}, "field.contact": {"masked"}, "field.note": {"write"},
		"function": {string(domain.FnCustomersRead), string(domain.FnNotesWrite)}, "scope": {"team"}, "require_mfa": {"on"}}
	if p := c.post("/admin/roles/field_agent", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.Status, p.Body)
	}
	r, err := a.Identity.GetRole(a.ActAs(t, testkit.AdminEmail), "field_agent")
	if err != nil || r.FieldAccess(domain.ClassContact) != domain.AccessMasked || r.FieldAccess(domain.ClassNote) != domain.AccessWrite ||
		r.FieldAccess(domain.ClassIdentity) != domain.AccessNone || !r.Functions[domain.FnCustomersRead] || r.Functions[domain.FnUsersManage] ||
		r.Scope != domain.ScopeTeam || !r.RequireMFA {
		t.Fatalf("saved role: %+v, %v", r, err)
	}
	if p := c.get("/admin/roles/field_agent"); !strings.Contains(p.Body, `name="field.contact" value="masked" checked`) {
		t.Error("the matrix does not show the saved access")
	}
	for _, bad := range []url.Values{
		{"field.contact": {"everything"}, "scope": {"team"}},
		{"function": {"launch.missiles"}, "scope": {"team"}},
		{"scope": {"galaxy"}},
	} {
		if p := c.post("/admin/roles/field_agent", bad); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `role="alert"`) {
			t.Errorf("%v: %d", bad, p.Status)
		}
	}
	// Built-in: read-only, and a forged change is refused.
	p = c.get("/admin/roles/" + domain.RoleSalesRep)
	if p.Status != http.StatusOK || strings.Contains(p.Body, `type="radio"`) || !strings.Contains(p.Body, "A built-in role") {
		t.Fatalf("built-in role page: %d", p.Status)
	}
	before, _ := a.Identity.GetRole(a.ActAs(t, testkit.AdminEmail), domain.RoleSalesRep)
	if p := c.post("/admin/roles/"+domain.RoleSalesRep, url.Values{"field.identity": {"write"}, "scope": {"all"}}); p.Status != http.StatusForbidden {
		t.Errorf("change a built-in role: %d", p.Status)
	}
	after, _ := a.Identity.GetRole(a.ActAs(t, testkit.AdminEmail), domain.RoleSalesRep)
	if after.FieldAccess(domain.ClassIdentity) != before.FieldAccess(domain.ClassIdentity) || after.Scope != before.Scope {
		t.Error("a built-in role changed")
	}
	for name, want := range map[string]int{"X": http.StatusBadRequest, "field_agent": http.StatusConflict} {
		if p := c.post("/admin/roles", url.Values{"name": {name}}); p.Status != want || !strings.Contains(p.Body, "role-name-error") {
			t.Errorf("new role %q: %d", name, p.Status)
		}
	}
	if p := c.get("/admin/roles/no_such_role"); p.Status != http.StatusNotFound {
		t.Errorf("no such role: %d", p.Status)
	}
}

// Teams and territories are listed and created; API tokens are given to
// service accounts only, their secret shown once, and revoked.
func TestAdminTeamsAndTokens(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	svc := a.CreateServiceAccount(t, "sync@x.example.com", domain.RoleSalesRep)
	s := testkit.Serve(t, a)
	c := newClient(t, s)
	c.signIn(testkit.AdminEmail, testkit.AdminPassword)
	c.get("/admin/teams")
	if p := c.post("/admin/teams", url.Values{"name": {"East"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("team: %d", p.Status)
	}
	if p := c.post("/admin/teams", url.Values{"name": {""}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "team_name-error") {
		t.Errorf("empty team name: %d", p.Status)
	}
	if p := c.post("/admin/territories", url.Values{"name": {"Jiangsu"}, "province": {"江苏省"}, "city": {"南京市"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("territory: %d %s", p.Status, p.Body)
	}
	if p := c.post("/admin/territories", url.Values{"name": {""}}); p.Status != http.StatusBadRequest {
		t.Errorf("empty territory name: %d", p.Status)
	}
	if p := c.get("/admin/teams"); !strings.Contains(p.Body, "East") || !strings.Contains(p.Body, "南京市") {
		t.Error("the new team or territory is not listed")
	}

	svcPath := "/admin/users/" + string(svc.ID)
	c.get(svcPath)
	p := c.post(svcPath+"/tokens", url.Values{"name": {"nightly sync"}, "scope": {"customers:read"}, "expires_in_days": {"30"}})
	if p.Status != http.StatusOK {
		t.Fatalf("token: %d %s", p.Status, p.Body)
	}
	secret := regexpFind(t, p.Body, `id="token-secret">([^<]+)<`)
	if _, err := a.Identity.Authenticate(t.Context(), secret); err != nil {
		t.Fatalf("the shown secret does not authenticate: %v", err)
	}
	p = c.get(svcPath)
	if strings.Contains(p.Body, secret) {
		t.Fatal("the secret is shown again")
	}
	for _, bad := range []url.Values{
		{"name": {""}, "scope": {"customers:read"}},
		{"name": {"x"}},
		{"name": {"x"}, "scope": {"customers:read"}, "expires_in_days": {"9999"}},
		{"name": {"x"}, "scope": {"customers:read"}, "expires_in_days": {"soon"}},
	} {
		if p := c.post(svcPath+"/tokens", bad); p.Status != http.StatusBadRequest {
			t.Errorf("token %v: %d", bad, p.Status)
		}
	}
	if p := c.post("/admin/users/"+string(rep.ID)+"/tokens", url.Values{"name": {"x"}, "scope": {"customers:read"}}); p.Status != http.StatusBadRequest {
		t.Errorf("a token for a person: %d", p.Status)
	}
	tid := regexpFind(t, c.get(svcPath).Body, `/tokens/(tok_[0-9a-z]+)/revoke`)
	if p := c.post("/admin/users/"+string(rep.ID)+"/tokens/"+tid+"/revoke", url.Values{}); p.Status != http.StatusNotFound {
		t.Errorf("revoke through another user's page: %d", p.Status)
	}
	if p := c.post(svcPath+"/tokens/"+tid+"/revoke", url.Values{}); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.Status)
	}
	if _, err := a.Identity.Authenticate(t.Context(), secret); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
}
