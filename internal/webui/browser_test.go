package webui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// A rep signs in on a phone (360 × 740), lands on their day, switches to
// Chinese and back; no page breaks its Content-Security-Policy or throws.
func TestBrowserSignInOnAPhone(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	s := testkit.Serve(t, a)
	b := testkit.NewBrowser(t, 360, 740)
	b.Do(chromedp.Navigate(strings.Replace(s.URL, "127.0.0.1", "localhost", 1) + "/"))
	b.Do(chromedp.WaitVisible(chromedp.ID("email")))
	b.Shot("login-phone-en")
	b.Do(
		chromedp.SendKeys(chromedp.ID("email"), "rep@x.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), testkit.PasswordFor("rep@x.example.com")),
	)
	b.Submit("form.stack")
	b.Do(chromedp.WaitVisible(chromedp.ID("visits")))
	if got := b.Text("h1"); got == "" {
		t.Fatal("no heading on the day page")
	}
	b.Shot("today-phone-en")
	b.Do(chromedp.Click(chromedp.CSS(`footer button[value="zh-CN"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"]`)))
	if got := b.Text("#visits"); got != "计划拜访" {
		t.Fatalf("Chinese heading: %q", got)
	}
	b.Shot("today-phone-zh")
	if w := testkit.Eval[float64](b, "document.documentElement.scrollWidth"); w > 360 {
		t.Errorf("the page scrolls sideways on a phone: %v px wide", w)
	}
	b.NoProblems()
}
