package webui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// A rep's day on a phone (360 × 740) whose position is emulated at a
// store in Shanghai: sign in, find the customer by phone, open the card,
// plan a visit, check in and out, add a note, a deal and a follow-up,
// mark the follow-up done. Every step is checked on the page it leads to.
func TestBrowserRepDay(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	rep := a.CreateUser(t, domain.RoleSalesRep+"@x.example.com", domain.RoleSalesRep, "")
	c, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "上海鲜达便利店", Phone: "13812345678",
		Kind: domain.CustomerCompany, OwnerID: rep.ID})
	if err != nil {
		t.Fatal(err)
	}
	s := testkit.Serve(t, a)
	base := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	b := testkit.NewBrowser(t, 360, 740)
	b.Expect("status of 400 () (" + base + "/customers/" + string(c.ID) + "/deals#add-deal)")
	lat, lng, acc := 31.2304, 121.4737, 15.0
	setGeolocationPermission(t, b, base, browser.PermissionSettingGranted)
	b.Do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
			Latitude: &lat, Longitude: &lng, Accuracy: &acc})
		return err
	}))
	signInBrowser(t, b, base, domain.RoleSalesRep)
	setLanguage(t, b, "en")

	// Find the customer by phone: the number is POSTed, never in a URL.
	b.Do(
		chromedp.Navigate(base+"/customers"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "138 1234 5678"),
	)
	b.Submit("form.search")
	b.Do(chromedp.WaitVisible(chromedp.CSS(`a.row[href="/customers/` + string(c.ID) + `"]`)))
	if l := testkit.Eval[string](b, "location.href"); strings.Contains(l, "1234") {
		t.Errorf("the phone number is in the URL: %s", l)
	}
	b.Shot("rep-day-search")
	b.Do(chromedp.Click(chromedp.CSS(`a.row[href="/customers/`+string(c.ID)+`"]`)), chromedp.WaitVisible(chromedp.ID("card-visits")))
	if got := b.Text("h1"); got != "上海鲜达便利店" {
		t.Fatalf("card heading: %q", got)
	}
	b.Shot("rep-day-card")

	// Plan a visit for tomorrow morning; the form leads to the visit.
	b.Do(
		chromedp.Click(chromedp.CSS(`#card-visits ~ details summary`)),
		chromedp.WaitVisible(chromedp.ID("visit-time")),
		chromedp.SetValue(chromedp.ID("visit-date"), "2026-12-04"),
		chromedp.SetValue(chromedp.ID("visit-time"), "09:30"),
		chromedp.SendKeys(chromedp.ID("visit-notes"), "Bring the summer samples"),
	)
	b.Shot("rep-day-plan")
	b.Submit(`form[action*="/visits#"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("check-in-title")))
	mustShow(t, b, "main", "The visit is planned.", "4 Dec 2026, 09:30", "Bring the summer samples", "Planned")
	b.Shot("rep-day-visit")

	// Check in: geo.js asks for the (emulated) position and posts it.
	b.Submit(`form[action$="/check-in"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("check-out-title")))
	mustShow(t, b, "main", "You are checked in.", "Checked in", "31.23040, 121.47370", "within 15 m")
	b.Do(chromedp.SendKeys(chromedp.ID("outcome"), "Ordered 40 cases of yoghurt."))
	b.Shot("rep-day-checked-in")
	b.Submit(`form[action$="/check-out"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("visit-done")))
	mustShow(t, b, "main", "You are checked out; the visit is complete.", "Completed", "Checked out",
		"Bring the summer samples", "Ordered 40 cases of yoghurt.")
	b.Shot("rep-day-checked-out")

	// Back on the card: a note, a deal and a follow-up.
	b.Do(chromedp.Click(chromedp.CSS(`main > p > a`)), chromedp.WaitVisible(chromedp.ID("card-notes")))
	mustShow(t, b, "#card-visits + ul", "4 Dec 2026, 09:30", "Completed")
	b.Do(
		chromedp.Click(chromedp.CSS(`#card-notes ~ details summary`)),
		chromedp.WaitVisible(chromedp.ID("note-body")),
		chromedp.SendKeys(chromedp.ID("note-body"), "Manager Zhou wants a quote for freezers."),
	)
	b.Submit(`form[action*="/notes#"]`)
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#card-notes ~ ul`)))
	mustShow(t, b, "main", "The note is saved.", "Manager Zhou wants a quote for freezers.")
	b.Do(
		chromedp.Click(chromedp.CSS(`#card-deals ~ details summary`)),
		chromedp.WaitVisible(chromedp.ID("deal-title")),
		chromedp.SendKeys(chromedp.ID("deal-title"), "Two chest freezers"),
		chromedp.SendKeys(chromedp.ID("deal-amount"), "12,800.5O"),
		chromedp.SetValue(chromedp.ID("deal-stage"), "proposal"),
	)
	b.Submit(`form[action*="/deals#"]`)
	b.Do(chromedp.WaitVisible(chromedp.ID("deal-amount-error")))
	// A mistyped amount comes back in the open form, kept, with the error
	// at the field.
	mustShow(t, b, "#deal-amount-error", "Enter the amount in yuan")
	if got := testkit.Eval[string](b, `document.getElementById("deal-title").value + "|" + document.getElementById("deal-amount").value + "|" + document.getElementById("deal-stage").value`); got != "Two chest freezers|12,800.5O|proposal" {
		t.Errorf("the form did not keep the input: %q", got)
	}
	b.Shot("rep-day-bad-amount")
	b.Do(
		chromedp.Clear(chromedp.ID("deal-amount")),
		chromedp.SendKeys(chromedp.ID("deal-amount"), "12800.50"),
	)
	b.Submit(`form[action*="/deals#"]`)
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#card-deals + ul`)))
	mustShow(t, b, "#card-deals + ul", "Two chest freezers", "¥12,800.50", "Proposal")
	b.Do(
		chromedp.Click(chromedp.CSS(`#card-tasks ~ details summary`)),
		chromedp.WaitVisible(chromedp.ID("task-title")),
		chromedp.SendKeys(chromedp.ID("task-title"), "Send the freezer quote"),
		chromedp.SetValue(chromedp.ID("task-due"), "2026-12-08"),
	)
	b.Submit(`form[action*="/tasks#"]`)
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#card-tasks + ul`)))
	mustShow(t, b, "#card-tasks + ul", "Send the freezer quote", "due 8 Dec 2026")
	b.Shot("rep-day-card-filled")
	if w := testkit.Eval[float64](b, "document.documentElement.scrollWidth"); w > 360 {
		t.Errorf("the card scrolls sideways on a phone: %v px wide", w)
	}
	b.Submit(`form[action^="/tasks/"]`)
	b.Do(chromedp.WaitVisible(chromedp.CSS(`#card-tasks + p.muted`)))
	mustShow(t, b, "main", "The follow-up is done.", "No open follow-ups.")
	b.NoProblems()
}

