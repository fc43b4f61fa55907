package jsonapi

import (
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) noteRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/notes", Authenticated, api.listNotes},
		{"POST", "/api/v1/notes", Authenticated, createHandler(api, api.records.CreateNote, toNoteJSON, noteLocation)},
		{"GET", "/api/v1/notes/{id}", Authenticated, getHandler(api, domain.KindNote, api.records.GetNote, toNoteJSON)},
		{"PATCH", "/api/v1/notes/{id}", Authenticated, actionHandler(api, domain.KindNote, api.records.UpdateNote, toNoteJSON)},
		{"DELETE", "/api/v1/notes/{id}", Authenticated, deleteHandler(api, domain.KindNote, api.records.DeleteNote)},
	}
}

// noteJSON is a note as the API shows it.
type noteJSON struct {
	ID         domain.ID `json:"id"`
	CustomerID domain.ID `json:"customer_id"`
	AuthorID   domain.ID `json:"author_id,omitempty"`
	Body       string    `json:"body,omitempty"`
	Erased     bool      `json:"erased,omitempty"`
	Masked     []string  `json:"masked,omitempty"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (n noteJSON) version() int64 { return n.Version }

func toNoteJSON(n *domain.Note) noteJSON {
	return noteJSON{
		ID: n.ID, CustomerID: n.CustomerID, AuthorID: n.AuthorID, Body: n.Body, Erased: n.Parent.Erased,
		Masked: n.Masked, Version: n.Version, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt,
	}
}

func noteLocation(n *domain.Note) string { return "/api/v1/notes/" + string(n.ID) }

func (api *API) listNotes(w http.ResponseWriter, r *http.Request) {
	lq, err := parseList(r, domain.KindNote, "customer_id")
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	f := domain.ActivityFilter{UpdatedSince: lq.since, Cursor: lq.cursor, Limit: lq.limit}
	f.CustomerID = lq.id("customer_id", domain.KindCustomer, &err)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.records.ListNotes(r.Context(), f)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writePage(w, page, toNoteJSON)
}
