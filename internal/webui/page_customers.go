package webui

import (
	"net/http"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

func (u *UI) customerRoutes() []route {
	return []route{
		{"GET /customers", u.signedIn(u.customerList)},
		{"POST /customers/search", u.signedIn(u.customerSearch)},
		{"GET /customers/{id}", u.signedIn(u.customerCard)},
	}
}

type customerListView struct {
	base
	Query      string
	Customers  []*domain.Customer
	NextCursor string
	Searched   bool
	Error      string // message key for the search field
}

// customerList is the customers in the caller's scope, newest first, a
// page at a time.
func (u *UI) customerList(rq *request) {
	v := &customerListView{base: u.newBase(rq, "customers.title")}
	cursor, err := domain.ParseID(domain.KindCustomer, "cursor", rq.r.URL.Query().Get("cursor"))
	if rq.r.URL.Query().Get("cursor") == "" {
		cursor, err = "", nil
	}
	if err != nil {
		u.failed(rq, err)
		return
	}
	page, err := u.records.ListCustomers(rq.ctx, domain.CustomerFilter{Cursor: cursor, Limit: 50})
	if err != nil {
		u.failed(rq, err)
		return
	}
	v.Customers, v.NextCursor = page.Items, page.NextCursor
	u.render(rq, http.StatusOK, "customers", v)
}

// customerSearch finds customers by name, phone or email. The query is
// POSTed, never put in a URL: a phone number in a URL ends up in
// history, logs and referrers.
func (u *UI) customerSearch(rq *request) {
	v := &customerListView{base: u.newBase(rq, "customers.title"), Query: strings.TrimSpace(rq.r.PostForm.Get("q")), Searched: true}
	found, err := u.search(rq, v.Query)
	if err != nil {
		e := domain.AsError(err)
		switch e.Code {
		case domain.CodeInvalid:
			v.Error = "customers.search_invalid"
		case domain.CodeForbidden:
			v.Error = "customers.search_forbidden"
		case domain.CodeRateLimited:
			v.Error = "customers.search_limited"
		default:
			u.failed(rq, err)
			return
		}
		u.render(rq, statusOf(e.Code), "customers", v)
		return
	}
	v.Customers = found
	u.render(rq, http.StatusOK, "customers", v)
}

// search reads q as a phone number (digits, spaces, +, -), an email (an
// @) or else a name.
func (u *UI) search(rq *request, q string) ([]*domain.Customer, error) {
	if q == "" || len(q) > 200 {
		return nil, domain.Invalid("q", "enter a name, a phone number or an email")
	}
	search, err := domain.ParseSearch("q", q)
	if err != nil {
		return nil, err
	}
	if search == nil {
		return nil, domain.Invalid("q", "enter a name, a phone number or an email")
	}
	page, err := u.records.ListCustomers(rq.ctx, domain.CustomerFilter{Search: search, Limit: 50})
	return page.Items, err
}

// statusOf is the HTTP status of a page answering an error code.
func statusOf(c domain.Code) int {
	switch c {
	case domain.CodeInvalid:
		return http.StatusBadRequest
	case domain.CodeForbidden:
		return http.StatusForbidden
	case domain.CodeRateLimited:
		return http.StatusTooManyRequests
	case domain.CodeNotFound:
		return http.StatusNotFound
	case domain.CodeConflict, domain.CodePreconditionFailed:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

type customerCardView struct {
	base
	C *domain.Customer
	// Reveal holds a form per masked field the caller may reveal.
	Reveal []revealForm
	// Manage is the manager's part of the card (reassigning the owner).
	Manage *cardManage
	repCard
	// Fields are the card's contact, identity, financial and business
	// fields the caller may see and that hold a value, in order, labelled
	// in the caller's language (built here rather than in the template:
	// a page of template calls per field costs more than the rest of the
	// page).
	Fields []cardField
}

// cardField is one field of the customer card.
type cardField struct {
	Label, Value string
	Masked       bool
}

// cardFields lists, in order, the field (as the service names it in
// Masked and Hidden), its label and its value.
func cardFields(c *domain.Customer) [8]struct{ field, label, value string } {
	return [8]struct{ field, label, value string }{
		{"phone", "customer.phone", c.Phone},
		{"email", "customer.email", c.Email},
		{"address.street", "customer.address", strings.Join(compact(c.Address.Province, c.Address.City, c.Address.District, c.Address.Street), " ")},
		{"id_number", "customer.id_number", c.IDNumber},
		{"tax_id", "customer.tax_id", c.TaxID},
		{"bank_account", "customer.bank_account", c.BankAccount},
		{"company", "customer.company", c.Company},
		{"industry", "customer.industry", c.Industry},
	}
}

func newCustomerCardView(b base, c *domain.Customer) *customerCardView {
	v := &customerCardView{base: b, C: c}
	for _, f := range cardFields(c) {
		if f.value == "" || v.Hidden(f.field) {
			continue
		}
		v.Fields = append(v.Fields, cardField{Label: b.T(f.label), Value: f.value, Masked: v.Masked(f.field)})
	}
	return v
}

// Masked reports whether field is shown masked to the caller.
func (v *customerCardView) Masked(field string) bool {
	for _, m := range v.C.Masked {
		if m == field {
			return true
		}
	}
	return false
}

// Hidden reports whether the caller may not see field at all.
func (v *customerCardView) Hidden(field string) bool {
	for _, m := range v.C.Hidden {
		if m == field {
			return true
		}
	}
	return false
}

// customerCard is one customer as the caller may see it: masked per
// role, an unmasked read audited by the service before it is shown.
func (u *UI) customerCard(rq *request) {
	v, err := u.cardView(rq)
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "customer", v)
}

// cardView reads the customer of the request's path and builds its card.
func (u *UI) cardView(rq *request) (*customerCardView, error) {
	id, err := domain.ParseID(domain.KindCustomer, "id", rq.r.PathValue("id"))
	if err != nil {
		return nil, domain.NotFound("customer")
	}
	c, err := u.records.GetCustomer(rq.ctx, id)
	if err != nil {
		return nil, err
	}
	return u.cardViewOf(rq, c)
}

// cardViewOf is the card of c with what hangs off it, each as the caller
// may see it, and the forms the caller's role may use.
func (u *UI) cardViewOf(rq *request, c *domain.Customer) (*customerCardView, error) {
	v := newCustomerCardView(u.newBase(rq, "customer.title"), c)
	v.Reveal, v.Manage = revealForms(rq, c), u.cardManage(rq, c)
	if err := u.loadRepCard(rq, v); err != nil {
		return nil, err
	}
	return v, nil
}
