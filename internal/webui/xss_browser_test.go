package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// The XSS suite stores hostile text in every text field of every kind of
// record, as any user of the API could, then opens every page that shows
// it in a real browser with a trap installed before the page's own
// scripts, and proves that nothing ran: no call of alert and its kin, no
// Content-Security-Policy violation (the browser would report one if
// markup from the data had been parsed as markup), no element with an
// event-handler attribute or a javascript: URL, no script the templates
// did not write, and the hostile text shown as text.

// xssPayloads are the hostile strings: markup in each HTML context, a
// javascript: URL, template syntax, the end of a script element inside
// JSON-looking text. Each ends in a digit so values stay distinct per
// field. A long variant (each field's maximum, no spaces to break on) is
// made by fill.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`'><svg onload=alert(1)>`,
	`{{.}} {{template "layout" .}}`,
	`{"note":"</script><script>alert(1)</script>"}`,
}

// rtlOverride is a right-to-left override: text after it is shown
// reversed (an override before "gpj.exe" makes it read "exe.jpg").
// Data fields refuse it; a browser's User-Agent can carry it to the
// sessions page.
const rtlOverride = "\u202e"

// fill repeats s up to n characters (a field's maximum).
func fill(s string, n int) string {
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < n {
		b.WriteString(s)
	}
	r := []rune(b.String())
	return string(r[:n])
}

// xssTrap is installed in every document before its scripts: it records
// every dialog and every policy violation the page causes.
const xssTrap = `(() => {
  const hits = [];
  Object.defineProperty(window, "__xssHits", {value: hits});
  for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
    window[name] = function () { hits.push(name + "(" + Array.from(arguments).join(",") + ")"); };
  }
  document.addEventListener("securitypolicyviolation", (e) => {
    hits.push("csp " + e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
  }, true);
})();`

// xssInspect reads what the trap recorded and looks through the document
// for anything the data could have smuggled in. It also lists elements
// that run off the side of the screen (long unbroken text) and bidi
// controls shown outside an isolating element.
const xssInspect = `(() => {
  const found = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc"];
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      if (n.startsWith("on")) { found.push("<" + el.localName + " " + n + ">"); }
      if (urlAttrs.includes(n) && /^\s*javascript:/i.test(a.value)) { found.push("<" + el.localName + " " + n + "=" + a.value.slice(0, 40) + ">"); }
    }
  }
  for (const s of document.querySelectorAll("script")) {
    if (s.src) {
      const u = new URL(s.src);
      if (u.origin !== location.origin || !u.pathname.startsWith("/static/")) { found.push("script from " + s.src); }
    } else if (s.type !== "application/json") {
      found.push("inline script: " + s.textContent.slice(0, 60));
    }
  }
  for (const el of document.querySelectorAll("iframe, frame, object, embed, base, img, meta[http-equiv], style, link:not([rel=stylesheet]):not([rel=manifest]):not([rel=icon])")) {
    found.push("<" + el.localName + "> in the page");
  }
  const bidi = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (/[\u202a-\u202e\u2066-\u2069]/.test(n.data)) {
      const ub = getComputedStyle(n.parentElement).unicodeBidi;
      if (!["isolate", "isolate-override", "plaintext"].includes(ub)) { bidi.push(n.parentElement.localName + " (" + ub + ")"); }
    }
  }
  const width = document.documentElement.clientWidth, overflow = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") { return true; }
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !el.closest(".skip, .visually-hidden") && !clipped(el)) {
      overflow.push(el.localName + (el.className ? "." + el.className : "") + " to " + Math.round(r.right) + "px");
    }
  }
  return {hits: window.__xssHits || ["the trap is missing"], found: found, bidi: bidi, overflow: overflow.slice(0, 5),
    text: document.body.innerText};
})()`

type xssReport struct {
	Hits     []string `json:"hits"`
	Found    []string `json:"found"`
	Bidi     []string `json:"bidi"`
	Overflow []string `json:"overflow"`
	Text     string   `json:"text"`
}

// xssWorld is a CRM whose every text field holds a payload.
type xssWorld struct {
	a      *testkit.TestApp
	s      *testkit.Server
	origin string
	// customers are the rep's, one per payload and one of long values.
	customers []*domain.Customer
	// values are the payloads stored per customer, by field.
	values []map[string]string
	// names are the display names of the users, by role.
	names map[string]string
	// browserUA is the browser's User-Agent, apiUAs those of the rep's
	// API sessions.
	browserUA string
	apiUAs    []string
}

