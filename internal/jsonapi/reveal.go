package jsonapi

import (
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) revealRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/customers/{id}/reveal", Authenticated, api.revealCustomerField},
	}
}

type revealRequest struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

type revealResponse struct {
	ID    domain.ID `json:"id"`
	Field string    `json:"field"`
	Value string    `json:"value"`
}

func (api *API) revealCustomerField(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var in revealRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	rv, err := api.records.RevealCustomerField(r.Context(), id, in.Field, in.Reason)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, revealResponse{ID: rv.CustomerID, Field: rv.Field, Value: rv.Value})
}
