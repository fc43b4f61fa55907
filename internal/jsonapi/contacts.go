package jsonapi

import (
	"context"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) contactRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/customers/{id}/contacts", Authenticated, api.listContacts},
		{"POST", "/api/v1/customers/{id}/contacts", Authenticated, api.createContact},
		{"GET", "/api/v1/contacts/{id}", Authenticated, getHandler(api, domain.KindContact, api.records.GetContact, toContactJSON)},
		{"PATCH", "/api/v1/contacts/{id}", Authenticated, actionHandler(api, domain.KindContact, api.records.UpdateContact, toContactJSON)},
		{"DELETE", "/api/v1/contacts/{id}", Authenticated, deleteHandler(api, domain.KindContact, api.records.DeleteContact)},
	}
}

// contactJSON is a contact as the API shows it.
type contactJSON struct {
	ID         domain.ID `json:"id"`
	CustomerID domain.ID `json:"customer_id"`
	Name       string    `json:"name,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Email      string    `json:"email,omitempty"`
	Title      string    `json:"title,omitempty"`
	Erased     bool      `json:"erased,omitempty"`
	Masked     []string  `json:"masked,omitempty"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (c contactJSON) version() int64 { return c.Version }

func toContactJSON(c *domain.Contact) contactJSON {
	return contactJSON{
		ID: c.ID, CustomerID: c.CustomerID, Name: c.Name, Phone: c.Phone, Email: c.Email, Title: c.Title,
		Erased: c.Parent.Erased, Masked: c.Masked, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

func contactLocation(c *domain.Contact) string { return "/api/v1/contacts/" + string(c.ID) }

func (api *API) createContact(w http.ResponseWriter, r *http.Request) {
	customerID, err := recordID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	create := func(ctx context.Context, in *domain.ContactInput) (*domain.Contact, error) {
		return api.records.CreateContact(ctx, customerID, in)
	}
	createHandler(api, create, toContactJSON, contactLocation)(w, r)
}

func (api *API) listContacts(w http.ResponseWriter, r *http.Request) {
	customerID, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	lq, err := parseList(r, domain.KindContact)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	page, err := api.records.ListContacts(r.Context(), domain.ContactFilter{
		CustomerID: customerID, UpdatedSince: lq.since, Cursor: lq.cursor, Limit: lq.limit,
	})
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writePage(w, page, toContactJSON)
}
