package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) userRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/users", Authenticated, api.createUser},
		{"GET", "/api/v1/users", Authenticated, api.listUsers},
		{"GET", "/api/v1/users/{id}", Authenticated, api.getUser},
		{"PATCH", "/api/v1/users/{id}", Authenticated, api.updateUser},
		{"POST", "/api/v1/users/{id}/password-reset", Authenticated, api.resetPassword},
		{"DELETE", "/api/v1/users/{id}/mfa", Authenticated, api.resetUserMFA},
	}
}

type userJSON struct {
	ID                 domain.ID         `json:"id"`
	Email              string            `json:"email"`
	DisplayName        string            `json:"display_name"`
	Role               string            `json:"role"`
	TeamID             domain.ID         `json:"team_id,omitempty"`
	Kind               domain.UserKind   `json:"kind"`
	Status             domain.UserStatus `json:"status"`
	MustChangePassword bool              `json:"must_change_password,omitempty"`
	MFAEnabled         bool              `json:"mfa_enabled"`
	TerritoryIDs       []domain.ID       `json:"territory_ids,omitempty"`
	Locale             string            `json:"locale"`
	TimeZone           string            `json:"time_zone"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

func toUserJSON(u *domain.User) userJSON {
	kind := u.Kind
	if kind == "" {
		kind = domain.UserPerson
	}
	return userJSON{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Role: u.Role, TeamID: u.TeamID, Kind: kind,
		Status: u.Status, MustChangePassword: u.MustChangePassword, MFAEnabled: u.MFAEnabled,
		Locale: u.Locale, TimeZone: u.TimeZone, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func (api *API) createUser(w http.ResponseWriter, r *http.Request) {
	var in identity.UserInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	u, err := api.identity.CreateUser(r.Context(), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+string(u.ID))
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (api *API) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	u, err := api.identity.GetUser(r.Context(), id)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	out := toUserJSON(u)
	if out.TerritoryIDs, err = api.identity.UserTerritories(r.Context(), id); err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (api *API) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var p identity.UserPatch
	if err := decodeJSON(r, &p); err != nil {
		api.writeError(w, r, err)
		return
	}
	u, err := api.identity.UpdateUser(r.Context(), id, &p)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

type passwordResetRequest struct {
	TemporaryPassword string `json:"temporary_password"`
}

func (api *API) resetPassword(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var in passwordResetRequest
	if err := decodeOptionalJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.ResetPassword(r.Context(), id, in.TemporaryPassword); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) resetUserMFA(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.ResetUserMFA(r.Context(), id); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) listUsers(w http.ResponseWriter, r *http.Request) {
	cursor, limit, err := pageParams(r, domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.identity.ListUsers(r.Context(), cursor, limit)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]userJSON, len(page.Items))
	for i, u := range page.Items {
		items[i] = toUserJSON(u)
	}
	writeJSON(w, http.StatusOK, listJSON[userJSON]{Items: items, NextCursor: encodeCursor(page.NextCursor)})
}
