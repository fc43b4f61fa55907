package webui

import (
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// The security page: second factors (authenticator app, passkeys,
// recovery codes) and the person's own sessions. Adding or removing a
// factor needs a fresh sign-in (step-up); a role that requires a second
// factor sends a new session here before anything else.

func (u *UI) securityRoutes() []route {
	return []route{
		{"GET /settings/security", u.signedIn(u.securityPage)},
		{"POST /settings/security/totp", u.signedIn(u.totpBegin)},
		{"POST /settings/security/totp/confirm", u.signedIn(u.totpConfirm)},
		{"POST /settings/security/totp/remove", u.signedIn(u.totpRemove)},
		{"POST /settings/security/passkeys", u.signedIn(u.passkeyBegin)},
		{"POST /settings/security/passkeys/finish", u.signedIn(u.passkeyFinish)},
		{"POST /settings/security/passkeys/{id}/remove", u.signedIn(u.passkeyRemove)},
		{"POST /settings/security/recovery", u.signedIn(u.recoveryRegenerate)},
		{"GET /settings/sessions", u.signedIn(u.sessionsPage)},
		{"POST /settings/sessions/{id}/end", u.signedIn(u.sessionEnd)},
		{"POST /settings/sessions/end-others", u.signedIn(u.sessionsEndOthers)},
	}
}

const securityPath = "/settings/security"

type securityView struct {
	base
	MFA     *identity.MFAStatus
	Pending bool // the role requires a second factor the user has not enrolled
	Error   string
}

func (u *UI) securityPage(rq *request) {
	st, err := u.identity.MFA(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &securityView{base: u.newBase(rq, "security.title"), MFA: st, Pending: rq.actor.Pending == domain.PendingMFAEnrollment}
	u.render(rq, http.StatusOK, "security", v)
}

type totpSetupView struct {
	base
	Secret string
	URI    string
	QR     template.HTML
	Error  string
}

func (u *UI) totpBegin(rq *request) {
	enr, err := u.identity.BeginTOTP(rq.ctx)
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.showTOTPSetup(rq, enr, "", http.StatusOK)
}

func (u *UI) showTOTPSetup(rq *request, enr *identity.TOTPEnrollment, errKey string, status int) {
	qr, err := qrSVG(enr.URI, rq.loc.T("totp.qr_label"))
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &totpSetupView{base: u.newBase(rq, "totp.title"), Secret: enr.Secret, URI: enr.URI, QR: qr, Error: errKey}
	u.render(rq, status, "totp_setup", v)
}

type recoveryView struct {
	base
	Codes []string
}

func (u *UI) showRecoveryCodes(rq *request, codes []string) {
	u.render(rq, http.StatusOK, "recovery_codes", &recoveryView{base: u.newBase(rq, "recovery.title"), Codes: codes})
}

func (u *UI) totpConfirm(rq *request) {
	codes, err := u.identity.ConfirmTOTP(rq.ctx, rq.r.PostForm.Get("code"))
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.CodeInvalid, domain.CodeUnauthenticated:
			// A wrong code: the same enrollment, tried again.
			enr := &identity.TOTPEnrollment{Secret: rq.r.PostForm.Get("secret"), URI: rq.r.PostForm.Get("uri")}
			if enr.Secret == "" {
				seeOther(rq, securityPath)
				return
			}
			u.showTOTPSetup(rq, enr, "totp.wrong_code", http.StatusBadRequest)
		default:
			u.failed(rq, err)
		}
		return
	}
	if len(codes) > 0 {
		u.showRecoveryCodes(rq, codes)
		return
	}
	seeOther(rq, securityPath+"?done=totp_added")
}

func (u *UI) totpRemove(rq *request) {
	err := u.identity.RemoveTOTP(rq.ctx)
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	seeOther(rq, securityPath+"?done=totp_removed")
}

type passkeySetupView struct {
	base
	Token   string
	Options string
}

func (u *UI) passkeyBegin(rq *request) {
	reg, err := u.identity.BeginPasskeyRegistration(rq.ctx, rq.r.PostForm.Get("name"))
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.CodeInvalid {
			st, _ := u.identity.MFA(rq.ctx)
			v := &securityView{base: u.newBase(rq, "security.title"), MFA: st, Error: "passkey.bad_name",
				Pending: rq.actor.Pending == domain.PendingMFAEnrollment}
			u.render(rq, http.StatusBadRequest, "security", v)
			return
		}
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "passkey_setup", &passkeySetupView{base: u.newBase(rq, "passkey.title"),
		Token: reg.Token, Options: string(reg.Options)})
}

func (u *UI) passkeyFinish(rq *request) {
	_, codes, err := u.identity.FinishPasskeyRegistration(rq.ctx, rq.r.PostForm.Get("registration_token"),
		json.RawMessage(rq.r.PostForm.Get("credential")))
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	if len(codes) > 0 {
		u.showRecoveryCodes(rq, codes)
		return
	}
	seeOther(rq, securityPath+"?done=passkey_added")
}

func (u *UI) passkeyRemove(rq *request) {
	id, err := domain.ParseID(domain.KindPasskey, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("passkey"))
		return
	}
	err = u.identity.RemovePasskey(rq.ctx, id)
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	seeOther(rq, securityPath+"?done=passkey_removed")
}

func (u *UI) recoveryRegenerate(rq *request) {
	codes, err := u.identity.RegenerateRecoveryCodes(rq.ctx)
	if stepUpNeeded(rq, err, securityPath) {
		return
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.showRecoveryCodes(rq, codes)
}

type sessionsView struct {
	base
	Sessions []identity.SessionView
}

func (u *UI) sessionsPage(rq *request) {
	list, err := u.identity.ListSessions(rq.ctx, rq.actor.UserID)
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "sessions", &sessionsView{base: u.newBase(rq, "sessions.title"), Sessions: list})
}

func (u *UI) sessionEnd(rq *request) {
	id, err := domain.ParseID(domain.KindSession, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("session"))
		return
	}
	if err := u.identity.EndSession(rq.ctx, id); err != nil {
		u.failed(rq, err)
		return
	}
	if id == rq.actor.SessionID {
		clearCookie(rq.w, sessionCookie)
		seeOther(rq, "/login")
		return
	}
	seeOther(rq, "/settings/sessions?done=session_ended")
}

func (u *UI) sessionsEndOthers(rq *request) {
	list, err := u.identity.ListSessions(rq.ctx, rq.actor.UserID)
	if err != nil {
		u.failed(rq, err)
		return
	}
	for _, s := range list {
		if s.Current {
			continue
		}
		if err := u.identity.EndSession(rq.ctx, s.ID); err != nil && !errorsIsNotFound(err) {
			u.failed(rq, err)
			return
		}
	}
	seeOther(rq, "/settings/sessions?done=sessions_ended")
}

func errorsIsNotFound(err error) bool { return domain.ErrorCode(err) == domain.CodeNotFound }
