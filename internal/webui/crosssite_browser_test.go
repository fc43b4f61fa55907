package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// otherSite serves pages on another origin than Custos (plain HTTP on
// 127.0.0.1, where the browser reaches Custos at https://localhost): a
// site an attacker controls. pages maps a path to its HTML (or script);
// headers adds headers to the answers of some paths.
func otherSite(t *testing.T, pages map[string]string, headers map[string]http.Header) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range headers[r.URL.Path] {
			w.Header()[k] = v
		}
		if strings.HasSuffix(r.URL.Path, ".js") {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

// crossSiteWorld is a Custos with a signed-in rep in a browser.
type crossSiteWorld struct {
	a      *testkit.TestApp
	s      *testkit.Server
	origin string
	b      *testkit.Browser
}

func newCrossSiteWorld(t *testing.T) *crossSiteWorld {
	t.Helper()
	ln := testkit.Listen(t)
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	a.CreateUser(t, domain.RoleSalesRep+"@x.example.com", domain.RoleSalesRep, "")
	w := &crossSiteWorld{a: a, s: testkit.ServeOn(t, a, ln), origin: testkit.Origin(ln), b: testkit.NewBrowser(t, 1280, 800)}
	signInBrowser(t, w.b, w.origin, domain.RoleSalesRep)
	return w
}

// TestBrowserCrossSiteFormRefused: a page on another site that submits
// forms to Custos in the signed-in person's browser (changing their
// language and zone, ending their other sessions) is answered 403 and
// changes nothing.
func TestBrowserCrossSiteFormRefused(t *testing.T) {
	w := newCrossSiteWorld(t)
	b := w.b
	b.Expect("status of 403")
	rep := domain.RoleSalesRep + "@x.example.com"
	other := w.s.Login(t, rep, testkit.PasswordFor(rep)) // a second session, on the API

	for _, tc := range []struct {
		name, action string
		fields       map[string]string
	}{
		{"preferences", "/settings/preferences", map[string]string{"locale": "zh-CN", "time_zone": "Asia/Tokyo", "_csrf": "forged"}},
		{"end-others", "/settings/sessions/end-others", map[string]string{}},
		{"language", "/language", map[string]string{"lang": "zh-CN", "back": "/settings"}},
		{"sign-out", "/logout", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inputs strings.Builder
			for k, v := range tc.fields {
				fmt.Fprintf(&inputs, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
			}
			evil := otherSite(t, map[string]string{
				"/": `<!doctype html><title>prize</title><form method="post" action="` + html.EscapeString(w.origin+tc.action) + `">` +
					inputs.String() + `</form><script>document.forms[0].submit()</script>`,
			}, nil)
			b.Do(chromedp.Navigate(evil.URL + "/"))
			waitFor(t, b, func() bool { return strings.HasPrefix(b.Location(), w.origin) })
			b.Do(chromedp.WaitReady(chromedp.CSS("body")))
			status := testkit.Eval[float64](b, `performance.getEntriesByType("navigation")[0].responseStatus`)
			if status != http.StatusForbidden {
				t.Errorf("a cross-site POST %s answered %v, want 403: %q", tc.action, status, b.Text("body"))
			}
			b.Shot("cross-site-" + tc.name)
		})
	}

	// Nothing changed: still signed in, in English, and the other session
	// is alive.
	b.Do(chromedp.Navigate(w.origin + "/settings"))
	b.Do(chromedp.WaitVisible(chromedp.CSS("form.signout")))
	if lang := testkit.Eval[string](b, "document.documentElement.lang"); lang != "en" {
		t.Errorf("the page's language is now %q", lang)
	}
	if zone := testkit.Eval[string](b, `document.querySelector("[name=time_zone]").value`); zone == "Asia/Tokyo" {
		t.Errorf("the time zone changed to %q", zone)
	}
	if _, err := w.a.Identity.Authenticate(context.Background(), other); err != nil {
		t.Errorf("the other session ended: %v", err)
	}
	b.NoProblems()
}

// TestBrowserFramingRefused: another site that frames a Custos page (to
// lay its own buttons over Custos's: clickjacking) gets an empty frame,
// signed in or not.
func TestBrowserFramingRefused(t *testing.T) {
	w := newCrossSiteWorld(t)
	b := w.b
	b.Expect("frame-ancestors")
	b.Expect("X-Frame-Options")
	b.Expect("favicon.ico")
	paths := []string{"/login", "/today", "/customers", "/settings/sessions"}
	var frames strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&frames, `<iframe src="%s" width="400" height="300" title="f"></iframe>`, html.EscapeString(w.origin+p))
	}
	// Two control frames of the other site's own pages: one that shows
	// (the check can see what a frame shows), one that refuses to be
	// framed (what a refused frame looks like).
	frames.WriteString(`<iframe src="/inner" width="400" height="300" title="f"></iframe>`)
	frames.WriteString(`<iframe src="/refused" width="400" height="300" title="f"></iframe>`)
	inner := `<!doctype html><body style="margin:0;background:#000"><h1 style="color:#fff">inner</h1></body>`
	evil := otherSite(t, map[string]string{
		"/":        `<!doctype html><title>prize</title><h1>Click the button</h1>` + frames.String(),
		"/inner":   inner,
		"/refused": inner,
	}, map[string]http.Header{"/refused": {"Content-Security-Policy": {"frame-ancestors 'none'"}}})
	b.Do(chromedp.Navigate(evil.URL + "/"))
	// The page's load waits for every frame's (their error pages included).
	waitFor(t, b, func() bool { return testkit.Eval[string](b, "document.readyState") == "complete" })
	type rect struct{ X, Y, W, H float64 }
	rects := testkit.Eval[[]rect](b, `Array.from(document.querySelectorAll("iframe"), f => {
		const r = f.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })`)
	if len(rects) != len(paths)+2 {
		t.Fatalf("%d frames, want %d", len(rects), len(paths)+2)
	}
	at := func(r rect) image.Point { return image.Pt(int(r.X), int(r.Y)) }
	shown, refused := at(rects[len(paths)]), at(rects[len(paths)+1])
	size := image.Pt(int(rects[0].W), int(rects[0].H))
	// Frames paint in their own time: look until every one has painted
	// (ten seconds at most), then judge the last screenshot.
	var bad []string
	for try := 0; try < 20; try++ {
		shot, err := os.ReadFile(b.Shot("framed"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		bad = nil
		if sameInside(img, shown, refused, size) {
			bad = append(bad, "the control frame (a frame that shows looks like a refused one)")
		}
		for i, r := range rects[:len(paths)] {
			if !sameInside(img, at(r), refused, size) {
				bad = append(bad, paths[i])
			}
		}
		if len(bad) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, p := range bad {
		t.Errorf("the frame of %s does not look refused", p)
	}
	// The same pages open when not framed.
	b.Do(chromedp.Navigate(w.origin + "/customers"))
	if !strings.HasPrefix(b.Location(), w.origin+"/customers") {
		t.Errorf("unframed: at %s", b.Location())
	}
	b.NoProblems()
}

// sameInside reports whether the screenshot shows the same pixels inside
// two frames of the given size at a and b (inside their borders).
func sameInside(img image.Image, a, b, size image.Point) bool {
	for y := 4; y < size.Y-4; y++ {
		for x := 4; x < size.X-4; x++ {
			if img.At(a.X+x, a.Y+y) != img.At(b.X+x, b.Y+y) {
				return false
			}
		}
	}
	return true
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, b *testkit.Browser, cond func() bool) {
	t.Helper()
	for range 100 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("still waiting at %s", b.Location())
}

// cspProbe is served with Custos's page policy from another origin: each
// inline way of running code sets a mark if it runs; app.js (a script
// from the page's own origin, which the policy allows) records whether
// eval and an HTML sink fed a string run.
const cspProbe = `<!doctype html><html><head><title>probe</title>
<style>body { background: rgb(255, 0, 0); }</style>
<script>document.title = "inline script ran";</script>
<script src="/app.js"></script>
</head><body>
<img src="/none.png" alt="" onerror="document.title = 'event handler ran'">
<a id="js" href="javascript:document.title='javascript url ran'">link</a>
<div id="sink"></div>
</body></html>`

const cspProbeScript = `document.addEventListener("DOMContentLoaded", () => {
  const r = document.body.dataset;
  r.self = "ran";
  try { eval("document.title = 'eval ran'"); r.eval = "ran"; } catch (e) { r.eval = e.name; }
  try { document.getElementById("sink").innerHTML = "<b>x</b>"; r.sink = "ran"; } catch (e) { r.sink = e.name; }
  try { new Function("return 1")(); r.func = "ran"; } catch (e) { r.func = e.name; }
});`

// TestBrowserCSPBlocksInlineCode: Custos's page policy, served on a page
// that tries every inline way of running code, lets none of them run —
// inline script, event-handler attribute, javascript: URL, inline style,
// eval, new Function, a string fed to innerHTML (Trusted Types) — while a
// script from the page's own origin runs; the browser reports each.
func TestBrowserCSPBlocksInlineCode(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	c := newClient(t, s)
	csp := c.get("/login").Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("the sign-in page's policy: %q", csp)
	}
	probe := otherSite(t, map[string]string{"/": cspProbe, "/app.js": cspProbeScript},
		map[string]http.Header{"/": {"Content-Security-Policy": {csp}}})
	b := testkit.NewBrowser(t, 1280, 800)
	b.Expect("Content Security Policy")
	b.Expect("TrustedHTML")
	b.Expect("TrustedScript")
	b.Expect("Trusted Type")
	b.Expect("status of 404")
	b.OnNewDocument(xssTrap)
	b.Do(chromedp.Navigate(probe.URL+"/"), chromedp.WaitReady(chromedp.CSS("#sink")))
	b.Do(chromedp.Click(chromedp.ID("js")))
	time.Sleep(300 * time.Millisecond)
	type result struct {
		Title, Self, Eval, Sink, Func, Background string
		Hits                                      []string
	}
	r := testkit.Eval[result](b, `({title: document.title, self: document.body.dataset.self, eval: document.body.dataset.eval,
		sink: document.body.dataset.sink, func: document.body.dataset.func,
		background: getComputedStyle(document.body).backgroundColor, hits: window.__xssHits})`)
	if r.Title != "probe" {
		t.Errorf("inline code ran: the title is %q", r.Title)
	}
	if r.Self != "ran" {
		t.Errorf("the page's own script did not run: %+v", r)
	}
	if r.Eval == "ran" || r.Func == "ran" {
		t.Errorf("eval ran: %+v", r)
	}
	if r.Sink == "ran" {
		t.Errorf("a string reached innerHTML (Trusted Types not enforced): %+v", r)
	}
	if r.Background == "rgb(255, 0, 0)" {
		t.Errorf("the inline style applied")
	}
	reported := strings.Join(r.Hits, "\n")
	for _, d := range []string{"script-src-elem", "script-src-attr", "style-src-elem", "script-src", "require-trusted-types-for"} {
		if !regexp.MustCompile(`csp ` + regexp.QuoteMeta(d) + `\b`).MatchString(reported) {
			t.Errorf("no violation of %s reported; reported:\n%s", d, reported)
		}
	}
	b.NoProblems()
}

// TestEveryResponseCarriesThePolicy walks every route of the UI —
// anonymous and signed in, GET and POST, pages, redirects, 404s, static
// assets — and a sample of the API's, and finds the Content-Security-
// Policy and frame denial on every answer: the strict page policy on the
// UI's, a no-content policy on the API's.
func TestEveryResponseCarriesThePolicy(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	anon := newClient(t, s)
	login := anon.get("/login")
	pageCSP := login.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(pageCSP, d) {
			t.Fatalf("page policy lacks %q: %s", d, pageCSP)
		}
	}
	asset := regexp.MustCompile(`/static/[0-9a-f]+/app\.css`).FindString(login.Body)
	if asset == "" {
		t.Fatal("no stylesheet on the sign-in page")
	}
	signed := newClient(t, s)
	signed.signIn(testkit.AdminEmail, testkit.AdminPassword)
	signed.get("/settings")
	token := s.Login(t, testkit.AdminEmail, testkit.AdminPassword)

	fill := strings.NewReplacer("{id}", "cus_00000000000000000000000000", "{hash}/{name...}", strings.TrimPrefix(asset, "/static/"),
		"{name...}", "app.css", "{hash}", "0", "{$}", "")
	check := func(who, method, path string, p *page, want string) {
		t.Helper()
		if got := p.Header.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s %s %s (%s) → %d: policy %q", who, method, path, who, p.Status, got)
		}
		if got := p.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s %s (%s) → %d: X-Frame-Options %q", method, path, who, p.Status, got)
		}
	}
	statuses := map[int]bool{}
	for _, pat := range a.UI.Patterns() {
		method, path, _ := strings.Cut(pat, " ")
		path = fill.Replace(path)
		for _, c := range []struct {
			who string
			cl  *client
		}{{"anonymous", anon}, {"signed in", signed}} {
			var p *page
			if method == http.MethodPost {
				// Without its token: refused, and the refusal is a response too.
				req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+path, strings.NewReader("x=1"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				p = c.cl.do(req)
			} else {
				p = c.cl.get(path)
			}
			statuses[p.Status] = true
			check(c.who, method, path, p, pageCSP)
		}
	}
	// Unknown pages, a missing asset, a cross-site form.
	for _, path := range []string{"/nowhere", "/customers/not-an-id", "/static/0/none.js", "/static/" + strings.Repeat("f", 12) + "/app.css"} {
		p := signed.get(path)
		statuses[p.Status] = true
		want := pageCSP
		if p.Header.Get("Content-Type") == "text/plain; charset=utf-8" && path == "/nowhere" {
			want = apiPolicy
		}
		check("signed in", "GET", path, p, want)
	}
	for _, want := range []int{http.StatusOK, http.StatusSeeOther, http.StatusNotFound, http.StatusForbidden} {
		if !statuses[want] {
			t.Errorf("the walk met no %d answer: %v", want, statuses)
		}
	}

	// The API: no active content, never framed.
	for _, rq := range []struct {
		method, path, token string
	}{
		{"GET", "/healthz", ""},
		{"GET", "/api/v1/openapi.json", ""},
		{"GET", "/api/v1/customers", ""},
		{"GET", "/api/v1/customers", token},
		{"GET", "/api/v1/customers/cus_00000000000000000000000000", token},
		{"GET", "/api/v1/nowhere", token},
		{"POST", "/api/v1/customers", token},
		{"DELETE", "/api/v1/customers/x", token},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), rq.method, s.URL+rq.path, strings.NewReader("{}"))
		if rq.token != "" {
			req.Header.Set("Authorization", "Bearer "+rq.token)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		p := &page{Status: resp.StatusCode, Header: resp.Header}
		check("api", rq.method, rq.path, p, apiPolicy)
	}
}

// apiPolicy is the policy of everything that is not a page: nothing may
// run, load or frame it.
const apiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