// xssValues are the values of one customer and its records: payload p,
// or each field's maximum of it when long.
func xssValues(p string, long bool) map[string]string {
	v := map[string]string{}
	for field, max := range map[string]int{
		"name": domain.MaxNameLen, "company": domain.MaxNameLen, "industry": domain.MaxShortText,
		"province": 50, "city": 50, "district": 50, "street": domain.MaxShortText,
		"contact.name": domain.MaxNameLen, "contact.title": domain.MaxShortText, "deal.title": domain.MaxShortText,
		"visit.notes": domain.MaxLongText, "note.body": domain.MaxLongText, "task.title": domain.MaxShortText,
	} {
		v[field] = p
		if long {
			v[field] = fill(p, max)
		}
	}
	return v
}

func newXSSWorld(t *testing.T) *xssWorld {
	t.Helper()
	ln := testkit.Listen(t)
	origin := testkit.Origin(ln)
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) {
		c.WebAuthnRPID, c.WebAuthnOrigins = "localhost", origin
	}})
	w := &xssWorld{a: a, origin: origin, names: map[string]string{}}
	sys := a.System()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Teams and territories named with payloads; the users in the first.
	var team domain.ID
	for i, p := range xssPayloads {
		id, err := a.Identity.CreateTeam(sys, p)
		must("team "+p, err)
		if i == 0 {
			team = id
		}
		_, err = a.Identity.CreateTerritory(sys, &identity.TerritoryInput{Name: p, Regions: []identity.RegionInput{{Province: "广东省"}}})
		must("territory "+p, err)
	}
	_, err := a.Identity.CreateTeam(sys, fill(xssPayloads[1], domain.MaxNameLen))
	must("long team name", err)

	// A user per role, each with a payload for a display name.
	users := map[string]*domain.User{}
	for i, role := range []string{domain.RoleSalesRep, domain.RoleSalesManager, domain.RoleFinance, domain.RoleService, domain.RoleAuditor} {
		name := xssPayloads[i%len(xssPayloads)]
		if role == domain.RoleSalesRep {
			name = fill(xssPayloads[1], domain.MaxNameLen)
		}
		email := role + "@x.example.com"
		u, err := a.Identity.CreateUser(sys, &identity.UserInput{Email: email, Password: testkit.PasswordFor(email), Role: role,
			DisplayName: name, TeamID: team})
		must("user "+role, err)
		users[role], w.names[role] = u, name
	}
	adminName := xssPayloads[5]
	admin, err := a.Identity.Authenticate(context.Background(), loginToken(t, a))
	must("admin", err)
	_, err = a.Identity.UpdateUser(sys, admin.UserID, &identity.UserPatch{DisplayName: &adminName})
	must("admin display name", err)
	w.names[domain.RoleAdmin] = adminName

	// A customer per payload (and one of long values) owned by the rep,
	// each with a contact, a deal, a visit today, a note and a task.
	rep := users[domain.RoleSalesRep].ID
	now := time.Now().UTC()
	for i := 0; i <= len(xssPayloads); i++ {
		long := i == len(xssPayloads)
		v := xssValues(xssPayloads[i%len(xssPayloads)], long)
		if long {
			v = xssValues(xssPayloads[1], true)
		}
		in := &domain.CustomerInput{Kind: domain.CustomerCompany, Name: v["name"], Company: v["company"], Industry: v["industry"],
			Address: &domain.AddressInput{Province: v["province"], City: v["city"], District: v["district"], Street: v["street"]},
			Phone:   fmt.Sprintf("+86 138 0013 %04d", i), Email: fmt.Sprintf("c%d@x.example.com", i),
			Tags: []string{fill("tag", domain.MaxTagLen), "vip"}, OwnerID: rep}
		c, err := a.Records.CreateCustomer(sys, in)
		must("customer", err)
		_, err = a.Records.CreateContact(sys, c.ID, &domain.ContactInput{Name: v["contact.name"], Title: v["contact.title"]})
		must("contact", err)
		amount := domain.AmountInput("1234.50")
		_, err = a.Records.CreateDeal(sys, &domain.DealInput{CustomerID: c.ID, Title: v["deal.title"], Amount: &amount, Currency: "CNY", OwnerID: rep})
		must("deal", err)
		_, err = a.Records.CreateVisit(sys, &domain.VisitInput{CustomerID: c.ID, RepID: rep,
			PlannedAt: now.Add(-time.Duration(i) * time.Second).Format(time.RFC3339), Notes: v["visit.notes"]})
		must("visit", err)
		_, err = a.Records.CreateNote(sys, &domain.NoteInput{CustomerID: c.ID, Body: v["note.body"]})
		must("note", err)
		_, err = a.Records.CreateTask(sys, &domain.TaskInput{CustomerID: c.ID, Title: v["task.title"], AssigneeID: rep,
			DueAt: now.Add(time.Hour).Format(time.RFC3339)})
		must("task", err)
		w.customers, w.values = append(w.customers, c), append(w.values, v)
	}
	w.s = testkit.ServeOn(t, a, ln)
	return w
}

