package webui

import (
	"net/http"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// The administrator's user pages: the list, a new user (with a generated
// or typed temporary password), and one user's page — role, team and
// name; disable and enable; reset the second factor or the password;
// their sessions and API tokens. The identity service authorizes every
// step and asks for a fresh sign-in (step-up) where it does.

func (u *UI) adminUserRoutes() []route {
	return []route{
		{"GET /admin", u.signedIn(func(rq *request) { seeOther(rq, usersPath) })},
		{"GET /admin/users", u.signedIn(u.usersPage)},
		{"GET /admin/users/new", u.signedIn(u.userNewPage)},
		{"POST /admin/users", u.signedIn(u.userCreate)},
		{"GET /admin/users/{id}", u.signedIn(u.userPage)},
		{"POST /admin/users/{id}", u.signedIn(u.userUpdate)},
		{"POST /admin/users/{id}/status", u.signedIn(u.userStatus)},
		{"POST /admin/users/{id}/mfa-reset", u.signedIn(u.userMFAReset)},
		{"POST /admin/users/{id}/password-reset", u.signedIn(u.userPasswordReset)},
		{"POST /admin/users/{id}/sessions/{sid}/end", u.signedIn(u.userSessionEnd)},
		{"POST /admin/users/{id}/tokens", u.signedIn(u.userTokenCreate)},
		{"POST /admin/users/{id}/tokens/{tid}/revoke", u.signedIn(u.userTokenRevoke)},
	}
}

const usersPath = "/admin/users"

// adminTabs is the administrator's own navigation.
func adminTabs(path string) []auditTab {
	tabs := []auditTab{
		{"/admin/users", "admin.tab_users", false},
		{"/admin/roles", "admin.tab_roles", false},
		{"/admin/teams", "admin.tab_teams", false},
	}
	for i := range tabs {
		tabs[i].Current = path == tabs[i].Href || strings.HasPrefix(path, tabs[i].Href+"/")
	}
	return tabs
}

type usersView struct {
	base
	Tabs       []auditTab
	Users      []*domain.User
	Teams      map[domain.ID]string
	NextCursor string
}

// TeamName is a team's name, or "".
func (v *usersView) TeamName(id domain.ID) string { return v.Teams[id] }

func (u *UI) usersPage(rq *request) {
	cursor := rq.r.URL.Query().Get("cursor")
	if cursor != "" && !domain.ValidID(domain.KindUser, cursor) {
		u.failed(rq, domain.Invalid("cursor", "not a cursor"))
		return
	}
	page, err := u.identity.ListUsers(rq.ctx, domain.ID(cursor), 50)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &usersView{base: u.newBase(rq, "users.title"), Tabs: adminTabs(rq.r.URL.Path), Users: page.Items,
		NextCursor: page.NextCursor, Teams: u.teamNames(rq)}
	u.render(rq, http.StatusOK, "admin_users", v)
}

// teamNames maps team ids to names (empty when the list is refused).
func (u *UI) teamNames(rq *request) map[domain.ID]string {
	teams, err := u.identity.ListTeams(rq.ctx)
	if err != nil {
		return nil
	}
	out := make(map[domain.ID]string, len(teams))
	for _, t := range teams {
		out[t.ID] = t.Name
	}
	return out
}

// userForm is the new-user form as typed.
type userForm struct {
	Email, DisplayName, Role, Team, Password, Kind string
}

type userNewView struct {
	base
	Tabs   []auditTab
	Form   userForm
	Roles  []*domain.Role
	Teams  []*domain.Team
	Errors map[string]string
}

// Invalid reports whether field has an error.
func (v *userNewView) Invalid(field string) bool { return v.Errors[field] != "" }

func (u *UI) userNewPage(rq *request) {
	u.showUserNew(rq, userForm{Role: domain.RoleSalesRep, Kind: string(domain.UserPerson)}, nil, http.StatusOK)
}

func (u *UI) showUserNew(rq *request, f userForm, errs map[string]string, status int) {
	roles, err := u.identity.ListRoles(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	teams, err := u.identity.ListTeams(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	if errs == nil {
		errs = map[string]string{}
	}
	u.render(rq, status, "admin_user_new", &userNewView{base: u.newBase(rq, "users.new"), Tabs: adminTabs(rq.r.URL.Path),
		Form: f, Roles: roles, Teams: teams, Errors: errs})
}

type temporaryPasswordView struct {
	base
	Tabs     []auditTab
	Target   *domain.User
	Password string
	Created  bool
}

func (u *UI) userCreate(rq *request) {
	pf := rq.r.PostForm
	f := userForm{Email: strings.TrimSpace(pf.Get("email")), DisplayName: strings.TrimSpace(pf.Get("display_name")),
		Role: pf.Get("role"), Team: pf.Get("team"), Password: pf.Get("password"), Kind: pf.Get("kind")}
	in := &identity.UserInput{Email: f.Email, DisplayName: f.DisplayName, Role: f.Role, TeamID: domain.ID(f.Team)}
	pw := ""
	switch domain.UserKind(f.Kind) {
	case domain.UserService:
		in.Kind = domain.UserService
	case "", domain.UserPerson:
		pw = f.Password
		if pw == "" {
			pw = identity.GeneratePassword()
		}
		in.Password, in.MustChangePassword = pw, true
	default:
		u.showUserNew(rq, f, map[string]string{"kind": "users.bad_kind"}, http.StatusBadRequest)
		return
	}
	created, err := u.identity.CreateUser(rq.ctx, in)
	if stepUpNeeded(rq, err, usersPath+"/new") {
		return
	}
	if err != nil {
		f.Password = ""
		if field, key := userFieldError(err); field != "" {
			u.showUserNew(rq, f, map[string]string{field: key}, http.StatusBadRequest)
			return
		}
		u.failed(rq, err)
		return
	}
	if created.Kind == domain.UserService {
		seeOther(rq, usersPath+"/"+string(created.ID)+"?done=user_created")
		return
	}
	u.render(rq, http.StatusOK, "admin_user_password", &temporaryPasswordView{base: u.newBase(rq, "users.created"),
		Tabs: adminTabs(rq.r.URL.Path), Target: created, Password: pw, Created: true})
}

// userFieldError maps a refusal to the form field it concerns and a
// message key ("" when it concerns no field).
func userFieldError(err error) (field, key string) {
	e := domain.AsError(err)
	switch e.Code {
	case domain.CodeConflict:
		return "email", "users.email_taken"
	case domain.CodeInvalid:
	default:
		return "", ""
	}
	switch e.Field {
	case "email":
		return "email", "users.bad_email"
	case "display_name":
		return "display_name", "users.bad_name"
	case "password", "temporary_password":
		return "password", "users.bad_password"
	case "role":
		return "role", "users.bad_role"
	case "team_id":
		return "team", "users.bad_team"
	case "territory_ids":
		return "territory", "users.bad_territory"
	}
	return "form", "error.invalid"
}

type userView struct {
	base
	Tabs     []auditTab
	Target   *domain.User
	Roles    []*domain.Role
	Teams    []*domain.Team
	Sessions []identity.SessionView
	Tokens   []*domain.APIToken
	// Territories lists every territory; InTerritory those of the user.
	Territories []*domain.Territory
	InTerritory map[domain.ID]bool
	Scopes      []string
	Errors      map[string]string
	// Self is set when the administrator looks at their own account
	// (they may not change their own role or status).
	Self bool
	Now  time.Time
}

// Invalid reports whether field has an error.
func (v *userView) Invalid(field string) bool { return v.Errors[field] != "" }

// Active reports whether the token is neither revoked nor expired.
func (v *userView) Active(t *domain.APIToken) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || t.ExpiresAt.After(v.Now))
}

func (u *UI) userID(rq *request) (domain.ID, bool) {
	id, err := domain.ParseID(domain.KindUser, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("user"))
		return "", false
	}
	return id, true
}

