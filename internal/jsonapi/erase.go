package jsonapi

import (
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) eraseRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/customers/{id}/erase", Authenticated, api.eraseCustomer},
	}
}

// eraseRequest is the body of POST /customers/{id}/erase. The reason is a
// code (see records.EraseReasons), never free text.
type eraseRequest struct {
	Reason string `json:"reason"`
}

type eraseResponse struct {
	ID       domain.ID `json:"id"`
	Erased   bool      `json:"erased"`
	Shredded bool      `json:"shredded"`
}

func (api *API) eraseCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var in eraseRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	res, err := api.records.EraseCustomer(r.Context(), id, in.Reason)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, eraseResponse{ID: res.ID, Erased: true, Shredded: res.Shredded})
}