// loginToken signs the administrator in through the service.
func loginToken(t *testing.T, a *testkit.TestApp) string {
	t.Helper()
	res, err := a.Identity.Login(context.Background(), testkit.AdminEmail, testkit.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	return res.Token
}

// visit opens path and inspects it; want are texts the page must show as
// text.
func (w *xssWorld) visit(t *testing.T, b *testkit.Browser, name, path string, want ...string) {
	t.Helper()
	b.Do(chromedp.Navigate(w.origin + path))
	w.inspect(t, b, name, want...)
}

// inspect checks the page the browser shows.
func (w *xssWorld) inspect(t *testing.T, b *testkit.Browser, name string, want ...string) {
	t.Helper()
	r := testkit.Eval[xssReport](b, xssInspect)
	b.Shot("xss-" + name)
	if len(r.Hits) > 0 {
		t.Errorf("%s: the trap caught %q", name, r.Hits)
	}
	if len(r.Found) > 0 {
		t.Errorf("%s: markup from the data in the page: %q", name, r.Found)
	}
	if len(r.Bidi) > 0 {
		t.Errorf("%s: a bidirectional control is shown outside an isolating element: %q", name, r.Bidi)
	}
	if len(r.Overflow) > 0 {
		t.Errorf("%s: long text runs off the screen: %q", name, r.Overflow)
	}
	for _, s := range want {
		if !strings.Contains(r.Text, s) {
			t.Errorf("%s: the page does not show %.60q as text", name, s)
		}
	}
}

// xssPage is one page of the XSS suite, opened by every role that may
// sign in (and anonymously when anon): paths lists the URLs to open for a
// role (nil when the role has no such page) with the texts each must show
// as text. Add a page here when you add one to the UI.
type xssPage struct {
	name  string
	anon  bool
	paths func(w *xssWorld, role string) []xssURL
}

type xssURL struct {
	path string
	want []string
}

// one is a page at path for every role, with no text to look for.
func one(path string) func(*xssWorld, string) []xssURL {
	return func(*xssWorld, string) []xssURL { return []xssURL{{path: path}} }
}

// unmasked reports whether role sees the rep's customers' names in full
// (its own, or its team's).
func unmasked(role string) bool {
	return role == domain.RoleSalesRep || role == domain.RoleSalesManager
}

// field lists one field of every customer.
func (w *xssWorld) field(name string) []string {
	var out []string
	for _, v := range w.values {
		out = append(out, v[name])
	}
	return out
}

var xssPages = []xssPage{
	{"login", true, one("/login?next=" + url.QueryEscape(`/x"><img src=x onerror=alert(1)>`))},
	{"home", false, func(w *xssWorld, role string) []xssURL {
		return []xssURL{{"/", []string{w.names[role]}}}
	}},
	{"today", false, func(w *xssWorld, role string) []xssURL {
		if role == domain.RoleAuditor {
			return nil
		}
		want := []string{w.names[role]}
		if role == domain.RoleSalesRep {
			want = append(append(want, w.field("name")...), w.field("task.title")...)
		}
		return []xssURL{{"/today", want}}
	}},
	{"customers", false, func(w *xssWorld, role string) []xssURL {
		if role == domain.RoleAuditor {
			return nil
		}
		var want []string
		if unmasked(role) {
			want = w.field("name")
		}
		return []xssURL{{"/customers", want}}
	}},
	{"customer", false, func(w *xssWorld, role string) []xssURL {
		if role == domain.RoleAuditor {
			return nil
		}
		var out []xssURL
		for i, c := range w.customers {
			v, u := w.values[i], xssURL{path: "/customers/" + string(c.ID)}
			if unmasked(role) {
				u.want = []string{v["name"], v["company"], v["industry"],
					v["province"] + " " + v["city"] + " " + v["district"] + " " + v["street"]}
			}
			out = append(out, u)
		}
		return out
	}},
	{"settings", false, func(w *xssWorld, role string) []xssURL { return []xssURL{{"/settings", []string{w.names[role]}}} }},
	{"password", false, one("/settings/password")},
	{"security", false, one("/settings/security")},
	{"sessions", false, func(w *xssWorld, role string) []xssURL {
		want := []string{shownUA(w.browserUA)}
		if role == domain.RoleSalesRep {
			for _, ua := range w.apiUAs {
				// Sessions keep the first 256 bytes of a User-Agent.
				want = append(want, string([]rune(shownUA(ua))[:min(utf8.RuneCountInString(ua)-1, 80)]))
			}
		}
		return []xssURL{{"/settings/sessions", want}}
	}},
	{"step-up", false, one("/step-up?next=" + url.QueryEscape(`/"><svg onload=alert(1)>`))},
	{"not-found", false, one("/customers/" + url.PathEscape(`"><img src=x onerror=alert(1)>`))},
	{"bad-cursor", false, one("/customers?cursor=" + url.QueryEscape(`<script>alert(1)</script>`))},
}

// shownUA is a User-Agent as the sessions page shows it: bidirectional
// controls dropped.
func shownUA(ua string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c {
			return -1
		}
		return r
	}, ua)
}