func (u *UI) userPage(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	u.showUser(rq, id, nil, http.StatusOK)
}

func (u *UI) showUser(rq *request, id domain.ID, errs map[string]string, status int) {
	target, err := u.identity.GetUser(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	roles, err := u.identity.ListRoles(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	teams, err := u.identity.ListTeams(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	sessions, err := u.identity.ListSessions(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	tokens, err := u.identity.ListTokens(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	terrs, err := u.identity.ListTerritories(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	mine, err := u.identity.UserTerritories(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	in := make(map[domain.ID]bool, len(mine))
	for _, t := range mine {
		in[t] = true
	}
	if errs == nil {
		errs = map[string]string{}
	}
	v := &userView{base: u.newBase(rq, "users.user"), Tabs: adminTabs(rq.r.URL.Path), Target: target, Roles: roles,
		Teams: teams, Sessions: sessions, Tokens: tokens, Scopes: identity.TokenScopes(), Errors: errs,
		Self: id == rq.actor.UserID, Now: u.now(), Territories: terrs, InTerritory: in}
	u.render(rq, status, "admin_user", v)
}

func (u *UI) userUpdate(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	pf := rq.r.PostForm
	name, role, team := strings.TrimSpace(pf.Get("display_name")), pf.Get("role"), domain.ID(pf.Get("team"))
	terrs := make([]domain.ID, 0, len(pf["territory"]))
	for _, t := range pf["territory"] {
		terrs = append(terrs, domain.ID(t))
	}
	p := &identity.UserPatch{DisplayName: &name, TeamID: &team, TerritoryIDs: &terrs}
	if id != rq.actor.UserID {
		p.Role = &role
	}
	u.afterUserChange(rq, id, func() error { _, err := u.identity.UpdateUser(rq.ctx, id, p); return err }, "user_saved")
}

func (u *UI) userStatus(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	st := domain.UserStatus(rq.r.PostForm.Get("status"))
	notice := "user_enabled"
	if st == domain.UserDisabled {
		notice = "user_disabled"
	}
	u.afterUserChange(rq, id, func() error {
		_, err := u.identity.UpdateUser(rq.ctx, id, &identity.UserPatch{Status: &st})
		return err
	}, notice)
}

func (u *UI) userMFAReset(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	u.afterUserChange(rq, id, func() error { return u.identity.ResetUserMFA(rq.ctx, id) }, "user_mfa_reset")
}

// afterUserChange runs change and answers: step-up, the user's page with
// the error at its field, or back to the page with notice.
func (u *UI) afterUserChange(rq *request, id domain.ID, change func() error, notice string) {
	back := usersPath + "/" + string(id)
	err := change()
	if stepUpNeeded(rq, err, back) {
		return
	}
	if err != nil {
		if field, key := userFieldError(err); field != "" {
			u.showUser(rq, id, map[string]string{field: key}, http.StatusBadRequest)
			return
		}
		u.failed(rq, err)
		return
	}
	seeOther(rq, back+"?done="+notice)
}

func (u *UI) userPasswordReset(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	pw := identity.GeneratePassword()
	err := u.identity.ResetPassword(rq.ctx, id, pw)
	if stepUpNeeded(rq, err, usersPath+"/"+string(id)) {
		return
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	target, err := u.identity.GetUser(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "admin_user_password", &temporaryPasswordView{base: u.newBase(rq, "users.password_reset_done"),
		Tabs: adminTabs(rq.r.URL.Path), Target: target, Password: pw})
}

func (u *UI) userSessionEnd(rq *request) {
	id, ok := u.userID(rq)
	if !ok {
		return
	}
	sid, err := domain.ParseID(domain.KindSession, "sid", rq.r.PathValue("sid"))
	if err != nil {
		u.failed(rq, domain.NotFound("session"))
		return
	}
	// The session must be this user's: the list is authorized and scoped.
	list, err := u.identity.ListSessions(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	found := false
	for _, s := range list {
		found = found || s.ID == sid
	}
	if !found {
		u.failed(rq, domain.NotFound("session"))
		return
	}
	if err := u.identity.EndSession(rq.ctx, sid); err != nil {
		u.failed(rq, err)
		return
	}
	if sid == rq.actor.SessionID {
		clearCookie(rq.w, sessionCookie)
		seeOther(rq, "/login")
		return
	}
	seeOther(rq, usersPath+"/"+string(id)+"?done=session_ended")
}
