package webui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// stop is one page of the tour: visited as role, at path (a func of the
// seeded world for pages about a record).
type stop struct {
	name string
	role string
	path func(w *tourWorld) string
}

func at(p string) func(*tourWorld) string { return func(*tourWorld) string { return p } }

// tourWorld is a small CRM seeded for the tour.
type tourWorld struct {
	a         *testkit.TestApp
	s         *testkit.Server
	customers []*domain.Customer
	users     map[string]*domain.User
	service   *domain.User
	// visits of customers[0]: planned, checked in, completed.
	visits []*domain.Visit
}

// tour lists every page of the UI. Add a page here when you add one: it
// is then screenshotted at phone and desktop width in both languages,
// checked for accessibility, and must not break its CSP.
var tour = []stop{
	{"login", "", at("/login")},
	{"today", domain.RoleSalesRep, at("/today")},
	{"customers", domain.RoleSalesRep, at("/customers")},
	{"customer", domain.RoleSalesRep, func(w *tourWorld) string { return "/customers/" + string(w.customers[0].ID) }},
	{"customer-masked", domain.RoleService, func(w *tourWorld) string { return "/customers/" + string(w.customers[0].ID) }},
	{"visit-finance", domain.RoleFinance, func(w *tourWorld) string { return "/visits/" + string(w.visits[2].ID) }},
	{"visit", domain.RoleSalesRep, func(w *tourWorld) string { return "/visits/" + string(w.visits[0].ID) }},
	{"visit-checked-in", domain.RoleSalesRep, func(w *tourWorld) string { return "/visits/" + string(w.visits[1].ID) }},
	{"visit-completed", domain.RoleSalesRep, func(w *tourWorld) string { return "/visits/" + string(w.visits[2].ID) }},
	{"settings", domain.RoleSalesRep, at("/settings")},
	{"password", domain.RoleSalesRep, at("/settings/password")},
	{"security", domain.RoleSalesRep, at("/settings/security")},
	{"sessions", domain.RoleSalesRep, at("/settings/sessions")},
	{"step-up", domain.RoleSalesRep, at("/step-up?next=/settings/security")},
	{"not-found", domain.RoleSalesRep, at("/customers/cus_00000000000000000000000000")},
	{"audit", domain.RoleAuditor, at("/audit")},
	{"audit-filtered", domain.RoleAuditor, at("/audit?outcome=maybe&from=yesterday")},
	{"audit-integrity", domain.RoleAuditor, at("/audit/integrity")},
	{"audit-activity", domain.RoleAuditor, at("/audit/activity")},
	{"audit-activity-week", domain.RoleAuditor, at("/audit/activity?range=7d")},
	{"audit-keys", domain.RoleAuditor, at("/audit/keys")},
	{"admin-users", domain.RoleAdmin, at("/admin/users")},
	{"admin-user-new", domain.RoleAdmin, at("/admin/users/new")},
	{"admin-user", domain.RoleAdmin, func(w *tourWorld) string { return "/admin/users/" + string(w.users[domain.RoleSalesRep].ID) }},
	{"admin-service-account", domain.RoleAdmin, func(w *tourWorld) string { return "/admin/users/" + string(w.service.ID) }},
	{"admin-roles", domain.RoleAdmin, at("/admin/roles")},
	{"admin-role-builtin", domain.RoleAdmin, at("/admin/roles/" + domain.RoleSalesRep)},
	{"admin-role-custom", domain.RoleAdmin, at("/admin/roles/field_agent")},
	{"admin-teams", domain.RoleAdmin, at("/admin/teams")},
	{"pipeline-board", domain.RoleSalesManager, at("/pipeline")},
	{"pipeline-table", domain.RoleSalesManager, at("/pipeline?view=table")},
	{"coverage", domain.RoleSalesManager, at("/coverage")},
	{"export", domain.RoleSalesManager, at("/export")},
	{"customer-manager", domain.RoleSalesManager, func(w *tourWorld) string { return "/customers/" + string(w.customers[0].ID) }},
	{"customer-finance", domain.RoleFinance, func(w *tourWorld) string { return "/customers/" + string(w.customers[0].ID) }},
	{"reveal-form", domain.RoleService, func(w *tourWorld) string { return "/customers/" + string(w.customers[0].ID) + "/reveal?field=phone" }},
}

func newTourWorld(t *testing.T) *tourWorld {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	w := &tourWorld{a: a}
	team := a.CreateTeam(t, "South")
	users := map[string]*domain.User{}
	for _, r := range []string{domain.RoleSalesRep, domain.RoleSalesManager, domain.RoleFinance, domain.RoleService, domain.RoleAuditor} {
		users[r] = a.CreateUser(t, r+"@x.example.com", r, team)
	}
	g := demo.NewGenerator(42)
	for i := range 6 {
		in := g.Customer(i)
		in.OwnerID = users[domain.RoleSalesRep].ID
		c, err := a.Records.CreateCustomer(a.System(), in)
		if err != nil {
			t.Fatal(err)
		}
		w.customers = append(w.customers, c)
	}
	w.seedActivity(t)
	w.users = users
	seedAdminAndAudit(t, w)
	seedManagerTour(t, w, users)
	w.s = testkit.Serve(t, a)
	return w
}

