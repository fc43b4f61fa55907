package webui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/testkit"
)

// base is the world's address as the browser sees it.
func (w *mgrWorld) base() string { return strings.Replace(w.s.URL, "127.0.0.1", "localhost", 1) }

// signInAs signs the browser in as one of the world's people.
func (w *mgrWorld) signInAs(b *testkit.Browser, name string) {
	email := name + "@x.example.com"
	b.Do(
		chromedp.Navigate(w.base()+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), testkit.PasswordFor(email)),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitNotPresent(chromedp.ID("password")),
	)
}

// stepUpInBrowser answers the step-up page with name's password.
func stepUpInBrowser(b *testkit.Browser, name string) {
	b.Do(
		chromedp.WaitVisible(chromedp.CSS(`form[action="/step-up"] #password`)),
		chromedp.SendKeys(chromedp.ID("password"), testkit.PasswordFor(name+"@x.example.com")),
		chromedp.Click(chromedp.CSS(`form[action="/step-up"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/step-up"]`)),
	)
}

// Customer service on a phone sees the phone number masked, is refused
// a reveal without a reason (the error at the field), steps up, states
// the reason again and sees the number once.
func TestBrowserRevealAfterStepUp(t *testing.T) {
	w := newMgrWorld(t)
	b := testkit.NewBrowser(t, 360, 740)
	b.Expect("status of 400") // the reveal without a reason, on purpose
	w.signInAs(b, "service")
	b.Do(chromedp.Navigate(w.base()+w.card(0)), chromedp.WaitVisible(chromedp.ID("reveal-heading")))
	if card := b.Text("dl.fields"); !strings.Contains(card, "139****5678") || strings.Contains(card, "13912345678") {
		t.Fatalf("service's card: %q", card)
	}
	b.Shot("mgr-card-service-phone-en")
	w.clock.Advance(10 * time.Minute) // the sign-in is no longer fresh
	b.Do(chromedp.Click(chromedp.CSS("#reveal-phone summary")),
		chromedp.WaitVisible(chromedp.ID("reason-phone")),
		chromedp.Click(chromedp.CSS("#reveal-phone button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("reason-phone-error")))
	if got := testkit.Eval[string](b, `document.activeElement && document.getElementById("reason-phone").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("the reason is not marked invalid: %q", got)
	}
	b.Shot("mgr-reveal-no-reason-phone-en")
	b.Do(chromedp.SendKeys(chromedp.ID("reason-phone"), "customer called about invoice 2026-031"),
		chromedp.Click(chromedp.CSS("#reveal-phone button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/step-up"] #password`)))
	b.Shot("mgr-reveal-stepup-phone-en")
	stepUpInBrowser(b, "service")
	b.Do(chromedp.WaitVisible(chromedp.ID("reason-phone")))
	b.Shot("mgr-reveal-again-phone-en")
	b.Do(chromedp.SendKeys(chromedp.ID("reason-phone"), "customer called about invoice 2026-031"),
		chromedp.Click(chromedp.CSS("#reveal-phone button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("revealed")))
	if got := b.Text("#revealed"); got != "+8613912345678" {
		t.Fatalf("revealed %q", got)
	}
	b.Shot("mgr-revealed-phone-en")
	if w := testkit.Eval[float64](b, "document.documentElement.scrollWidth"); w > 360 {
		t.Errorf("the revealed page scrolls sideways: %v px", w)
	}
	b.NoProblems()
}

// Finance sees the phone masked and the bank account in full on the
// card, and the pipeline table with amounts.
func TestBrowserFinanceMasking(t *testing.T) {
	w := newMgrWorld(t)
	b := testkit.NewBrowser(t, 1280, 800)
	w.signInAs(b, "finance")
	b.Do(chromedp.Navigate(w.base()+w.card(0)), chromedp.WaitVisible(chromedp.CSS("dl.fields")))
	card := b.Text("dl.fields")
	if !strings.Contains(card, "139****5678") || strings.Contains(card, "13912345678") || !strings.Contains(card, "6222020200112233445") {
		t.Fatalf("finance's card: %q", card)
	}
	if n := testkit.Eval[int](b, `document.querySelectorAll('form[action$="/owner"], form[action*="/visits"]').length`); n != 0 {
		t.Errorf("finance is offered %d owner or visit forms", n)
	}
	b.Shot("mgr-card-finance-desktop-en")
	b.Do(chromedp.Navigate(w.base()+"/pipeline?view=table"), chromedp.WaitVisible(chromedp.CSS("table")))
	if got := b.Text("table"); !strings.Contains(got, "¥300,000.00") || !strings.Contains(got, "Amount") {
		t.Fatalf("finance's pipeline table: %q", got)
	}
	b.Shot("mgr-pipeline-table-finance-desktop-en")
	b.NoProblems()
}

// A manager whose sign-in is no longer fresh asks for the export, steps
// up, comes back to the form and downloads the CSV file.
func TestBrowserExportAfterStepUp(t *testing.T) {
	w := newMgrWorld(t)
	b := testkit.NewBrowser(t, 1280, 800)
	w.signInAs(b, "manager")
	dir := t.TempDir()
	dctx, cancel := context.WithTimeout(b.Ctx, time.Minute)
	defer cancel()
	progress := chromedp.Events(dctx, browser.DownloadProgress)
	b.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	}))
	w.clock.Advance(10 * time.Minute)
	b.Do(chromedp.Navigate(w.base()+"/export"), chromedp.WaitVisible(chromedp.ID("export-form")))
	b.Shot("mgr-export-desktop-en")
	b.Do(chromedp.Click(chromedp.CSS("#export-form button[type=submit]")))
	stepUpInBrowser(b, "manager")
	b.Do(chromedp.WaitVisible(chromedp.ID("export-form")))
	if got := b.Text("p.notice"); !strings.Contains(got, "confirmed") {
		t.Fatalf("after step-up: %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#export-form button[type=submit]")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "id,kind,name,phone") {
		t.Fatalf("the CSV file: %q", data)
	}
	b.NoProblems()
}

// The manager's pipeline board: five columns with counts and totals,
// stacked on a phone and side by side on a desktop; the toggle shows the
// table.
func TestBrowserPipelineBoard(t *testing.T) {
	w := newMgrWorld(t)
	for _, size := range []struct {
		name          string
		width, height int64
		stacked       bool
	}{{"phone", 360, 740, true}, {"desktop", 1280, 800, false}} {
		t.Run(size.name, func(t *testing.T) {
			b := testkit.NewBrowser(t, size.width, size.height)
			w.signInAs(b, "manager")
			b.Do(chromedp.Navigate(w.base()+"/pipeline"), chromedp.WaitVisible(chromedp.CSS(".board")))
			if n := testkit.Eval[int](b, `document.querySelectorAll(".board .column").length`); n != 5 {
				t.Fatalf("%d columns", n)
			}
			if got := b.Text("#stage-negotiation + .column-sum"); !strings.Contains(got, "Deals: 2") || !strings.Contains(got, "¥304,500.00") {
				t.Errorf("negotiation column: %q", got)
			}
			lefts := testkit.Eval[[]float64](b, `Array.from(document.querySelectorAll(".board .column")).map(c => c.getBoundingClientRect().left)`)
			if stacked := lefts[0] == lefts[1]; stacked != size.stacked {
				t.Errorf("columns at %v: stacked %v, want %v", lefts, stacked, size.stacked)
			}
			if sw := testkit.Eval[float64](b, "document.documentElement.scrollWidth"); sw > float64(size.width) {
				t.Errorf("the board scrolls sideways: %v px", sw)
			}
			b.Shot("mgr-pipeline-board-" + size.name + "-en")
			b.Do(chromedp.Click(chromedp.CSS(`.toggle a[href="/pipeline?view=table"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
			if got := b.Text("table"); !strings.Contains(got, "Cold-chain trial") || !strings.Contains(got, "¥12,000.50") {
				t.Errorf("the table: %q", got)
			}
			b.Shot("mgr-pipeline-table-" + size.name + "-en")
			b.NoProblems()
		})
	}
}
