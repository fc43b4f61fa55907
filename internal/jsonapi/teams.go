package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) teamRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/teams", Authenticated, api.listTeams},
		{"POST", "/api/v1/teams", Authenticated, api.createTeam},
		{"GET", "/api/v1/territories", Authenticated, api.listTerritories},
		{"POST", "/api/v1/territories", Authenticated, api.createTerritory},
		{"GET", "/api/v1/territories/{id}", Authenticated, api.getTerritory},
		{"PUT", "/api/v1/territories/{id}", Authenticated, api.updateTerritory},
		{"DELETE", "/api/v1/territories/{id}", Authenticated, api.deleteTerritory},
	}
}

type teamJSON struct {
	ID        domain.ID `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

type teamRequest struct {
	Name string `json:"name"`
}

func (api *API) listTeams(w http.ResponseWriter, r *http.Request) {
	teams, err := api.identity.ListTeams(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]teamJSON, 0, len(teams))
	for _, t := range teams {
		items = append(items, teamJSON{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt})
	}
	writeJSON(w, http.StatusOK, listJSON[teamJSON]{Items: items})
}

func (api *API) createTeam(w http.ResponseWriter, r *http.Request) {
	var in teamRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	id, err := api.identity.CreateTeam(r.Context(), in.Name)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, teamJSON{ID: id, Name: in.Name})
}

type regionJSON struct {
	Province string `json:"province"`
	City     string `json:"city,omitempty"`
}

type territoryJSON struct {
	ID        domain.ID    `json:"id"`
	Name      string       `json:"name"`
	Regions   []regionJSON `json:"regions"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

func toTerritoryJSON(t *domain.Territory) territoryJSON {
	out := territoryJSON{ID: t.ID, Name: t.Name, Regions: []regionJSON{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	for _, r := range t.Regions {
		out.Regions = append(out.Regions, regionJSON{Province: r.Province, City: r.City})
	}
	return out
}

func (api *API) listTerritories(w http.ResponseWriter, r *http.Request) {
	list, err := api.identity.ListTerritories(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]territoryJSON, 0, len(list))
	for _, t := range list {
		items = append(items, toTerritoryJSON(t))
	}
	writeJSON(w, http.StatusOK, listJSON[territoryJSON]{Items: items})
}

func (api *API) createTerritory(w http.ResponseWriter, r *http.Request) {
	var in identity.TerritoryInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	t, err := api.identity.CreateTerritory(r.Context(), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/territories/"+string(t.ID))
	writeJSON(w, http.StatusCreated, toTerritoryJSON(t))
}

func (api *API) getTerritory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindTerritory)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	t, err := api.identity.GetTerritory(r.Context(), id)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTerritoryJSON(t))
}

func (api *API) updateTerritory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindTerritory)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var in identity.TerritoryInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	t, err := api.identity.UpdateTerritory(r.Context(), id, &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toTerritoryJSON(t))
}

func (api *API) deleteTerritory(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindTerritory)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.DeleteTerritory(r.Context(), id); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
