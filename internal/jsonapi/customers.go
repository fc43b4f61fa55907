package jsonapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

func (api *API) customerRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/customers", Authenticated, api.createCustomer},
		{"GET", "/api/v1/customers", Authenticated, api.listCustomers},
		{"GET", "/api/v1/customers/export", Authenticated, api.exportCustomers},
		{"POST", "/api/v1/customers/search", Authenticated, api.searchCustomers},
		{"GET", "/api/v1/customers/{id}", Authenticated, api.getCustomer},
		{"PATCH", "/api/v1/customers/{id}", Authenticated, api.updateCustomer},
		{"DELETE", "/api/v1/customers/{id}", Authenticated, api.deleteCustomer},
	}
}

type addressJSON struct {
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	District string `json:"district,omitempty"`
	Street   string `json:"street,omitempty"`
}

// customerJSON is a customer as the API shows it. Fields the caller may
// not see are absent; masked ones are listed in "masked".
type customerJSON struct {
	ID          domain.ID             `json:"id"`
	Kind        domain.CustomerKind   `json:"kind"`
	Name        string                `json:"name,omitempty"`
	Phone       string                `json:"phone,omitempty"`
	Email       string                `json:"email,omitempty"`
	Address     *addressJSON          `json:"address,omitempty"`
	IDType      domain.IDType         `json:"id_type,omitempty"`
	IDNumber    string                `json:"id_number,omitempty"`
	TaxID       string                `json:"tax_id,omitempty"`
	BankAccount string                `json:"bank_account,omitempty"`
	Company     string                `json:"company,omitempty"`
	Industry    string                `json:"industry,omitempty"`
	Tags        []string              `json:"tags"`
	OwnerID     domain.ID             `json:"owner_id,omitempty"`
	TeamID      domain.ID             `json:"team_id,omitempty"`
	Status      domain.CustomerStatus `json:"status"`
	Erased      bool                  `json:"erased,omitempty"`
	Masked      []string              `json:"masked,omitempty"`
	Version     int64                 `json:"version"`
	CreatedAt   time.Time             `json:"created_at"`
	UpdatedAt   time.Time             `json:"updated_at"`
}

func (c customerJSON) version() int64 { return c.Version }

func toCustomerJSON(c *domain.Customer) customerJSON {
	out := customerJSON{
		ID: c.ID, Kind: c.Kind, Name: c.Name, Phone: c.Phone, Email: c.Email,
		IDType: c.IDType, IDNumber: c.IDNumber, TaxID: c.TaxID, BankAccount: c.BankAccount,
		Company: c.Company, Industry: c.Industry, Tags: c.Tags, OwnerID: c.OwnerID, TeamID: c.TeamID,
		Status: c.Status, Erased: c.Erased, Masked: c.Masked, Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if !c.Address.IsZero() {
		out.Address = &addressJSON{Province: c.Address.Province, City: c.Address.City, District: c.Address.District, Street: c.Address.Street}
	}
	return out
}

// unreadableJSON stands in a list for a customer whose stored data failed
// its integrity check: its id and why, no data.
type unreadableJSON struct {
	ID         domain.ID `json:"id"`
	Unreadable struct {
		Code   domain.Code             `json:"code"`
		Reason domain.UnreadableReason `json:"reason"`
	} `json:"unreadable"`
}

// toCustomerListItem is c as a list shows it.
func toCustomerListItem(c *domain.Customer) any {
	if c.Unreadable == "" {
		return toCustomerJSON(c)
	}
	u := unreadableJSON{ID: c.ID}
	u.Unreadable.Code, u.Unreadable.Reason = domain.CodeUnreadable, c.Unreadable
	return u
}

func (api *API) createCustomer(w http.ResponseWriter, r *http.Request) {
	var in domain.CustomerInput
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	c, err := api.records.CreateCustomer(r.Context(), &in)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/customers/"+string(c.ID))
	writeRecord(w, http.StatusCreated, toCustomerJSON(c))
}

func (api *API) getCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	c, err := api.records.GetCustomer(r.Context(), id)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeRecord(w, http.StatusOK, toCustomerJSON(c))
}

func (api *API) updateCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	pre, err := ifMatch(r)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var p domain.CustomerPatch
	if err := decodeJSON(r, &p); err != nil {
		api.writeError(w, r, err)
		return
	}
	c, err := api.records.UpdateCustomer(r.Context(), id, &p, pre)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeRecord(w, http.StatusOK, toCustomerJSON(c))
}

func (api *API) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	if err := checkQuery(q, "cascade"); err != nil {
		api.writeError(w, r, err)
		return
	}
	cascade := false
	switch q.Get("cascade") {
	case "", "false":
	case "true":
		cascade = true
	default:
		api.writeError(w, r, domain.Invalid("cascade", "cascade must be true or false"))
		return
	}
	if err := api.records.DeleteCustomer(r.Context(), id, cascade); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var lookupParams = []domain.LookupField{domain.LookupPhone, domain.LookupEmail, domain.LookupIDNumber, domain.LookupTaxID}