// seedManagerTour gives the tour's customers deals and visits, for the
// pipeline and coverage pages.
func seedManagerTour(t *testing.T, w *tourWorld, users map[string]*domain.User) {
	t.Helper()
	stages := []domain.DealStage{domain.StageQualification, domain.StageProposal, domain.StageNegotiation, domain.StageWon, domain.StageLost}
	for i, c := range w.customers {
		amt := domain.AmountInput(fmt.Sprintf("%d.50", 1000*(i+1)*(i+3)))
		if _, err := w.a.Records.CreateDeal(w.a.System(), &domain.DealInput{CustomerID: c.ID, Title: fmt.Sprintf("Order %d", 2026001+i),
			Amount: &amt, Stage: stages[i%len(stages)], OwnerID: c.OwnerID}); err != nil {
			t.Fatal(err)
		}
		for k := range i + 1 {
			at := time.Now().AddDate(0, 0, -5*k).Format(time.RFC3339)
			if _, err := w.a.Records.CreateVisit(w.a.System(), &domain.VisitInput{CustomerID: c.ID, RepID: users[domain.RoleSalesRep].ID, PlannedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// seedActivity gives the first customer what a rep's card and visit
// pages show: visits in each state, a follow-up, a deal and a note.
func (w *tourWorld) seedActivity(t *testing.T) {
	t.Helper()
	ctx, r, c := w.a.System(), w.a.Records, w.customers[0].ID
	now := time.Now().UTC().Truncate(time.Hour)
	lat, lng, acc := 31.2304, 121.4737, 12.0
	for i := range 3 {
		v, err := r.CreateVisit(ctx, &domain.VisitInput{CustomerID: c, PlannedAt: now.Add(time.Duration(i-2) * time.Hour).Format(time.RFC3339),
			Notes: "带上夏季样品，找周经理。"})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			if v, err = r.CheckIn(ctx, v.ID, &domain.LocationInput{Lat: &lat, Lng: &lng, Accuracy: &acc}, domain.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		if i > 1 {
			notes := "订了 40 箱酸奶，下周送货。"
			if v, err = r.CheckOut(ctx, v.ID, &domain.CheckOutInput{Lat: &lat, Lng: &lng, Accuracy: &acc, Notes: &notes}, domain.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
		w.visits = append(w.visits, v)
	}
	amount := domain.AmountInput("12800.50")
	if _, err := r.CreateDeal(ctx, &domain.DealInput{CustomerID: c, Title: "两台冷柜", Amount: &amount, Stage: domain.StageProposal}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTask(ctx, &domain.TaskInput{CustomerID: c, Title: "发送冷柜报价", DueAt: now.Add(48 * time.Hour).Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateNote(ctx, &domain.NoteInput{CustomerID: c, Body: "周经理想要冷柜报价，周五前回复。"}); err != nil {
		t.Fatal(err)
	}
}

// signInBrowser signs the browser in as role through the form.
func signInBrowser(t *testing.T, b *testkit.Browser, base, role string) {
	t.Helper()
	email, pw := role+"@x.example.com", testkit.PasswordFor(role+"@x.example.com")
	if role == domain.RoleAdmin {
		email, pw = testkit.AdminEmail, testkit.AdminPassword
	}
	b.Do(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), pw),
	)
	b.Submit("form.stack")
}

// TestTour visits every page at a phone's and a desktop's width, in
// English and Chinese: screenshots, axe-core (no serious or critical
// violation), no sideways scroll on the phone, no CSP or script error.
func TestTour(t *testing.T) {
	w := newTourWorld(t)
	base := strings.Replace(w.s.URL, "127.0.0.1", "localhost", 1)
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"phone", 360, 740}, {"desktop", 1280, 800}} {
		t.Run(size.name, func(t *testing.T) {
			b := testkit.NewBrowser(t, size.width, size.height)
			b.Expect("status of 404 () (" + base + "/customers/cus_00000000000000000000000000)")
			b.Expect("status of 400 () (" + base + "/audit?outcome=maybe&from=yesterday)")
			signed := ""
			for _, lang := range []string{"en", "zh-CN"} {
				for _, st := range tour {
					if st.role != signed {
						if signed != "" {
							b.Submit("form.signout")
						}
						if st.role != "" {
							signInBrowser(t, b, base, st.role)
							setLanguage(t, b, lang)
						}
						signed = st.role
					}
					b.Do(chromedp.Navigate(base + st.path(w)))
					if st.role == "" {
						setLanguage(t, b, lang)
					}
					if got := testkit.Eval[string](b, "document.documentElement.lang"); got != lang {
						t.Fatalf("%s in %s: the page says lang=%q", st.name, lang, got)
					}
					name := fmt.Sprintf("%s-%s-%s", st.name, size.name, lang)
					b.Shot(name)
					b.Accessibility(name)
					if size.width < 600 {
						if sw := testkit.Eval[float64](b, "document.documentElement.scrollWidth"); sw > float64(size.width) {
							t.Errorf("%s scrolls sideways: %v px wide", name, sw)
						}
					}
				}
			}
			b.NoProblems()
		})
	}
}

// setLanguage switches the page's language with the footer switcher.
func setLanguage(t *testing.T, b *testkit.Browser, lang string) {
	t.Helper()
	if testkit.Eval[string](b, "document.documentElement.lang") == lang {
		return
	}
	b.Do(chromedp.Click(chromedp.CSS(`footer button[value="`+lang+`"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)))
}
