package jsonapi

import (
	"context"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) poolRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/pool/customers", Authenticated, api.listPool},
		{"POST", "/api/v1/pool/customers/{id}/claim", Authenticated, api.claimCustomer},
		{"POST", "/api/v1/pool/customers/{id}/assign", Authenticated, api.assignCustomer},
		{"POST", "/api/v1/customers/{id}/release", Authenticated, api.releaseCustomer},
		{"POST", "/api/v1/customers/{id}/reclaim", Authenticated, api.reclaimCustomer},
		{"POST", "/api/v1/pool/transfer-requests", Authenticated, api.requestTransfer},
		{"GET", "/api/v1/teams/{id}/pool-settings", Authenticated, api.getPoolSettings},
		{"PUT", "/api/v1/teams/{id}/pool-settings", Authenticated, api.putPoolSettings},
	}
}

func (api *API) listPool(w http.ResponseWriter, r *http.Request) {
	if err := checkQuery(r.URL.Query(), "cursor", "limit"); err != nil {
		api.writeError(w, r, err)
		return
	}
	cursor, limit, err := pageParams(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.pool.ListPool(r.Context(), cursor, limit)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]any, len(page.Items))
	for i, c := range page.Items {
		items[i] = toCustomerListItem(c)
	}
	writeJSON(w, http.StatusOK, listJSON[any]{Items: items, NextCursor: encodeCursor(page.NextCursor)})
}

func (api *API) claimCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err == nil {
		err = emptyBody(r)
	}
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	c, err := api.pool.Claim(r.Context(), id)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toCustomerJSON(c))
}

type assignRequest struct {
	OwnerID domain.ID `json:"owner_id"`
}

func (api *API) assignCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var in assignRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	owner, err := domain.ParseID(domain.KindUser, "owner_id", string(in.OwnerID))
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.pool.Assign(r.Context(), id, owner); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) releaseCustomer(w http.ResponseWriter, r *http.Request) {
	api.poolMove(w, r, api.pool.Release)
}

func (api *API) reclaimCustomer(w http.ResponseWriter, r *http.Request) {
	api.poolMove(w, r, api.pool.Reclaim)
}

// poolMove serves a move that takes a customer id and no input.
func (api *API) poolMove(w http.ResponseWriter, r *http.Request, move func(ctx context.Context, id domain.ID) error) {
	id, err := pathID(r, domain.KindCustomer)
	if err == nil {
		err = emptyBody(r)
	}
	if err == nil {
		err = move(r.Context(), id)
	}
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type transferRequest struct {
	Reference string `json:"reference"`
}

func (api *API) requestTransfer(w http.ResponseWriter, r *http.Request) {
	var in transferRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.pool.RequestTransfer(r.Context(), in.Reference); err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
}

type poolSettingsJSON struct {
	TeamID      domain.ID `json:"team_id"`
	TeamName    string    `json:"team_name,omitempty"`
	DailyClaims int       `json:"daily_claims"`
	MaxOwned    int       `json:"max_owned"`
	ReturnDays  int       `json:"return_days"`
	WarnDays    int       `json:"warn_days"`
	Default     bool      `json:"default"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

func toPoolSettingsJSON(p *domain.PoolSettings) poolSettingsJSON {
	return poolSettingsJSON{TeamID: p.TeamID, TeamName: p.TeamName, DailyClaims: p.DailyClaims, MaxOwned: p.MaxOwned,
		ReturnDays: p.ReturnDays, WarnDays: p.WarnDays, Default: p.Default, UpdatedAt: p.UpdatedAt}
}

func (api *API) getPoolSettings(w http.ResponseWriter, r *http.Request) {
	team, err := pathID(r, domain.KindTeam)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	p, err := api.pool.Settings(r.Context(), team)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPoolSettingsJSON(p))
}

func (api *API) putPoolSettings(w http.ResponseWriter, r *http.Request) {
	team, err := pathID(r, domain.KindTeam)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var in domain.PoolSettingsInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	p, err := api.pool.UpdateSettings(r.Context(), team, &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPoolSettingsJSON(p))
}
