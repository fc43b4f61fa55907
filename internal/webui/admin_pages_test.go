package webui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// An administrator creates a user with a generated temporary password
// (shown once; the user must change it at first sign-in), changes their
// role and team, disables and enables them, resets their second factors
// and password; bad input is shown at its field; a sales rep gets none
// of these pages and changes nothing.
func TestAdminUsers(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		team := a.CreateTeam(t, "North")
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		adm := a.ActAs(t, testkit.AdminEmail) // one session for the checks: the role bounds how many it holds
		s := testkit.Serve(t, a)
		c := newClient(t, s)
		c.signIn(testkit.AdminEmail, testkit.AdminPassword)
		if p := c.get("/admin/users"); p.Status != http.StatusOK || !strings.Contains(p.Body, "rep@x.example.com") ||
			!strings.Contains(p.Body, `href="/admin" aria-current="page"`) {
			t.Fatalf("users: %d", p.Status)
		}
		c.get("/admin/users/new")
		p := c.post("/admin/users", url.Values{"email": {"New.Person@x.example.com"}, "display_name": {"New Person"},
			"kind": {"person"}, "role": {domain.RoleSalesRep}, "team": {string(team)}, "generate": {"on"}})
		if p.Status != http.StatusOK {
			t.Fatalf("create: %d %s", p.Status, p.Body)
		}
		pw := regexpFind(t, p.Body, `id="temporary-password">([^<]+)<`)
		if strings.Contains(p.Body, `<span class="who">New Person</span>`) {
			t.Error("the page header names the new user as the one signed in")
		}
		u, err := a.Identity.UserByEmail(adm, "new.person@x.example.com")
		if err != nil || u.TeamID != team || u.Role != domain.RoleSalesRep || !u.MustChangePassword {
			t.Fatalf("created: %+v, %v", u, err)
		}
		n := newClient(t, s)
		n.signIn("new.person@x.example.com", pw)
		if p := n.get("/today"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/settings/password") {
			t.Fatalf("first sign-in with the temporary password: %d → %q", p.Status, p.Location)
		}

		// Bad input at its field; the same email twice.
		for _, tc := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"email": {"not an email"}, "display_name": {"X"}, "role": {domain.RoleSalesRep}, "generate": {"on"}}, "email"},
			{url.Values{"email": {"new.person@x.example.com"}, "display_name": {"X"}, "role": {domain.RoleSalesRep}, "generate": {"on"}}, "email"},
			{url.Values{"email": {"y@x.example.com"}, "display_name": {"Y"}, "role": {"no_such_role"}, "generate": {"on"}}, "role"},
			{url.Values{"email": {"y@x.example.com"}, "display_name": {"Y"}, "role": {domain.RoleSalesRep}, "password": {"short"}}, "password"},
			{url.Values{"email": {"y@x.example.com"}, "display_name": {"Y"}, "role": {domain.RoleSalesRep}, "kind": {"robot"}}, "kind"},
		} {
			p := c.post("/admin/users", tc.form)
			if p.Status < 400 || !strings.Contains(p.Body, `aria-describedby="`+tc.field+`-error"`) && !strings.Contains(p.Body, tc.field+`-error"`) {
				t.Errorf("%v: %d", tc.form, p.Status)
			}
		}
		if _, err := a.Identity.UserByEmail(adm, "y@x.example.com"); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("a refused form created a user: %v", err)
		}

		userPath := "/admin/users/" + string(u.ID)
		c.get(userPath)
		terr, err := a.Identity.CreateTerritory(adm, &identity.TerritoryInput{Name: "Jiangsu",
			Regions: []identity.RegionInput{{Province: "江苏省"}}})
		if err != nil {
			t.Fatal(err)
		}
		if p := c.post(userPath, url.Values{"display_name": {"Renamed"}, "role": {domain.RoleSalesManager}, "team": {""},
			"territory": {string(terr.ID)}}); p.Status != http.StatusSeeOther {
			t.Fatalf("update: %d %s", p.Status, p.Body)
		}
		u, _ = a.Identity.GetUser(adm, u.ID)
		if u.DisplayName != "Renamed" || u.Role != domain.RoleSalesManager || u.TeamID != "" {
			t.Fatalf("updated: %+v", u)
		}
		if ts, _ := a.Identity.UserTerritories(adm, u.ID); len(ts) != 1 || ts[0] != terr.ID {
			t.Fatalf("territories: %v", ts)
		}
		if p := c.get(userPath); !strings.Contains(p.Body, `value="`+string(terr.ID)+`" checked`) {
			t.Error("the user's territory is not shown checked")
		}
		if p := c.post(userPath, url.Values{"display_name": {"Renamed"}, "role": {domain.RoleSalesManager},
			"territory": {"nowhere"}}); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "territory-error") {
			t.Errorf("a bad territory: %d", p.Status)
		}
		if p := c.post(userPath, url.Values{"display_name": {""}, "role": {domain.RoleSalesManager}}); p.Status != http.StatusBadRequest ||
			!strings.Contains(p.Body, `display_name-error`) {
			t.Errorf("empty name: %d", p.Status)
		}
		if p := c.post(userPath+"/status", url.Values{"status": {"disabled"}}); p.Status != http.StatusSeeOther ||
			!strings.Contains(p.Location, "done=user_disabled") {
			t.Fatalf("disable: %d", p.Status)
		}
		if p := n.get("/settings/password"); p.Status != http.StatusSeeOther {
			t.Errorf("a disabled user's session still works: %d", p.Status)
		}
		if p := c.post(userPath+"/status", url.Values{"status": {"active"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("enable: %d", p.Status)
		}
		if p := c.post(userPath+"/status", url.Values{"status": {"sleeping"}}); p.Status != http.StatusBadRequest {
			t.Errorf("status=sleeping: %d", p.Status)
		}
		if p := c.post(userPath+"/mfa-reset", url.Values{}); p.Status != http.StatusSeeOther {
			t.Fatalf("reset MFA: %d %s", p.Status, p.Body)
		}
		p = c.post(userPath+"/password-reset", url.Values{})
		if p.Status != http.StatusOK {
			t.Fatalf("reset password: %d", p.Status)
		}
		n2 := newClient(t, s)
		n2.signIn("new.person@x.example.com", regexpFind(t, p.Body, `id="temporary-password">([^<]+)<`))
		// Their sessions, listed on their page, can be ended.
		p = c.get(userPath)
		sid := regexpFind(t, p.Body, `/sessions/(ses_[0-9a-z]+)/end`)
		if p := c.post(userPath+"/sessions/"+sid+"/end", url.Values{}); p.Status != http.StatusSeeOther {
			t.Fatalf("end session: %d", p.Status)
		}
		if p := n2.get("/settings/password"); p.Status != http.StatusSeeOther {
			t.Errorf("an ended session still works: %d", p.Status)
		}
		// The administrator cannot disable themselves or change their own role.
		admin, _ := a.Identity.UserByEmail(adm, testkit.AdminEmail)
		if p := c.get("/admin/users/" + string(admin.ID)); !strings.Contains(p.Body, "You cannot change your own role.") ||
			strings.Contains(p.Body, "/status") {
			t.Error("own page offers changing one's own role or status")
		}
		if p := c.post("/admin/users/"+string(admin.ID)+"/status", url.Values{"status": {"disabled"}}); p.Status != http.StatusForbidden {
			t.Errorf("disable oneself: %d", p.Status)
		}
		for _, path := range []string{"/admin/users/nope", "/admin/users/usr_00000000000000000000000000"} {
			if p := c.get(path); p.Status != http.StatusNotFound {
				t.Errorf("%s: %d", path, p.Status)
			}
		}

		// A sales rep: no menu entry, no page, no change.
		r := newClient(t, s)
		r.signIn("rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if p := r.get("/customers"); strings.Contains(p.Body, `href="/admin"`) {
			t.Error("a rep's menu shows administration")
		}
		for _, path := range []string{"/admin/users", "/admin/users/new", userPath, "/admin/roles", "/admin/roles/sales_rep", "/admin/teams"} {
			if p := r.get(path); p.Status != http.StatusForbidden {
				t.Errorf("GET %s as a rep: %d", path, p.Status)
			}
		}
		for path, form := range map[string]url.Values{
			"/admin/users":               {"email": {"z@x.example.com"}, "display_name": {"Z"}, "role": {domain.RoleAdmin}, "generate": {"on"}},
			userPath:                     {"display_name": {"Hacked"}, "role": {domain.RoleAdmin}},
			userPath + "/status":         {"status": {"disabled"}},
			userPath + "/mfa-reset":      {},
			userPath + "/password-reset": {},
			"/admin/roles":               {"name": {"sneaky"}},
			"/admin/roles/sales_rep":     {"field.contact": {"write"}, "scope": {"all"}},
			"/admin/teams":               {"name": {"Sneaky"}},
		} {
			if p := r.post(path, form); p.Status != http.StatusForbidden {
				t.Errorf("POST %s as a rep: %d", path, p.Status)
			}
		}
		u, _ = a.Identity.GetUser(adm, u.ID)
		if u.DisplayName != "Renamed" || u.Status != domain.UserActive {
			t.Errorf("a rep's forms changed the user: %+v", u)
		}
		if _, err := a.Identity.UserByEmail(adm, "z@x.example.com"); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("a rep created a user: %v", err)
		}
	})
}

// Changing a user after the step-up window asks the administrator to
// confirm who they are first, and changes nothing until then.
func TestAdminChangesNeedStepUp(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Now: clock.Now})
	rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	s := testkit.Serve(t, a)
	c := newClient(t, s)
	c.signIn(testkit.AdminEmail, testkit.AdminPassword)
	c.get("/admin/users/" + string(rep.ID))
	clock.Advance(10 * time.Minute)
	p := c.post("/admin/users/"+string(rep.ID)+"/status", url.Values{"status": {"disabled"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/step-up?next=%2Fadmin%2Fusers%2F") {
		t.Fatalf("stale disable: %d → %q", p.Status, p.Location)
	}
	if u, _ := a.Identity.GetUser(a.ActAs(t, testkit.AdminEmail), rep.ID); u.Status != domain.UserActive {
		t.Fatal("the user was disabled without a step-up")
	}
}
