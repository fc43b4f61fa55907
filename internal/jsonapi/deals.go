package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) dealRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/deals", Authenticated, api.listDeals},
		{"POST", "/api/v1/deals", Authenticated, createHandler(api, api.records.CreateDeal, toDealJSON, dealLocation)},
		{"GET", "/api/v1/deals/{id}", Authenticated, getHandler(api, domain.KindDeal, api.records.GetDeal, toDealJSON)},
		{"PATCH", "/api/v1/deals/{id}", Authenticated, actionHandler(api, domain.KindDeal, api.records.UpdateDeal, toDealJSON)},
		{"DELETE", "/api/v1/deals/{id}", Authenticated, deleteHandler(api, domain.KindDeal, api.records.DeleteDeal)},
	}
}

// dealJSON is a deal as the API shows it. The amount is a decimal string
// in the currency's units ("12345.67"); both are absent for callers who
// may not see amounts.
type dealJSON struct {
	ID            domain.ID        `json:"id"`
	CustomerID    domain.ID        `json:"customer_id"`
	Title         string           `json:"title"`
	Amount        *string          `json:"amount,omitempty"`
	Currency      string           `json:"currency,omitempty"`
	Stage         domain.DealStage `json:"stage"`
	ExpectedClose string           `json:"expected_close,omitempty"`
	OwnerID       domain.ID        `json:"owner_id,omitempty"`
	Version       int64            `json:"version"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

func (d dealJSON) version() int64 { return d.Version }

func toDealJSON(d *domain.Deal) dealJSON {
	out := dealJSON{
		ID: d.ID, CustomerID: d.CustomerID, Title: d.Title, Currency: d.Currency, Stage: d.Stage,
		ExpectedClose: d.ExpectedClose, OwnerID: d.OwnerID, Version: d.Version, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.Currency != "" {
		amount := domain.FormatAmount(d.AmountMinor, d.Currency)
		out.Amount = &amount
	}
	return out
}

func dealLocation(d *domain.Deal) string { return "/api/v1/deals/" + string(d.ID) }

func validStage(s string) bool { return domain.ValidDealStage(domain.DealStage(s)) }

func (api *API) listDeals(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r, domain.KindDeal, "customer_id", "owner_id", "stage")
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	f := domain.DealFilter{UpdatedSince: lq.since, Cursor: lq.cursor, Limit: lq.limit}
	f.CustomerID = lq.id("customer_id", domain.KindCustomer, &err)
	f.OwnerID = lq.id("owner_id", domain.KindUser, &err)
	f.Stage = domain.DealStage(lq.enum("stage", validStage, "stage must be qualification, proposal, negotiation, won or lost", &err))
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.records.ListDeals(r.Context(), f)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writePage(w, page, toDealJSON)
}
