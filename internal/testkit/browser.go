package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the environment variable that may point at the
// Chromium binary (default: chromium, chromium-browser or google-chrome
// on PATH). scripts/test.sh installs Debian's chromium when it is missing.
const ChromiumEnv = "CUSTOS_TEST_CHROMIUM"

// ShotsEnv names the directory browser tests write their screenshots to
// (default: custos-ui-shots in the system's temporary directory).
const ShotsEnv = "CUSTOS_UI_SHOTS"

// chromium finds the browser, or fails the test under CI=true (and skips
// it elsewhere): a browser test never passes silently without a browser.
func chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium: browser tests are required under CI=true (scripts/test.sh installs Debian's chromium)")
	}
	t.Skip("no Chromium on this machine (scripts/test.sh installs it); skipping a browser test")
	return ""
}

// Browser is a headless Chromium for one test: its own profile, so its
// cookies and storage start empty. It records every console error,
// exception and browser-log error (Content-Security-Policy and Trusted
// Types violations among them) so a test can assert there were none.
type Browser struct {
	t   testing.TB
	Ctx context.Context

	mu       sync.Mutex
	problems []string
	expected []string
}

// Expect marks problems containing substr as expected (a page that
// answers 404 on purpose logs a failed load).
func (b *Browser) Expect(substr string) {
	b.mu.Lock()
	b.expected = append(b.expected, substr)
	b.mu.Unlock()
}

// NewBrowser starts Chromium with a viewport of width × height CSS
// pixels (a phone: 360 × 740; mobile emulation when width < 600).
func NewBrowser(t testing.TB, width, height int64) *Browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-default-browser-check", true),
		// The test servers use their data directory's self-signed
		// certificate.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("lang", "en-US"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &Browser{t: t, Ctx: ctx}
	var vopts []chromedp.EmulateViewportOption
	if width < 600 {
		vopts = append(vopts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height, vopts...)); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	lctx, lcancel := context.WithCancel(ctx)
	t.Cleanup(lcancel)
	go func() {
		for m, err := range chromedp.Console(lctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s: %s (%s)", m.Type, m.Text, m.URL))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// Do runs steps, failing the test on error (30 s at most).
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Text returns the text of the first element matching the CSS selector.
func (b *Browser) Text(css string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", css, err)
	}
	return s
}

// Eval evaluates a JavaScript expression and returns its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: evaluate %q: %v", expr, err)
	}
	return v
}

// Location is the page's URL.
func (b *Browser) Location() string {
	b.t.Helper()
	l, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return l
}

// Shot writes a full-page screenshot named name.png to the shots
// directory and returns its path.
func (b *Browser) Shot(name string) string {
	b.t.Helper()
	dir := os.Getenv(ShotsEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "custos-ui-shots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // screenshots of test data
		b.t.Fatal(err)
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil { //nolint:gosec // screenshots of test data
		b.t.Fatal(err)
	}
	return p
}

// Problems returns the console errors, exceptions and security errors
// (CSP, Trusted Types) seen so far.
func (b *Browser) Problems() []string {
	time.Sleep(100 * time.Millisecond) // let the last page's log arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
next:
	for _, p := range b.problems {
		for _, e := range b.expected {
			if strings.Contains(p, e) {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

// NoProblems fails the test if the browser reported any problem.
func (b *Browser) NoProblems() {
	b.t.Helper()
	if p := b.Problems(); len(p) > 0 {
		b.t.Errorf("the browser reported %d problems:\n%s", len(p), strings.Join(p, "\n"))
	}
}

// AxeEnv names the environment variable holding axe.min.js (axe-core,
// installed by scripts/browser.sh).
const AxeEnv = "CUSTOS_TEST_AXE"

// Accessibility runs axe-core on the page and fails the test for every
// serious or critical violation, naming the rule and the elements.
func (b *Browser) Accessibility(page string) {
	b.t.Helper()
	path := os.Getenv(AxeEnv)
	if path == "" {
		if os.Getenv("CI") == "true" {
			b.t.Fatalf("%s is not set: the accessibility check is required under CI=true (scripts/browser.sh installs axe-core)", AxeEnv)
		}
		b.t.Logf("%s not set: skipping the accessibility check of %s", AxeEnv, page)
		return
	}
	src, err := os.ReadFile(path) //nolint:gosec // the test environment names it
	if err != nil {
		b.t.Fatal(err)
	}
	// axe is injected through the DevTools protocol (not the page), so the
	// page's CSP does not apply to it.
	ctx, cancel := context.WithTimeout(b.Ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.EvaluateAsDevTools[any](string(src))); err != nil {
		b.t.Fatalf("inject axe-core: %v", err)
	}
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	vs, err := chromedp.Run(ctx, chromedp.EvaluateAsDevTools[[]violation](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe-core on %s: %v", page, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			b.t.Errorf("%s: accessibility (%s) %s — %s: %s", page, v.Impact, v.ID, v.Help, strings.Join(where, ", "))
		}
	}
}

// VirtualAuthenticator gives the browser a platform authenticator (a
// phone's or laptop's built-in one) that answers passkey ceremonies at
// once, with user verification, through the DevTools WebAuthn domain.
func (b *Browser) VirtualAuthenticator() {
	b.t.Helper()
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true,
			}})
		return err
	}))
}

// OnNewDocument runs the script js in every document the browser opens
// from now on, before any script of the page (a trap a test installs to
// see whether the page runs something it should not). It runs through
// the DevTools protocol, so the page's Content-Security-Policy does not
// apply to it.
func (b *Browser) OnNewDocument(js string) {
	b.t.Helper()
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
		return err
	}))
}

// UserAgent makes the browser send ua as its User-Agent from the next
// request on.
func (b *Browser) UserAgent(ua string) {
	b.t.Helper()
	b.Do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua})
		return err
	}))
}

// Submit submits the form matching the CSS selector as its first submit
// button would, and waits until the page it leads to has loaded. Waiting
// for the next document, rather than for an element of it, keeps a step
// from reading a node of the page being replaced.
func (b *Browser) Submit(formCSS string) {
	b.t.Helper()
	origin := Eval[float64](b, "performance.timeOrigin")
	sel, _ := json.Marshal(formCSS)
	Eval[bool](b, "(() => { const f = document.querySelector("+string(sel)+"); if (!f) throw new Error('no form '+"+string(sel)+"); f.requestSubmit(); return true })()")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]any]("[performance.timeOrigin, document.readyState]"))
		cancel()
		if err == nil && len(v) == 2 && v[0] != origin && v[1] == "complete" {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	b.t.Fatalf("browser: submitting %s led to no new page within 30 s", formCSS)
}
