package jsonapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) authRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/auth/login", Public, api.login},
		{"POST", "/api/v1/auth/login/mfa", Public, api.loginMFA},
		{"POST", "/api/v1/auth/logout", Authenticated, api.logout},
		{"GET", "/api/v1/auth/me", Authenticated, api.me},
		{"PATCH", "/api/v1/auth/me/preferences", Authenticated, api.setPreferences},
		{"POST", "/api/v1/auth/step-up", Authenticated, api.stepUp},
		{"POST", "/api/v1/auth/password", Authenticated, api.changePassword},
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// loginResponse is a session, or (mfa_required) a challenge for the
// second factor.
type loginResponse struct {
	Token     string         `json:"token,omitempty"`
	ExpiresAt time.Time      `json:"expires_at"`
	User      *userJSON      `json:"user,omitempty"`
	Pending   domain.Pending `json:"pending,omitempty"`

	MFARequired bool            `json:"mfa_required,omitempty"`
	MFAToken    string          `json:"mfa_token,omitempty"`
	Methods     []string        `json:"methods,omitempty"`
	WebAuthn    json.RawMessage `json:"webauthn,omitempty"`
}

func toLoginResponse(res *identity.LoginResult) loginResponse {
	if res.MFA != nil {
		return loginResponse{MFARequired: true, MFAToken: res.MFA.Token, Methods: res.MFA.Methods,
			ExpiresAt: res.MFA.ExpiresAt, WebAuthn: res.MFA.WebAuthn}
	}
	u := toUserJSON(res.User)
	return loginResponse{Token: res.Token, ExpiresAt: res.ExpiresAt, User: &u, Pending: res.Pending}
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
	writeJSON(w, http.StatusOK, toLoginResponse(res))
}

// mfaRequest answers a sign-in or step-up challenge.
type mfaRequest struct {
	MFAToken   string          `json:"mfa_token"`
	Method     string          `json:"method"`
	Code       string          `json:"code"`
	Credential json.RawMessage `json:"credential"`
}

func (api *API) loginMFA(w http.ResponseWriter, r *http.Request) {
	var in mfaRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	res, err := api.identity.CompleteMFA(r.Context(), &identity.MFAInput{Token: in.MFAToken, Method: in.Method,
		Code: in.Code, Credential: in.Credential})
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toLoginResponse(res))
}

func (api *API) logout(w http.ResponseWriter, r *http.Request) {
	if err := api.identity.Logout(r.Context()); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type meResponse struct {
	User      userJSON       `json:"user"`
	SessionID domain.ID      `json:"session_id,omitempty"`
	TokenID   domain.ID      `json:"token_id,omitempty"`
	Scopes    []string       `json:"scopes,omitempty"`
	AuthTime  time.Time      `json:"auth_time"`
	MFA       bool           `json:"mfa"`
	Pending   domain.Pending `json:"pending,omitempty"`
	Role      roleJSON       `json:"role"`
	Factors   mfaJSON        `json:"factors"`
}

func (api *API) me(w http.ResponseWriter, r *http.Request) {
	a, u, st, err := api.identity.Me(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, meResponse{User: toUserJSON(u), SessionID: a.SessionID, TokenID: a.TokenID, Scopes: a.Scopes,
		AuthTime: a.AuthTime, MFA: a.MFA, Pending: a.Pending, Role: toRoleJSON(a.Role), Factors: toMFAJSON(st)})
}

func (api *API) setPreferences(w http.ResponseWriter, r *http.Request) {
	var in identity.Preferences
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	u, err := api.identity.SetPreferences(r.Context(), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

type stepUpRequest struct {
	Password string `json:"password"`
	Method   string `json:"method"`
	Code     string `json:"code"`
}

func (api *API) stepUp(w http.ResponseWriter, r *http.Request) {
	var in stepUpRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	res, err := api.identity.StepUp(r.Context(), &identity.StepUpInput{Password: in.Password, Method: in.Method, Code: in.Code})
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toLoginResponse(res))
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (api *API) changePassword(w http.ResponseWriter, r *http.Request) {
	var in passwordRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.ChangePassword(r.Context(), in.CurrentPassword, in.NewPassword); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