// xssRoles are the roles the suite signs in as, the rep (who owns the
// data) first.
var xssRoles = []string{domain.RoleSalesRep, domain.RoleSalesManager, domain.RoleFinance, domain.RoleService,
	domain.RoleAuditor, domain.RoleAdmin}

// TestBrowserXSS: hostile text in every field, every page that shows it,
// every role; reflected input (search, sign-in, next, paths) too.
func TestBrowserXSS(t *testing.T) {
	w := newXSSWorld(t)
	b := testkit.NewBrowser(t, 360, 740)
	b.Expect("status of 404") // the payload paths answer 404 on purpose
	b.Expect("status of 400")
	b.Expect("status of 401")
	b.OnNewDocument(xssTrap)
	w.browserUA = "Mozilla/5.0 <script>alert(1)</script> " + rtlOverride + "gpj.exe"
	b.UserAgent(w.browserUA)

	// More sessions of every user, signed in through the API by clients
	// whose User-Agent is a payload (the sessions page shows them).
	w.apiUAs = []string{`"><img src=x onerror=alert(1)>`, rtlOverride + `'><svg onload=alert(1)> 1.0`, fill(`{{.}}<script>alert(1)</script>`, 300),
		fill(`浏览器<script>alert(1)</script>`, 300)}
	for _, ua := range w.apiUAs {
		apiLoginWithUA(t, w, domain.RoleSalesRep+"@x.example.com", ua)
	}

	t.Run("anonymous", func(t *testing.T) {
		for _, pg := range xssPages {
			if pg.anon {
				for _, u := range pg.paths(w, "") {
					w.visit(t, b, "anon-"+pg.name, u.path, u.want...)
				}
			}
		}
		if got := testkit.Eval[string](b, `document.querySelector("input[name=next]").value`); !strings.Contains(got, "onerror") {
			t.Errorf("next field holds %q", got)
		}
		// A wrong sign-in shows the email typed back in its field.
		email := xssPayloads[1]
		b.Do(chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.querySelector("form.stack");
			f.email.type = "text"; f.email.value = `+jsString(email)+`; f.password.value = "not the password, long enough";
			f.submit();
		})()`), chromedp.WaitVisible(chromedp.CSS("#login-error")))
		w.inspect(t, b, "login-reflected")
		if got := testkit.Eval[string](b, `document.querySelector("#email").value`); got != email {
			t.Errorf("the email field holds %q", got)
		}
	})

	for _, role := range xssRoles {
		t.Run(role, func(t *testing.T) {
			signInBrowser(t, b, w.origin, role)
			for _, pg := range xssPages {
				for i, u := range pg.paths(w, role) {
					w.visit(t, b, fmt.Sprintf("%s-%s-%d", role, pg.name, i), u.path, u.want...)
				}
			}
			if role == domain.RoleSalesRep {
				w.repActions(t, b)
			}
			b.Do(chromedp.Click(chromedp.CSS("form.signout button")), chromedp.WaitVisible(chromedp.ID("email")))
		})
	}
	b.NoProblems()
}

// repActions are the rep's forms that echo what was typed: search with
// every payload, and a passkey named with one (its options page carries
// the name in a JSON data island, the security page lists it).
func (w *xssWorld) repActions(t *testing.T, b *testkit.Browser) {
	t.Helper()
	for i, p := range xssPayloads {
		w.visit(t, b, fmt.Sprintf("search-%d", i), "/customers")
		b.Do(chromedp.SetValue(chromedp.ID("q"), p), chromedp.Click(chromedp.CSS("form.search button")),
			chromedp.WaitVisible(chromedp.CSS("p.muted, #q-error")))
		w.inspect(t, b, fmt.Sprintf("search-%d-results", i))
		if got := testkit.Eval[string](b, `document.querySelector("#q").value`); got != p {
			t.Errorf("search %d: the field holds %q", i, got)
		}
	}
	b.VirtualAuthenticator()
	w.visit(t, b, "security", "/settings/security")
	b.Do(chromedp.SetValue(chromedp.ID("passkey-name"), `"><svg onload=alert(1)>`),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/passkeys"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-webauthn="create"] button`)))
	w.inspect(t, b, "passkey-options")
	b.Do(chromedp.Click(chromedp.CSS(`form[data-webauthn="create"] button`)), chromedp.WaitVisible(chromedp.CSS("ol.codes")))
	w.visit(t, b, "security-passkey", "/settings/security", `"><svg onload=alert(1)>`)
}