func (api *API) listCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q, "owner_id", "status", "tag", "kind", "updated_since", "q", "cursor", "limit",
		"phone", "email", "id_number", "tax_id"); err != nil {
		api.writeError(w, r, err)
		return
	}
	for _, lf := range lookupParams {
		if q.Has(string(lf)) {
			if len(q) > 1 {
				api.writeError(w, r, domain.Invalid(string(lf), "an exact lookup by %s takes no other parameters", lf))
				return
			}
			api.lookupCustomers(w, r, lf, q.Get(string(lf)))
			return
		}
	}
	cursor, limit, err := pageParams(r, domain.KindCustomer)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	f, err := customerFilter(q)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	f.Cursor, f.Limit = cursor, limit
	if f.Search, err = domain.ParseSearch("q", q.Get("q")); err != nil {
		api.writeError(w, r, err)
		return
	}
	api.customerPage(w, r, f)
}

// customerPage answers a list (or a search) with one page.
func (api *API) customerPage(w http.ResponseWriter, r *http.Request, f domain.CustomerFilter) {
	page, err := api.records.ListCustomers(r.Context(), f)
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

// customerFilter reads the list filters shared by listing and exporting:
// owner_id, status, tag, kind and updated_since.
func customerFilter(q url.Values) (domain.CustomerFilter, error) {
	var f domain.CustomerFilter
	var err error
	if f.OwnerID, err = queryID(q, "owner_id", domain.KindUser); err != nil {
		return f, err
	}
	if s := q.Get("status"); s != "" {
		if !domain.ValidCustomerStatus(domain.CustomerStatus(s)) {
			return f, domain.Invalid("status", "status must be lead, prospect, active or inactive")
		}
		f.Status = domain.CustomerStatus(s)
	}
	if k := q.Get("kind"); k != "" {
		if k != string(domain.CustomerPerson) && k != string(domain.CustomerCompany) {
			return f, domain.Invalid("kind", "kind must be person or company")
		}
		f.Kind = domain.CustomerKind(k)
	}
	if t := q.Get("tag"); t != "" {
		if f.Tag, err = domain.NormalizeTag("tag", t); err != nil {
			return f, err
		}
	}
	if f.UpdatedSince, err = queryTime(q, "updated_since"); err != nil {
		return f, err
	}
	return f, nil
}

func (api *API) lookupCustomers(w http.ResponseWriter, r *http.Request, field domain.LookupField, value string) {
	found, err := api.records.FindCustomers(r.Context(), field, value)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	items := make([]customerJSON, len(found))
	for i, c := range found {
		items[i] = toCustomerJSON(c)
	}
	writeJSON(w, http.StatusOK, listJSON[customerJSON]{Items: items})
}

// searchRequest is the body of POST /customers/search: an exact lookup,
// or a partial search (q, with kind, cursor and limit), that keeps the
// personal value out of URLs (and so out of proxy logs).
type searchRequest struct {
	Phone    *string `json:"phone"`
	Email    *string `json:"email"`
	IDNumber *string `json:"id_number"`
	TaxID    *string `json:"tax_id"`
	Q        *string `json:"q"`
	Kind     *string `json:"kind"`
	Cursor   *string `json:"cursor"`
	Limit    *int    `json:"limit"`
}

func (api *API) searchCustomers(w http.ResponseWriter, r *http.Request) {
	var in searchRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	var field domain.LookupField
	var value string
	n := 0
	for _, kv := range []struct {
		f domain.LookupField
		v *string
	}{{domain.LookupPhone, in.Phone}, {domain.LookupEmail, in.Email}, {domain.LookupIDNumber, in.IDNumber}, {domain.LookupTaxID, in.TaxID}, {"q", in.Q}} {
		if kv.v != nil {
			n++
			field, value = kv.f, *kv.v
		}
	}
	if n != 1 {
		api.writeError(w, r, domain.Invalid("", "give exactly one of phone, email, id_number, tax_id, q"))
		return
	}
	if field != "q" {
		for name, v := range map[string]bool{"kind": in.Kind != nil, "cursor": in.Cursor != nil, "limit": in.Limit != nil} {
			if v {
				api.writeError(w, r, domain.Invalid(name, "an exact lookup by %s takes no %s", field, name))
				return
			}
		}
		api.lookupCustomers(w, r, field, value)
		return
	}
	f, err := searchFilter(in, value)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	api.customerPage(w, r, f)
}

// searchFilter reads the partial search of a POST /customers/search body.
func searchFilter(in searchRequest, q string) (domain.CustomerFilter, error) {
	var f domain.CustomerFilter
	var err error
	if f.Search, err = domain.ParseSearch("q", q); err != nil {
		return f, err
	}
	if f.Search == nil {
		return f, domain.Invalid("q", "q is empty")
	}
	if in.Kind != nil {
		if *in.Kind != string(domain.CustomerPerson) && *in.Kind != string(domain.CustomerCompany) {
			return f, domain.Invalid("kind", "kind must be person or company")
		}
		f.Kind = domain.CustomerKind(*in.Kind)
	}
	if in.Cursor != nil {
		if f.Cursor, err = decodeCursor(*in.Cursor, domain.KindCustomer); err != nil {
			return f, err
		}
	}
	f.Limit = domain.DefaultPageSize
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > domain.MaxPageSize {
			return f, domain.Invalid("limit", "limit must be a whole number from 1 to %d", domain.MaxPageSize)
		}
		f.Limit = *in.Limit
	}
	return f, nil
}
