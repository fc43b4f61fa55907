package jsonapi

import (
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) roleRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/roles", Authenticated, api.listRoles},
		{"POST", "/api/v1/roles", Authenticated, api.createRole},
		{"GET", "/api/v1/roles/{name}", Authenticated, api.getRole},
		{"PATCH", "/api/v1/roles/{name}", Authenticated, api.updateRole},
		{"DELETE", "/api/v1/roles/{name}", Authenticated, api.deleteRole},
	}
}

type sessionPolicyJSON struct {
	IdleTimeoutSeconds     int `json:"idle_timeout_seconds"`
	AbsoluteTimeoutSeconds int `json:"absolute_timeout_seconds"`
	MaxSessions            int `json:"max_sessions"`
}

type roleJSON struct {
	Name       string            `json:"name"`
	Builtin    bool              `json:"builtin"`
	Scope      domain.Scope      `json:"scope"`
	Functions  []domain.Function `json:"functions"`
	Fields     map[string]string `json:"fields"`
	Session    sessionPolicyJSON `json:"session"`
	RequireMFA bool              `json:"require_mfa"`
	// MaskedLookup: classes whose masked holders may look customers up
	// by an exact value (rate-limited).
	MaskedLookup []domain.FieldClass `json:"masked_lookup"`
}

func toRoleJSON(r *domain.Role) roleJSON {
	out := roleJSON{Name: r.Name, Builtin: r.Builtin, Scope: r.Scope, Functions: []domain.Function{}, Fields: map[string]string{},
		Session: sessionPolicyJSON{IdleTimeoutSeconds: int(r.IdleTimeout.Seconds()), AbsoluteTimeoutSeconds: int(r.AbsoluteTimeout.Seconds()),
			MaxSessions: r.MaxSessions}, RequireMFA: r.RequireMFA}
	for _, f := range domain.AllFunctions {
		if r.Can(f) {
			out.Functions = append(out.Functions, f)
		}
	}
	for _, c := range domain.AllFieldClasses {
		out.Fields[string(c)] = r.FieldAccess(c).String()
	}
	out.MaskedLookup = []domain.FieldClass{}
	for _, c := range domain.LookupClasses {
		if r.MaskedLookup[c] {
			out.MaskedLookup = append(out.MaskedLookup, c)
		}
	}
	return out
}

func (api *API) listRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := api.identity.ListRoles(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]roleJSON, 0, len(roles))
	for _, role := range roles {
		items = append(items, toRoleJSON(role))
	}
	writeJSON(w, http.StatusOK, listJSON[roleJSON]{Items: items})
}

func (api *API) getRole(w http.ResponseWriter, r *http.Request) {
	role, err := api.identity.GetRole(r.Context(), r.PathValue("name"))
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role))
}

func (api *API) createRole(w http.ResponseWriter, r *http.Request) {
	var in identity.RoleInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	role, err := api.identity.CreateRole(r.Context(), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/roles/"+role.Name)
	writeJSON(w, http.StatusCreated, toRoleJSON(role))
}

func (api *API) updateRole(w http.ResponseWriter, r *http.Request) {
	var in identity.RolePatch
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	role, err := api.identity.UpdateRole(r.Context(), r.PathValue("name"), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toRoleJSON(role))
}

func (api *API) deleteRole(w http.ResponseWriter, r *http.Request) {
	if err := api.identity.DeleteRole(r.Context(), r.PathValue("name")); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
