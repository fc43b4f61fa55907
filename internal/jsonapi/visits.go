package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) visitRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/visits", Authenticated, api.listVisits},
		{"POST", "/api/v1/visits", Authenticated, createHandler(api, api.records.CreateVisit, toVisitJSON, visitLocation)},
		{"GET", "/api/v1/visits/{id}", Authenticated, getHandler(api, domain.KindVisit, api.records.GetVisit, toVisitJSON)},
		{"PATCH", "/api/v1/visits/{id}", Authenticated, actionHandler(api, domain.KindVisit, api.records.UpdateVisit, toVisitJSON)},
		{"DELETE", "/api/v1/visits/{id}", Authenticated, deleteHandler(api, domain.KindVisit, api.records.DeleteVisit)},
		{"POST", "/api/v1/visits/{id}/check-in", Authenticated, actionHandler(api, domain.KindVisit, api.records.CheckIn, toVisitJSON)},
		{"POST", "/api/v1/visits/{id}/check-out", Authenticated, actionHandler(api, domain.KindVisit, api.records.CheckOut, toVisitJSON)},
	}
}

type locationJSON struct {
	Lat      float64 `json:"lat"`
	Lng      float64 `json:"lng"`
	Accuracy float64 `json:"accuracy,omitempty"`
}

func toLocationJSON(l *domain.Location) *locationJSON {
	if l == nil {
		return nil
	}
	return &locationJSON{Lat: l.Lat, Lng: l.Lng, Accuracy: l.Accuracy}
}

// visitJSON is a visit as the API shows it. Locations are absent for
// callers who may not see them and rounded to about a kilometre for those
// who see them masked.
type visitJSON struct {
	ID               domain.ID          `json:"id"`
	CustomerID       domain.ID          `json:"customer_id"`
	RepID            domain.ID          `json:"rep_id"`
	PlannedAt        time.Time          `json:"planned_at"`
	Status           domain.VisitStatus `json:"status"`
	CheckedInAt      *time.Time         `json:"checked_in_at,omitempty"`
	CheckInLocation  *locationJSON      `json:"check_in_location,omitempty"`
	CheckedOutAt     *time.Time         `json:"checked_out_at,omitempty"`
	CheckOutLocation *locationJSON      `json:"check_out_location,omitempty"`
	Notes            string             `json:"notes,omitempty"`
	CheckOutNotes    string             `json:"check_out_notes,omitempty"`
	Erased           bool               `json:"erased,omitempty"`
	Masked           []string           `json:"masked,omitempty"`
	Version          int64              `json:"version"`
	CreatedAt        time.Time          `json:"created_at"`
	UpdatedAt        time.Time          `json:"updated_at"`
}

func (v visitJSON) version() int64 { return v.Version }

func toVisitJSON(v *domain.Visit) visitJSON {
	return visitJSON{
		ID: v.ID, CustomerID: v.CustomerID, RepID: v.RepID, PlannedAt: v.PlannedAt, Status: v.Status,
		CheckedInAt: optTime(v.CheckInAt), CheckInLocation: toLocationJSON(v.CheckInLoc),
		CheckedOutAt: optTime(v.CheckOutAt), CheckOutLocation: toLocationJSON(v.CheckOutLoc),
		Notes: v.Notes, CheckOutNotes: v.CheckOutNotes, Erased: v.Parent.Erased, Masked: v.Masked, Version: v.Version,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
}

func visitLocation(v *domain.Visit) string { return "/api/v1/visits/" + string(v.ID) }

func validVisitStatus(s string) bool {
	switch domain.VisitStatus(s) {
	case domain.VisitPlanned, domain.VisitCheckedIn, domain.VisitCompleted, domain.VisitCancelled:
		return true
	}
	return false
}

func (api *API) listVisits(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r, domain.KindVisit, "customer_id", "rep_id", "status")
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	f := domain.VisitFilter{UpdatedSince: lq.since, Cursor: lq.cursor, Limit: lq.limit}
	f.CustomerID = lq.id("customer_id", domain.KindCustomer, &err)
	f.RepID = lq.id("rep_id", domain.KindUser, &err)
	f.Status = domain.VisitStatus(lq.enum("status", validVisitStatus, "status must be planned, checked_in, completed or cancelled", &err))
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.records.ListVisits(r.Context(), f)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writePage(w, page, toVisitJSON)
}
