package webui

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (u *UI) signInRoutes() []route {
	return []route{
		{"GET /{$}", u.home},
		{"GET /login", u.public(u.loginPage)},
		{"POST /login", u.public(u.loginSubmit)},
		{"GET /login/mfa", u.public(u.mfaPage)},
		{"POST /login/mfa", u.public(u.mfaSubmit)},
		{"POST /logout", u.signedIn(u.logout)},
		{"POST /language", u.either(u.setLanguage)},
	}
}

// home sends a signed-in person to their first section, anyone else to
// the sign-in page.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u.signedIn(func(rq *request) {
		if nav := navFor(rq.actor, "/"); len(nav) > 0 {
			seeOther(rq, nav[0].Href)
			return
		}
		seeOther(rq, "/settings")
	})(w, r)
}

type loginView struct {
	base
	Email string
	Next  string
	Error string // message key
	Wait  string // rate limited: how long, formatted
}

func (u *UI) loginPage(rq *request) {
	v := &loginView{base: u.newBase(rq, "login.title"), Next: safeNext(rq.r.URL.Query().Get("next"))}
	u.render(rq, http.StatusOK, "login", v)
}

func (u *UI) loginSubmit(rq *request) {
	f := rq.r.PostForm
	v := &loginView{base: u.newBase(rq, "login.title"), Email: f.Get("email"), Next: safeNext(f.Get("next"))}
	res, err := u.identity.Login(rq.ctx, f.Get("email"), f.Get("password"))
	if err != nil {
		u.loginFailed(rq, v, err)
		return
	}
	u.signedInAs(rq, res, v.Next)
}

// loginFailed shows the sign-in form again with what went wrong, as
// precisely as is safe: one message for every bad email or password.
func (u *UI) loginFailed(rq *request, v *loginView, err error) {
	e := domain.AsError(err)
	status := http.StatusUnauthorized
	switch e.Code {
	case domain.CodeRateLimited:
		status, v.Error = http.StatusTooManyRequests, "login.throttled"
		v.Wait = rq.loc.T("duration.seconds", int(e.RetryAfter.Seconds()+0.999))
		rq.w.Header().Set("Retry-After", v.Wait)
	case domain.CodeInvalid:
		status, v.Error = http.StatusBadRequest, "login.incomplete"
	case domain.CodeUnauthenticated:
		v.Error = "login.failed"
	default:
		u.failed(rq, err)
		return
	}
	u.render(rq, status, "login", v)
}

// signedInAs finishes a sign-in: a second factor still to give, or the
// session cookie set and the browser sent on.
func (u *UI) signedInAs(rq *request, res *identity.LoginResult, next string) {
	if res.MFA != nil {
		setCookie(rq.w, mfaCookie, encodeChallenge(res.MFA), int(time.Until(res.MFA.ExpiresAt).Seconds()))
		to := "/login/mfa"
		if next != "" {
			to += "?next=" + template.URLQueryEscaper(next)
		}
		seeOther(rq, to)
		return
	}
	clearCookie(rq.w, mfaCookie)
	setCookie(rq.w, sessionCookie, res.Token, int(time.Until(res.ExpiresAt).Seconds()))
	if to := pendingPage(res.Pending); to != "" {
		seeOther(rq, to)
		return
	}
	if next == "" {
		next = "/"
	}
	seeOther(rq, next)
}

type mfaView struct {
	base
	Next     string
	Methods  map[string]bool
	WebAuthn string // assertion options, JSON, for the passkey script
	Error    string
}

// challengeCookie is what the browser keeps of a sign-in waiting for its
// second factor (HttpOnly, a few minutes): the challenge token, the
// methods it accepts and the passkey assertion options.
type challengeCookie struct {
	Token    string          `json:"t"`
	Methods  []string        `json:"m"`
	WebAuthn json.RawMessage `json:"w,omitempty"`
}

