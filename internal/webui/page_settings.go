package webui

import (
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (u *UI) settingsRoutes() []route {
	return []route{
		{"GET /settings", u.signedIn(u.settingsPage)},
		{"POST /settings/preferences", u.signedIn(u.settingsSave)},
		{"GET /settings/password", u.signedIn(u.passwordPage)},
		{"POST /settings/password", u.signedIn(u.passwordSave)},
	}
}

// zones offered in the time-zone list: where Custos's users work.
var zones = []string{"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
	"Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC"}

type settingsView struct {
	base
	Zones    []string
	Locale   string
	TimeZone string
	Errors   map[string]string // field → message key
}

func (u *UI) settingsPage(rq *request) {
	v := &settingsView{base: u.newBase(rq, "settings.title"), Zones: zones, Locale: rq.user.Locale, TimeZone: rq.user.TimeZone}
	u.render(rq, http.StatusOK, "settings", v)
}

func (u *UI) settingsSave(rq *request) {
	f := rq.r.PostForm
	locale, zone := f.Get("locale"), f.Get("time_zone")
	_, err := u.identity.SetPreferences(rq.ctx, &identity.Preferences{Locale: &locale, TimeZone: &zone})
	if err != nil {
		e := domain.AsError(err)
		if e.Code != domain.CodeInvalid {
			u.failed(rq, err)
			return
		}
		v := &settingsView{base: u.newBase(rq, "settings.title"), Zones: zones, Locale: locale, TimeZone: zone,
			Errors: map[string]string{e.Field: "settings.invalid_" + e.Field}}
		u.render(rq, http.StatusBadRequest, "settings", v)
		return
	}
	seeOther(rq, "/settings?done=saved")
}

type passwordView struct {
	base
	Forced bool
	Errors map[string]string // field → message key
	Detail string            // the policy's reason, in English, for a refused new password
}

func (u *UI) passwordPage(rq *request) {
	v := &passwordView{base: u.newBase(rq, "password.title"), Forced: rq.actor.Pending == domain.PendingPasswordChange}
	u.render(rq, http.StatusOK, "password", v)
}

func (u *UI) passwordSave(rq *request) {
	f := rq.r.PostForm
	v := &passwordView{base: u.newBase(rq, "password.title"), Forced: rq.actor.Pending == domain.PendingPasswordChange,
		Errors: map[string]string{}}
	if f.Get("new_password") != f.Get("confirm_password") {
		v.Errors["confirm_password"] = "password.mismatch"
		u.render(rq, http.StatusBadRequest, "password", v)
		return
	}
	err := u.identity.ChangePassword(rq.ctx, f.Get("current_password"), f.Get("new_password"))
	if err != nil {
		e := domain.AsError(err)
		switch {
		case e.Field == "current_password":
			v.Errors["current_password"] = "password.wrong_current"
		case e.Field == "new_password" && e.Code == domain.CodeInvalid:
			v.Errors["new_password"] = "password.weak"
			v.Detail = e.Message
		case e.Code == domain.CodeRateLimited:
			v.Errors["current_password"] = "login.throttled"
		default:
			u.failed(rq, err)
			return
		}
		u.render(rq, statusOf(e.Code), "password", v)
		return
	}
	// Changing the password ends the other sessions and keeps this one.
	seeOther(rq, "/settings?done=password_changed")
}