// TestXSSRefusedAtTheDoor: the payloads that cannot be stored are refused
// with 400 naming the field — bidirectional controls in any text, markup
// in tags — so no page has to show them.
func TestXSSRefusedAtTheDoor(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	tok := s.Login(t, testkit.AdminEmail, testkit.AdminPassword)
	for _, tc := range []struct {
		field string
		body  map[string]any
	}{
		{"name", map[string]any{"name": "a" + rtlOverride + "gpj.exe"}},
		{"company", map[string]any{"name": "n", "company": rtlOverride + "x"}},
		{"industry", map[string]any{"name": "n", "industry": "\u2066x"}},
		{"address.street", map[string]any{"name": "n", "address": map[string]string{"street": "x" + rtlOverride}}},
		{"tags", map[string]any{"name": "n", "tags": []string{"<script>alert(1)</script>"}}},
		{"tags", map[string]any{"name": "n", "tags": []string{"javascript:alert(1)"}}},
	} {
		r := s.Do(t, "POST", "/api/v1/customers", tok, tc.body)
		if r.Status != http.StatusBadRequest || r.ErrorField() != tc.field {
			t.Errorf("%v: %d %s (field %q)", tc.body, r.Status, r.ErrorCode(), r.ErrorField())
		}
	}
	r := s.Do(t, "POST", "/api/v1/users", tok, map[string]any{"email": "u@x.example.com", "password": testkit.PasswordFor("u@x.example.com"),
		"role": "sales_rep", "display_name": "Li" + rtlOverride + "anN"})
	if r.Status != http.StatusBadRequest || r.ErrorField() != "display_name" {
		t.Errorf("display name with an override: %d %s", r.Status, r.ErrorField())
	}
}

// apiLoginWithUA signs email in through the API from a client whose
// User-Agent is ua.
func apiLoginWithUA(t *testing.T, w *xssWorld, email, ua string) {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, testkit.PasswordFor(email))
	req, _ := http.NewRequestWithContext(t.Context(), "POST", w.s.URL+"/api/v1/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	resp, err := w.s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API sign-in with a hostile User-Agent: %d", resp.StatusCode)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