func encodeChallenge(c *identity.MFAChallenge) string {
	cc := challengeCookie{Token: c.Token, Methods: c.Methods, WebAuthn: c.WebAuthn}
	b, _ := json.Marshal(cc)
	if len(b) > 3000 { // a cookie holds about 4 KB: without the options, passkeys wait for a new sign-in
		cc.WebAuthn = nil
		b, _ = json.Marshal(cc)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// pendingChallenge reads the challenge of the sign-in in progress.
func pendingChallenge(r *http.Request) *challengeCookie {
	c, err := r.Cookie(mfaCookie)
	if err != nil {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	var cc challengeCookie
	if json.Unmarshal(b, &cc) != nil || cc.Token == "" {
		return nil
	}
	return &cc
}

func (u *UI) mfaPage(rq *request) {
	cc := pendingChallenge(rq.r)
	if cc == nil {
		seeOther(rq, "/login")
		return
	}
	u.render(rq, http.StatusOK, "login_mfa", u.mfaView(rq, cc, safeNext(rq.r.URL.Query().Get("next"))))
}

// mfaView shows the factors the challenge accepts.
func (u *UI) mfaView(rq *request, cc *challengeCookie, next string) *mfaView {
	v := &mfaView{base: u.newBase(rq, "mfa.title"), Next: next, Methods: map[string]bool{}}
	for _, m := range cc.Methods {
		v.Methods[m] = true
	}
	if len(cc.WebAuthn) > 0 {
		v.WebAuthn = string(cc.WebAuthn)
	} else {
		delete(v.Methods, "webauthn")
	}
	return v
}

func (u *UI) mfaSubmit(rq *request) {
	cc := pendingChallenge(rq.r)
	if cc == nil {
		seeOther(rq, "/login")
		return
	}
	token := cc.Token
	f := rq.r.PostForm
	in := &identity.MFAInput{Token: token, Method: f.Get("method"), Code: f.Get("code")}
	if in.Method == "webauthn" {
		in.Credential = json.RawMessage(f.Get("credential"))
	}
	next := safeNext(f.Get("next"))
	res, err := u.identity.CompleteMFA(rq.ctx, in)
	if err != nil {
		e := domain.AsError(err)
		v := u.mfaView(rq, cc, next)
		status := http.StatusUnauthorized
		switch e.Code {
		case domain.CodeInvalid:
			status, v.Error = http.StatusBadRequest, "mfa.bad_code"
		case domain.CodeRateLimited:
			status, v.Error = http.StatusTooManyRequests, "login.throttled"
		case domain.CodeUnauthenticated:
			v.Error = "mfa.rejected"
			if e.Message == "this sign-in has expired or was already completed; sign in again" {
				clearCookie(rq.w, mfaCookie)
				v.Error = "mfa.expired"
			}
		default:
			u.failed(rq, err)
			return
		}
		u.render(rq, status, "login_mfa", v)
		return
	}
	u.signedInAs(rq, res, next)
}

// logout ends the session and tells the browser to forget everything of
// Custos it holds.
func (u *UI) logout(rq *request) {
	if err := u.identity.Logout(rq.ctx); err != nil {
		u.log.Warn("logout", "err", err)
	}
	clearCookie(rq.w, sessionCookie)
	clearCookie(rq.w, mfaCookie)
	rq.w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	seeOther(rq, "/login?done=signed_out")
}

// either serves fn to the signed-in (their form carries the session's
// CSRF token) and to anyone else (the pre-session's).
func (u *UI) either(fn func(*request)) http.HandlerFunc {
	signed, public := u.signedIn(fn), u.public(fn)
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			signed(w, r)
			return
		}
		public(w, r)
	}
}

// setLanguage remembers a language chosen from the switcher, for the
// signed-in user as their preference too.
func (u *UI) setLanguage(rq *request) {
	lang := rq.r.PostForm.Get("lang")
	if lang != langEN && lang != langZH {
		u.failed(rq, domain.Invalid("lang", "unknown language"))
		return
	}
	http.SetCookie(rq.w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if rq.actor != nil {
		if _, err := u.identity.SetPreferences(rq.ctx, &identity.Preferences{Locale: &lang}); err != nil {
			u.log.Warn("language preference", "err", err)
		}
	}
	back := safeNext(rq.r.PostForm.Get("back"))
	if back == "" {
		back = "/"
	}
	seeOther(rq, back)
}