// setGeolocationPermission grants or denies geolocation to origin, as
// the person would in the browser's prompt.
func setGeolocationPermission(t *testing.T, b *testkit.Browser, origin string, setting browser.PermissionSetting) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: string(browser.PermissionTypeGeolocation)},
		Setting:    setting, Origin: origin}); err != nil {
		t.Fatalf("geolocation permission: %v", err)
	}
}

// mustShow checks that the element matching css holds every text.
func mustShow(t *testing.T, b *testkit.Browser, css string, texts ...string) {
	t.Helper()
	got := b.Text(css)
	for _, s := range texts {
		if !strings.Contains(got, s) {
			t.Errorf("%s does not show %q: %q", css, s, got)
		}
	}
}

// Where the phone will not give its position, check-in says why it needs
// one and stays on the page; the visit stays planned.
func TestBrowserCheckInWithoutPosition(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	rep := a.CreateUser(t, domain.RoleSalesRep+"@x.example.com", domain.RoleSalesRep, "")
	c, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "Fresh Mart", OwnerID: rep.ID})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Records.CreateVisit(a.System(), &domain.VisitInput{CustomerID: c.ID, PlannedAt: "2026-12-04T01:30:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	s := testkit.Serve(t, a)
	base := strings.Replace(s.URL, "127.0.0.1", "localhost", 1)
	b := testkit.NewBrowser(t, 360, 740)
	setGeolocationPermission(t, b, base, browser.PermissionSettingDenied)
	signInBrowser(t, b, base, domain.RoleSalesRep)
	setLanguage(t, b, "zh-CN")
	b.Do(
		chromedp.Navigate(base+"/visits/"+string(v.ID)),
		chromedp.WaitVisible(chromedp.ID("check-in-title")),
	)
	b.Do(chromedp.Click(chromedp.CSS(`form[action$="/check-in"] button`)))
	b.Do(chromedp.WaitVisible(chromedp.CSS(`[data-geo-state="denied"]`)))
	mustShow(t, b, `[data-geo-state="denied"]`, "位置权限已被阻止")
	b.Shot("rep-check-in-denied")
	if x, err := a.Records.GetVisit(a.System(), v.ID); err != nil || x.Status != domain.VisitPlanned {
		t.Errorf("the visit: %v %v", x.Status, err)
	}
	b.NoProblems()
}
