package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// Step-up: before a sensitive action (export, reveal, a new second
// factor…) the service answers step_up_required when the session's last
// proof is older than the step-up window; the page then sends the person
// here, and back when they have confirmed who they are. Step-up rotates
// the session: the cookie gets the new token.

func (u *UI) stepUpRoutes() []route {
	return []route{
		{"GET /step-up", u.signedIn(u.stepUpPage)},
		{"POST /step-up", u.signedIn(u.stepUpSubmit)},
		{"POST /step-up/mfa", u.signedIn(u.stepUpMFA)},
	}
}

// toStepUp sends the browser to confirm who they are, returning to back.
func toStepUp(rq *request, back string) {
	seeOther(rq, "/step-up?next="+url.QueryEscape(back))
}

// stepUpNeeded reports (and handles) a step_up_required error.
func stepUpNeeded(rq *request, err error, back string) bool {
	if domain.ErrorCode(err) != domain.CodeStepUpRequired {
		return false
	}
	toStepUp(rq, back)
	return true
}

type stepUpView struct {
	base
	Next    string
	HasMFA  bool
	Error   string
	Methods map[string]bool
	// WebAuthn holds passkey options when the password was right and a
	// passkey is to answer.
	WebAuthn string
}

func (u *UI) stepUpPage(rq *request) {
	v := &stepUpView{base: u.newBase(rq, "stepup.title"), Next: safeNext(rq.r.URL.Query().Get("next")), HasMFA: rq.user.MFAEnabled}
	u.render(rq, http.StatusOK, "stepup", v)
}

func (u *UI) stepUpSubmit(rq *request) {
	f := rq.r.PostForm
	v := &stepUpView{base: u.newBase(rq, "stepup.title"), Next: safeNext(f.Get("next")), HasMFA: rq.user.MFAEnabled}
	in := &identity.StepUpInput{Password: f.Get("password")}
	if code := f.Get("code"); code != "" {
		in.Method, in.Code = f.Get("method"), code
	}
	res, err := u.identity.StepUp(rq.ctx, in)
	if err != nil {
		u.stepUpFailed(rq, v, err)
		return
	}
	if res.MFA != nil { // a passkey answers: the challenge waits in a cookie
		setCookie(rq.w, mfaCookie, encodeChallenge(res.MFA), int(time.Until(res.MFA.ExpiresAt).Seconds()))
		v.Methods = map[string]bool{}
		for _, m := range res.MFA.Methods {
			v.Methods[m] = true
		}
		v.WebAuthn = string(res.MFA.WebAuthn)
		u.render(rq, http.StatusOK, "stepup_mfa", v)
		return
	}
	u.steppedUp(rq, res, v.Next)
}

func (u *UI) stepUpFailed(rq *request, v *stepUpView, err error) {
	e := domain.AsError(err)
	switch {
	case e.Code == domain.CodeRateLimited:
		v.Error = "login.throttled"
	case e.Field == "password":
		v.Error = "stepup.wrong_password"
	case e.Field == "code" || e.Field == "method":
		v.Error = "mfa.rejected"
	default:
		u.failed(rq, err)
		return
	}
	u.render(rq, statusOf(e.Code), "stepup", v)
}

// stepUpMFA answers a step-up's passkey challenge.
func (u *UI) stepUpMFA(rq *request) {
	cc := pendingChallenge(rq.r)
	next := safeNext(rq.r.PostForm.Get("next"))
	if cc == nil {
		toStepUp(rq, next)
		return
	}
	in := &identity.MFAInput{Token: cc.Token, Method: rq.r.PostForm.Get("method"), Code: rq.r.PostForm.Get("code")}
	if in.Method == domain.MethodWebAuthn {
		in.Credential = json.RawMessage(rq.r.PostForm.Get("credential"))
	}
	res, err := u.identity.CompleteMFA(rq.ctx, in)
	if err != nil {
		v := &stepUpView{base: u.newBase(rq, "stepup.title"), Next: next, HasMFA: true}
		u.stepUpFailed(rq, v, err)
		return
	}
	u.steppedUp(rq, res, next)
}

// steppedUp keeps the rotated session and goes back.
func (u *UI) steppedUp(rq *request, res *identity.LoginResult, next string) {
	clearCookie(rq.w, mfaCookie)
	if res.Token != "" {
		setCookie(rq.w, sessionCookie, res.Token, int(time.Until(res.ExpiresAt).Seconds()))
	}
	if next == "" {
		next = "/"
	}
	seeOther(rq, next)
}
