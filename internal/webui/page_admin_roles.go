package webui

import (
	"net/http"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

// Roles: the list, one role's functions, scope and field-class × access
// matrix — an editable table for a custom role, read-only for a built-in
// one — and a new custom role. The identity service refuses changes to a
// built-in role's grants and any role granting more than its author holds.

func (u *UI) adminRoleRoutes() []route {
	return []route{
		{"GET /admin/roles", u.signedIn(u.rolesPage)},
		{"POST /admin/roles", u.signedIn(u.roleCreate)},
		{"GET /admin/roles/{name}", u.signedIn(u.rolePage)},
		{"POST /admin/roles/{name}", u.signedIn(u.roleUpdate)},
	}
}

const rolesPath = "/admin/roles"

// accessLevels are the matrix's columns, least first.
var accessLevels = []domain.Access{domain.AccessNone, domain.AccessMasked, domain.AccessRead, domain.AccessWrite}

var roleScopes = []domain.Scope{domain.ScopeOwn, domain.ScopeTeam, domain.ScopeTerritory, domain.ScopeAll}

type rolesView struct {
	base
	Tabs   []auditTab
	Roles  []*domain.Role
	Name   string
	Errors map[string]string
}

func (u *UI) rolesPage(rq *request) {
	u.showRoles(rq, "", nil, http.StatusOK)
}

func (u *UI) showRoles(rq *request, name string, errs map[string]string, status int) {
	roles, err := u.identity.ListRoles(rq.ctx)
	if err != nil {
		u.failed(rq, err)
		return
	}
	if errs == nil {
		errs = map[string]string{}
	}
	u.render(rq, status, "admin_roles", &rolesView{base: u.newBase(rq, "roles.title"), Tabs: adminTabs(rq.r.URL.Path),
		Roles: roles, Name: name, Errors: errs})
}

// roleCreate creates a custom role that grants nothing yet; its page
// then sets what it grants.
func (u *UI) roleCreate(rq *request) {
	name := strings.TrimSpace(rq.r.PostForm.Get("name"))
	r, err := u.identity.CreateRole(rq.ctx, &identity.RoleInput{Name: name, Scope: domain.ScopeOwn})
	if stepUpNeeded(rq, err, rolesPath) {
		return
	}
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.CodeInvalid:
			u.showRoles(rq, name, map[string]string{"name": "roles.bad_name"}, http.StatusBadRequest)
		case domain.CodeConflict:
			u.showRoles(rq, name, map[string]string{"name": "roles.name_taken"}, http.StatusConflict)
		default:
			u.failed(rq, err)
		}
		return
	}
	seeOther(rq, rolesPath+"/"+r.Name+"?done=role_created")
}

// matrixRow is one field class with its access and the levels to choose.
type matrixRow struct {
	Class  domain.FieldClass
	Access domain.Access
}

type roleView struct {
	base
	Tabs      []auditTab
	Role      *domain.Role
	Rows      []matrixRow
	Levels    []domain.Access
	Functions []domain.Function
	Scopes    []domain.Scope
	Error     string
}

// Grants reports whether the role holds function fn.
func (v *roleView) Grants(fn domain.Function) bool { return v.Role.Functions[fn] }

func (u *UI) rolePage(rq *request) {
	u.showRole(rq, rq.r.PathValue("name"), "", http.StatusOK)
}

func (u *UI) showRole(rq *request, name, errKey string, status int) {
	r, err := u.identity.GetRole(rq.ctx, name)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v := &roleView{base: u.newBase(rq, "roles.role"), Tabs: adminTabs(rq.r.URL.Path), Role: r, Levels: accessLevels,
		Functions: domain.AllFunctions, Scopes: roleScopes, Error: errKey}
	for _, c := range domain.AllFieldClasses {
		v.Rows = append(v.Rows, matrixRow{Class: c, Access: r.FieldAccess(c)})
	}
	u.render(rq, status, "admin_role", v)
}

func (u *UI) roleUpdate(rq *request) {
	name := rq.r.PathValue("name")
	pf := rq.r.PostForm
	fields := map[string]string{}
	for _, c := range domain.AllFieldClasses {
		if a := pf.Get("field." + string(c)); a != "" {
			fields[string(c)] = a
		}
	}
	var fns []domain.Function
	for _, f := range pf["function"] {
		fns = append(fns, domain.Function(f))
	}
	scope := domain.Scope(pf.Get("scope"))
	mfa := pf.Get("require_mfa") == "on"
	_, err := u.identity.UpdateRole(rq.ctx, name, &identity.RolePatch{Fields: &fields, Functions: &fns, Scope: &scope,
		RequireMFA: &mfa})
	back := rolesPath + "/" + name
	if stepUpNeeded(rq, err, back) {
		return
	}
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.CodeInvalid:
			u.showRole(rq, name, "roles.bad_change", http.StatusBadRequest)
		case domain.CodeForbidden:
			if _, gerr := u.identity.GetRole(rq.ctx, name); gerr == nil {
				u.showRole(rq, name, "roles.refused", http.StatusForbidden)
				return
			}
			u.failed(rq, err)
		default:
			u.failed(rq, err)
		}
		return
	}
	seeOther(rq, back+"?done=role_saved")
}
