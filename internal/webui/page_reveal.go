package webui

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
)

// Reveal: a role that sees a customer's contact data masked (customer
// service, finance) may see one field in full for a stated reason, after
// step-up. The records service decides and records the reveal, with the
// reason, on the audit log before it returns the value; the page shows
// it once (the answer to the POST, never cached) and keeps it nowhere.

func (u *UI) revealRoutes() []route {
	return []route{
		{"GET /customers/{id}/reveal", u.signedIn(u.revealPage)},
		{"POST /customers/{id}/reveal", u.signedIn(u.revealSubmit)},
	}
}

// revealOrder is the order in which reveal forms are offered, with each
// field's name in a sentence ("Reveal the phone") and as a heading.
var revealOrder = []struct{ field, label, heading string }{
	{"name", "reveal.field.name", "revealed.name"},
	{"phone", "reveal.field.phone", "customer.phone"},
	{"email", "reveal.field.email", "customer.email"},
	{"address.street", "reveal.field.street", "revealed.street"},
	{"id_number", "reveal.field.id_number", "customer.id_number"},
	{"tax_id", "reveal.field.tax_id", "customer.tax_id"},
	{"bank_account", "reveal.field.bank_account", "customer.bank_account"},
}

// revealForm is one masked field the caller may reveal.
type revealForm struct {
	Field string
	ID    string // the field as an HTML id
	Label string // message key
	Open  bool
	Error string // message key, at the reason
}

// revealForms lists the forms for the fields of c shown masked to the
// caller, when their role may reveal.
func revealForms(rq *request, c *domain.Customer) []revealForm {
	if !rq.actor.Role.Can(domain.FnReveal) || c.Erased || c.Unreadable != "" {
		return nil
	}
	var out []revealForm
	for _, f := range revealOrder {
		for _, m := range c.Masked {
			if m == f.field {
				out = append(out, revealForm{Field: f.field, ID: strings.ReplaceAll(f.field, ".", "-"), Label: f.label})
			}
		}
	}
	return out
}

// revealHeading is field's heading key, and whether a reveal can show it.
func revealHeading(field string) (string, bool) {
	for _, f := range revealOrder {
		if f.field == field {
			return f.heading, true
		}
	}
	return "", false
}

type revealView struct {
	base
	C      *domain.Customer
	Form   revealForm
	Return bool // back from step-up (?stepped_up=1)
}

type revealedView struct {
	base
	CustomerID domain.ID
	Label      string
	Value      string
}

// revealPage is the reveal form for one field on its own, where step-up
// returns to: the reason is asked again (it is never put in a URL).
func (u *UI) revealPage(rq *request) {
	id, field, ok := revealTarget(rq, rq.r.URL.Query().Get("field"))
	if !ok {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	c, err := u.records.GetCustomer(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	for _, f := range revealForms(rq, c) {
		if f.Field == field {
			f.Open = true
			u.render(rq, http.StatusOK, "reveal", &revealView{base: u.newBase(rq, "reveal.title"), C: c, Form: f,
				Return: rq.r.URL.Query().Get("stepped_up") == "1"})
			return
		}
	}
	u.failed(rq, domain.Forbidden("nothing to reveal"))
}

// revealSubmit reveals one field: a missing or short reason is shown at
// the field, a stale session goes to step-up and back to this field's
// form.
func (u *UI) revealSubmit(rq *request) {
	id, field, ok := revealTarget(rq, rq.r.PostForm.Get("field"))
	if !ok {
		u.failed(rq, domain.Invalid("field", "no such field"))
		return
	}
	res, err := u.records.RevealCustomerField(rq.ctx, id, field, rq.r.PostForm.Get("reason"))
	if stepUpNeeded(rq, err, "/customers/"+string(id)+"/reveal?field="+url.QueryEscape(field)+"&stepped_up=1") {
		return
	}
	if err != nil {
		if e := domain.AsError(err); e.Code == domain.CodeInvalid && e.Field == "reason" {
			u.revealRefused(rq, id, field, e)
			return
		}
		u.failed(rq, err)
		return
	}
	label, _ := revealHeading(field)
	u.render(rq, http.StatusOK, "revealed", &revealedView{base: u.newBase(rq, "revealed.title"),
		CustomerID: res.CustomerID, Label: label, Value: res.Value})
}

// revealRefused shows the card again with the error at the reason of the
// field's form.
func (u *UI) revealRefused(rq *request, id domain.ID, field string, e *domain.Error) {
	c, err := u.records.GetCustomer(rq.ctx, id)
	if err != nil {
		u.failed(rq, err)
		return
	}
	v, err := u.cardViewOf(rq, c)
	if err != nil {
		u.failed(rq, err)
		return
	}
	for i := range v.Reveal {
		if v.Reveal[i].Field == field {
			v.Reveal[i].Open, v.Reveal[i].Error = true, reasonError(rq.r.PostForm.Get("reason"))
		}
	}
	u.render(rq, statusOf(e.Code), "customer", v)
}

// reasonError is the message for a reason the service refused.
func reasonError(reason string) string {
	switch n := utf8.RuneCountInString(strings.TrimSpace(reason)); {
	case n < records.MinRevealReason:
		return "reveal.reason_required"
	case n > records.MaxRevealReason:
		return "reveal.reason_long"
	}
	return "reveal.reason_invalid"
}

// revealTarget reads the customer id from the path and checks the field
// is one a reveal can show.
func revealTarget(rq *request, field string) (domain.ID, string, bool) {
	id, err := domain.ParseID(domain.KindCustomer, "id", rq.r.PathValue("id"))
	if err != nil {
		return "", "", false
	}
	if _, ok := revealHeading(field); !ok {
		return "", "", false
	}
	return id, field, true
}
