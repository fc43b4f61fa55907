package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) tokenRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/tokens", Authenticated, userListHandler(api, api.identity.ListTokens, toTokenJSON)},
		{"POST", "/api/v1/tokens", Authenticated, api.createToken},
		{"DELETE", "/api/v1/tokens/{id}", Authenticated, deleteHandler(api, domain.KindToken, api.identity.RevokeToken)},
	}
}

// tokenJSON is an API token; Token (the secret) is present only in the
// answer that created it.
type tokenJSON struct {
	ID         domain.ID  `json:"id"`
	Token      string     `json:"token,omitempty"`
	UserID     domain.ID  `json:"user_id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  domain.ID  `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

func toTokenJSON(t *domain.APIToken) tokenJSON {
	out := tokenJSON{ID: t.ID, UserID: t.UserID, Name: t.Name, Scopes: t.Scopes, CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !t.LastUsedAt.IsZero() {
		v := t.LastUsedAt
		out.LastUsedAt = &v
	}
	if !t.RevokedAt.IsZero() {
		v := t.RevokedAt
		out.RevokedAt = &v
	}
	return out
}

func (api *API) createToken(w http.ResponseWriter, r *http.Request) {
	var in identity.TokenInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	t, secret, err := api.identity.CreateToken(r.Context(), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	out := toTokenJSON(t)
	out.Token = secret
	writeJSON(w, http.StatusCreated, out)
}
