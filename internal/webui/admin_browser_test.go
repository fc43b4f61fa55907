package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// On a phone, an auditor searches the log for denied reads, then narrows
// to one user by choosing their name in the results.
func TestBrowserAuditorSearchesTheLog(t *testing.T) {
	w := newTourWorld(t)
	base := strings.Replace(w.s.URL, "127.0.0.1", "localhost", 1)
	b := testkit.NewBrowser(t, 360, 740)
	signInBrowser(t, b, base, domain.RoleAuditor)
	b.Do(
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`header nav a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.ID("action")),
		chromedp.SendKeys(chromedp.ID("action"), domain.ActionCustomerReveal),
	)
	b.Submit("form.filters")
	b.Do(chromedp.WaitVisible(chromedp.CSS(`table.events`)))
	if got := testkit.Eval[string](b, `document.getElementById("action").value`); got != domain.ActionCustomerReveal {
		t.Fatalf("the filter was not kept: %q", got)
	}
	all := testkit.Eval[float64](b, `document.querySelectorAll("table.events tbody tr").length`)
	if all < 3 || !strings.Contains(b.Text("table.events tbody"), domain.ActionCustomerReveal) {
		t.Fatalf("reveals: %v rows", all)
	}
	b.Shot("auditor-search-phone-en")
	rep := w.users[domain.RoleSalesRep]
	b.Do(chromedp.Click(chromedp.CSS(`table.events tbody a[href="/audit?actor=`+string(rep.ID)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#actor[value="`+string(rep.ID)+`"]`)))
	mine := testkit.Eval[float64](b, `document.querySelectorAll("table.events tbody tr").length`)
	if mine == 0 || !strings.Contains(b.Text("table.events tbody"), rep.DisplayName) {
		t.Fatalf("the rep's entries: %v rows", mine)
	}
	b.Do(chromedp.Click(chromedp.CSS(`nav.tabs a[href="/audit/activity"]`)), chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
	b.Shot("auditor-activity-phone-en")
	b.NoProblems()
}

// On a desktop, an administrator creates a user with a generated
// temporary password, then creates a custom role and edits its field
// access matrix.
func TestBrowserAdminCreatesUserAndEditsRole(t *testing.T) {
	w := newTourWorld(t)
	base := strings.Replace(w.s.URL, "127.0.0.1", "localhost", 1)
	b := testkit.NewBrowser(t, 1280, 800)
	signInBrowser(t, b, base, domain.RoleAdmin)
	b.Do(
		chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(`header nav a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/users/new"]`)),
		chromedp.Click(chromedp.CSS(`main a[href="/admin/users/new"]`)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "li.na@x.example.com"),
		chromedp.SendKeys(chromedp.ID("display_name"), "李娜"),
		chromedp.SetValue(chromedp.ID("role"), domain.RoleSalesManager),
	)
	b.Submit(`form[action="/admin/users"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("temporary-password")))
	pw := b.Text("#temporary-password")
	if len(pw) < 20 {
		t.Fatalf("temporary password: %q", pw)
	}
	b.Shot("admin-user-created-desktop-en")
	u, err := w.a.Identity.UserByEmail(w.a.ActAs(t, testkit.AdminEmail), "li.na@x.example.com")
	if err != nil || u.DisplayName != "李娜" || u.Role != domain.RoleSalesManager || !u.MustChangePassword {
		t.Fatalf("created: %+v, %v", u, err)
	}

	b.Do(
		chromedp.Click(chromedp.CSS(`nav.tabs a[href="/admin/roles"]`)),
		chromedp.WaitVisible(chromedp.ID("role-name")),
		chromedp.SendKeys(chromedp.ID("role-name"), "inside_sales"),
	)
	b.Submit(`form[action="/admin/roles"]`)
	b.Do(
		chromedp.WaitVisible(chromedp.CSS(`table.matrix`)),
		chromedp.Click(chromedp.CSS(`input[name="field.public"][value="read"]`)),
		chromedp.Click(chromedp.CSS(`input[name="field.contact"][value="masked"]`)),
		chromedp.Click(chromedp.CSS(`input[name="function"][value="customers.read"]`)),
		chromedp.SetValue(chromedp.ID("scope"), "team"),
	)
	b.Submit(`form[action="/admin/roles/inside_sales"]`)
	b.Do(chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	b.Shot("admin-role-saved-desktop-en")
	r, err := w.a.Identity.GetRole(w.a.ActAs(t, testkit.AdminEmail), "inside_sales")
	if err != nil || r.FieldAccess(domain.ClassContact) != domain.AccessMasked || r.FieldAccess(domain.ClassPublic) != domain.AccessRead ||
		!r.Functions[domain.FnCustomersRead] || r.Scope != domain.ScopeTeam {
		t.Fatalf("saved role: %+v, %v", r, err)
	}
	b.NoProblems()
}
