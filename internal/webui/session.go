package webui

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// Cookies. The session cookie carries the identity service's session
// token: __Host- (Secure, Path=/, no Domain), HttpOnly, SameSite=Strict.
// Before sign-in a random pre-session cookie keys the CSRF token of the
// sign-in forms, so a cross-site page cannot sign a victim in to its own
// account either.
const (
	sessionCookie = "__Host-custos_session"
	preCookie     = "__Host-custos_pre"
	mfaCookie     = "__Host-custos_mfa" // the challenge of a sign-in waiting for its second factor
	csrfField     = "_csrf"
)

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter, name string) { setCookie(w, name, "", -1) }

// csrfFor derives the CSRF token of a form from the cookie that
// authenticates it: whoever can read the page can submit it, a
// cross-site page cannot (it reads neither). Nothing is stored, so every
// node derives the same token.
func csrfFor(key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("custos.csrf.v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func csrfValid(key, got string) bool {
	want := csrfFor(key)
	return key != "" && hmac.Equal([]byte(want), []byte(got))
}

// sameOrigin refuses a request that a browser says came from another
// site (Fetch Metadata), or whose Origin names another host. Browsers
// that send neither header are covered by the CSRF token alone.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	// "null" is what a browser sends when it may not say (an opaque
	// origin); Sec-Fetch-Site and the CSRF token decide then.
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		ou, err := url.Parse(o)
		if err != nil || ou.Host != r.Host || ou.Scheme != "https" {
			return false
		}
	}
	return true
}

// pageCSP is every page's Content-Security-Policy: scripts and styles
// only from Custos itself, no inline code, no eval, no plugins, no
// framing, forms only to Custos, and Trusted Types so no script can hand
// a string to an HTML sink.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'; object-src 'none'; require-trusted-types-for 'script'; trusted-types custos"

// guard sets the page headers and refuses unsafe requests from other
// sites before any handler runs.
func (u *UI) guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		// Same-origin referrers only, so a browser's form posts carry their
		// Origin (with no-referrer they say "null").
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages hold personal data: never cached, never kept.
			hd.Set("Cache-Control", "no-store")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		h(w, r)
	})
}

// request is what a page handler works with.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context // carries the actor once signed in
	actor *domain.Actor
	user  *domain.User
	loc   *locale
	csrf  string
}

// public serves a page for anyone (the sign-in pages): the CSRF token is
// keyed by a pre-session cookie, made on first sight.
func (u *UI) public(fn func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pre := ""
		if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 43 {
			pre = c.Value
		}
		if pre == "" {
			var b [32]byte
			_, _ = rand.Read(b[:])
			pre = base64.RawURLEncoding.EncodeToString(b[:])
			setCookie(w, preCookie, pre, 0)
		}
		rq := &request{w: w, r: r, ctx: r.Context(), loc: u.i18n.localeFor(r, nil), csrf: csrfFor(pre)}
		if r.Method == http.MethodPost && !u.checkForm(rq) {
			return
		}
		fn(rq)
	}
}

// signedIn serves a page for a signed-in person: the session cookie is
// authenticated as the API authenticates a bearer token (revocation,
// expiry, idle timeout, the user's status and role, read afresh); without
// one the browser goes to the sign-in page. A session that must first
// set a password or enroll a second factor is sent to that page.
func (u *UI) signedIn(fn func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			u.toSignIn(w, r)
			return
		}
		// The user comes with the session, read in the same lookup.
		actor, user, err := u.identity.AuthenticateSession(r.Context(), c.Value)
		if err != nil {
			if domain.AsError(err).Code != domain.CodeUnauthenticated {
				u.fail(w, r, nil, err)
				return
			}
			clearCookie(w, sessionCookie)
			u.toSignIn(w, r)
			return
		}
		ctx := domain.WithActor(r.Context(), actor)
		rq := &request{w: w, r: r, ctx: ctx, actor: actor, user: user, loc: u.i18n.localeFor(r, user), csrf: csrfFor(c.Value)}
		if r.Method == http.MethodPost && !u.checkForm(rq) {
			return
		}
		if to := pendingPage(actor.Pending); to != "" && !strings.HasPrefix(r.URL.Path, to) && r.URL.Path != "/logout" {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		fn(rq)
	}
}

// pendingPage is where a session with a pending step must go.
func pendingPage(p domain.Pending) string {
	switch p {
	case domain.PendingPasswordChange:
		return "/settings/password"
	case domain.PendingMFAEnrollment:
		return "/settings/security"
	}
	return ""
}

// checkForm parses a POSTed form (bounded by the server's body limit) and
// checks its CSRF token.
func (u *UI) checkForm(rq *request) bool {
	if err := rq.r.ParseForm(); err != nil {
		u.failed(rq, domain.Invalid("", "the form could not be read"))
		return false
	}
	if !csrfValid(csrfKey(rq), rq.r.PostForm.Get(csrfField)) {
		http.Error(rq.w, "the form has expired; go back, reload the page and try again", http.StatusForbidden)
		return false
	}
	return true
}

// csrfKey is the cookie the request's CSRF token is derived from.
func csrfKey(rq *request) string {
	name := preCookie
	if rq.actor != nil {
		name = sessionCookie
	}
	c, err := rq.r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// toSignIn sends the browser to the sign-in page, remembering a page it
// may return to.
func (u *UI) toSignIn(w http.ResponseWriter, r *http.Request) {
	to := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		to += "?next=" + url.QueryEscape(r.URL.Path)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// safeNext is a local path to return to after sign-in, or "".
func safeNext(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") || len(p) > 200 {
		return ""
	}
	return p
}
