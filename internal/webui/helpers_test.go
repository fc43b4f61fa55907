package webui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/testkit"
)

// client is a browser-like HTTP client for one person: a cookie jar,
// same-origin fetch headers on forms, and the CSRF token of the last page.
type client struct {
	t    *testing.T
	s    *testkit.Server
	http *http.Client
	csrf string
	lang string
}

func newClient(t *testing.T, s *testkit.Server) *client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: s.Client.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{t: t, s: s, http: c}
}

type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) *page {
	c.t.Helper()
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := &page{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Location: resp.Header.Get("Location")}
	if m := csrfRe.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *client) get(path string) *page {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), "GET", c.s.URL+path, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// post submits a form as the browser would from one of Custos's pages.
func (c *client) post(path string, form url.Values) *page {
	c.t.Helper()
	if form.Get("_csrf") == "" {
		form.Set("_csrf", c.csrf)
	}
	req, _ := http.NewRequestWithContext(c.t.Context(), "POST", c.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", c.s.URL)
	return c.do(req)
}

// signIn signs in through the sign-in form.
func (c *client) signIn(email, password string) *page {
	c.t.Helper()
	c.get("/login")
	p := c.post("/login", url.Values{"email": {email}, "password": {password}})
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("sign in as %s: %d %s", email, p.Status, p.Body)
	}
	return p
}

// regexpFind returns the first group of pattern in s, failing the test
// when it is not there.
func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s", pattern)
	}
	return m[1]
}
