package webui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// The sign-in page is where / leads, in the language of Accept-Language,
// with the strict CSP and nothing cached.
func TestSignInPageAndLanguage(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	c := newClient(t, s)
	if p := c.get("/"); p.Status != http.StatusSeeOther || p.Location != "/login" {
		t.Fatalf("/ unsigned: %d → %q", p.Status, p.Location)
	}
	for _, tc := range []struct{ accept, lang, title string }{
		{"zh-CN,zh;q=0.9", "zh-CN", "登录"},
		{"zh-TW", "zh-CN", "登录"},
		{"en-GB,en;q=0.8", "en", "Sign in"},
		{"fr-FR", "en", "Sign in"},
		{"", "en", "Sign in"},
	} {
		c.lang = tc.accept
		p := c.get("/login")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `<html lang="`+tc.lang+`">`) || !strings.Contains(p.Body, "<h1>"+tc.title+"</h1>") {
			t.Errorf("Accept-Language %q: %d, want %s %q", tc.accept, p.Status, tc.lang, tc.title)
		}
		csp := p.Header.Get("Content-Security-Policy")
		for _, d := range []string{"script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'",
			"frame-ancestors 'none'", "form-action 'self'", "require-trusted-types-for 'script'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("CSP lacks %q: %s", d, csp)
			}
		}
		if strings.Contains(csp, "unsafe") || p.Header.Get("Cache-Control") != "no-store" || p.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("page headers: CSP %q, Cache-Control %q, X-Frame-Options %q", csp, p.Header.Get("Cache-Control"), p.Header.Get("X-Frame-Options"))
		}
	}
	// The switcher's choice wins over Accept-Language before sign-in.
	c.lang = "en"
	c.get("/login")
	if p := c.post("/language", url.Values{"lang": {"zh-CN"}, "back": {"/login"}}); p.Status != http.StatusSeeOther || p.Location != "/login" {
		t.Fatalf("switch language: %d %q", p.Status, p.Location)
	}
	if p := c.get("/login"); !strings.Contains(p.Body, `lang="zh-CN"`) {
		t.Fatal("the chosen language did not stick")
	}
}

// Signing in sets a __Host- session cookie (Secure, HttpOnly,
// SameSite=Strict) and leads to the first section; a wrong password shows
// the one answer for every failure and keeps the email; signing out ends
// the session and clears the site's data.
func TestSignInOut(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		s := testkit.Serve(t, a)
		c := newClient(t, s)
		c.get("/login")
		p := c.post("/login", url.Values{"email": {"rep@x.example.com"}, "password": {"wrong password, long enough"}})
		if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "The email or password is not correct.") ||
			!strings.Contains(p.Body, `value="rep@x.example.com"`) {
			t.Fatalf("wrong password: %d", p.Status)
		}
		p = c.post("/login", url.Values{"email": {"rep@x.example.com"}, "password": {testkit.PasswordFor("rep@x.example.com")}})
		if p.Status != http.StatusSeeOther || p.Location != "/" {
			t.Fatalf("sign in: %d → %q", p.Status, p.Location)
		}
		var cookie string
		for _, h := range p.Header.Values("Set-Cookie") {
			if strings.HasPrefix(h, "__Host-custos_session=") {
				cookie = h
			}
		}
		for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie lacks %s: %q", attr, cookie)
			}
		}
		if strings.Contains(cookie, "Domain=") {
			t.Errorf("session cookie names a domain: %q", cookie)
		}
		if p := c.get("/"); p.Status != http.StatusSeeOther || p.Location != "/today" {
			t.Fatalf("/ signed in: %d → %q", p.Status, p.Location)
		}
		if p := c.get("/today"); p.Status != http.StatusOK || !strings.Contains(p.Body, "Planned visits") {
			t.Fatalf("today: %d", p.Status)
		}
		p = c.post("/logout", url.Values{})
		if p.Status != http.StatusSeeOther || !strings.Contains(p.Header.Get("Clear-Site-Data"), `"storage"`) {
			t.Fatalf("sign out: %d, Clear-Site-Data %q", p.Status, p.Header.Get("Clear-Site-Data"))
		}
		if p := c.get("/today"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
			t.Fatalf("after sign-out: %d → %q", p.Status, p.Location)
		}
	})
}

// A form posted from another site is refused, whatever its token; a form
// without its CSRF token is refused too.
func TestCrossSiteFormsRefused(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	c := newClient(t, s)
	c.signIn(testkit.AdminEmail, testkit.AdminPassword)
	c.get("/settings")
	form := url.Values{"_csrf": {c.csrf}, "locale": {"zh-CN"}, "time_zone": {""}}
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/settings/preferences", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if p := c.do(req); p.Status != http.StatusForbidden {
			t.Errorf("cross-site POST %v: %d", h, p.Status)
		}
	}
	if p := c.post("/settings/preferences", url.Values{"_csrf": {"forged"}, "locale": {"zh-CN"}}); p.Status != http.StatusForbidden {
		t.Errorf("forged token: %d", p.Status)
	}
	if p := c.get("/settings"); strings.Contains(p.Body, `lang="zh-CN"`) {
		t.Error("a refused form changed the preference")
	}
	if p := c.post("/settings/preferences", url.Values{"locale": {"zh-CN"}, "time_zone": {"Asia/Shanghai"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("same-site form: %d %s", p.Status, p.Body)
	}
	if p := c.get("/settings"); !strings.Contains(p.Body, `lang="zh-CN"`) {
		t.Error("the preference did not take")
	}
}
