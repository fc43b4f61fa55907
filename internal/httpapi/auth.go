package httpapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func (api *API) authRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/auth/login", Public, api.login},
		{"POST", "/api/v1/auth/logout", Authenticated, api.logout},
		{"GET", "/api/v1/auth/me", Authenticated, api.me},
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

func (api *API) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	res, err := api.identity.Login(r.Context(), in.Email, in.Password)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: res.Token, ExpiresAt: res.ExpiresAt, User: toUserJSON(res.User)})
}

func (api *API) logout(w http.ResponseWriter, r *http.Request) {
	if err := api.identity.Logout(r.Context()); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type meResponse struct {
	User      userJSON  `json:"user"`
	SessionID domain.ID `json:"session_id,omitempty"`
	TokenID   domain.ID `json:"token_id,omitempty"`
	AuthTime  time.Time `json:"auth_time"`
	Role      roleJSON  `json:"role"`
}

type roleJSON struct {
	Name      string            `json:"name"`
	Scope     domain.Scope      `json:"scope"`
	Functions []domain.Function `json:"functions"`
	Fields    map[string]string `json:"fields"`
}

func toRoleJSON(r *domain.Role) roleJSON {
	out := roleJSON{Name: r.Name, Scope: r.Scope, Functions: []domain.Function{}, Fields: map[string]string{}}
	for _, f := range domain.AllFunctions {
		if r.Can(f) {
			out.Functions = append(out.Functions, f)
		}
	}
	for _, c := range domain.AllFieldClasses {
		out.Fields[string(c)] = r.FieldAccess(c).String()
	}
	return out
}

func (api *API) me(w http.ResponseWriter, r *http.Request) {
	a, err := policy.Actor(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	u, err := api.identity.GetUser(r.Context(), a.UserID)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meResponse{User: toUserJSON(u), SessionID: a.SessionID, TokenID: a.TokenID,
		AuthTime: a.AuthTime, Role: toRoleJSON(a.Role)})
}
