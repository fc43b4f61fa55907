package webui

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// A visit on site: the rep checks in and out with the phone's position.
// static/geo.js asks the browser for the position and fills the form's
// hidden fields before it posts; the records service decides what a
// check-in needs and who may make one.

func (u *UI) visitRoutes() []route {
	return []route{
		{"GET /visits/{id}", u.signedIn(u.visitPage)},
		{"POST /visits/{id}/check-in", u.signedIn(u.visitCheckIn)},
		{"POST /visits/{id}/check-out", u.signedIn(u.visitCheckOut)},
	}
}

type visitView struct {
	base
	V            *domain.Visit
	CustomerName string
	// Mine is whether the caller is the visit's rep: check-in and
	// check-out are offered to the one on site.
	Mine bool
	// Error is the message key of a refused check-in or check-out, shown
	// at its button; Notes the check-out notes kept after an error.
	Error string
	Notes string
}

// Hidden reports whether the caller may not see field of the visit.
func (v *visitView) Hidden(field string) bool { return slices.Contains(v.V.Hidden, field) }

// Masked reports whether field of the visit is shown masked.
func (v *visitView) Masked(field string) bool { return slices.Contains(v.V.Masked, field) }

// Place writes a position for people: degrees to five places (about a
// metre) and the accuracy radius.
func (v *visitView) Place(l *domain.Location) string {
	if l == nil {
		return ""
	}
	s := fmt.Sprintf("%.5f, %.5f", l.Lat, l.Lng)
	if l.Accuracy > 0 {
		s += " " + v.T("visit.accuracy", int64(l.Accuracy+0.5))
	}
	return s
}

// visitView reads the visit of the request's path with its customer's
// name as the caller may see it.
func (u *UI) visitView(rq *request) (*visitView, error) {
	id, err := domain.ParseID(domain.KindVisit, "id", rq.r.PathValue("id"))
	if err != nil {
		return nil, domain.NotFound("visit")
	}
	x, err := u.records.GetVisit(rq.ctx, id)
	if err != nil {
		return nil, err
	}
	v := &visitView{base: u.newBase(rq, "visit.title"), V: x, Mine: x.RepID == rq.actor.UserID}
	if rq.actor.Role.Can(domain.FnCustomersRead) {
		names, err := u.customerNames(rq, []domain.ID{x.CustomerID})
		if err != nil {
			return nil, err
		}
		v.CustomerName = names[x.CustomerID]
	}
	return v, nil
}

func (u *UI) visitPage(rq *request) {
	v, err := u.visitView(rq)
	if err != nil {
		u.failed(rq, err)
		return
	}
	u.render(rq, http.StatusOK, "visit", v)
}

// position reads the hidden fields geo.js fills. A field left empty (no
// script, no permission, no fix) or not a number is passed on as absent:
// the service says what it requires.
func position(rq *request) (lat, lng, acc *float64) {
	num := func(k string) *float64 {
		f, err := strconv.ParseFloat(strings.TrimSpace(rq.r.PostForm.Get(k)), 64)
		if err != nil {
			return nil
		}
		return &f
	}
	return num("lat"), num("lng"), num("accuracy")
}

func (u *UI) visitCheckIn(rq *request) {
	id, err := domain.ParseID(domain.KindVisit, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("visit"))
		return
	}
	lat, lng, acc := position(rq)
	_, err = u.records.CheckIn(rq.ctx, id, &domain.LocationInput{Lat: lat, Lng: lng, Accuracy: acc}, seenVersion(rq))
	u.visitDone(rq, id, err, "checked_in", "")
}

func (u *UI) visitCheckOut(rq *request) {
	id, err := domain.ParseID(domain.KindVisit, "id", rq.r.PathValue("id"))
	if err != nil {
		u.failed(rq, domain.NotFound("visit"))
		return
	}
	lat, lng, acc := position(rq)
	in := &domain.CheckOutInput{Lat: lat, Lng: lng, Accuracy: acc}
	// The outcome notes are kept apart from the planning notes.
	notes := rq.r.PostForm.Get("notes")
	if strings.TrimSpace(notes) != "" {
		in.Notes = &notes
	}
	_, err = u.records.CheckOut(rq.ctx, id, in, seenVersion(rq))
	u.visitDone(rq, id, err, "checked_out", notes)
}

// visitDone answers a check-in or check-out: back to the visit with a
// notice, or the visit again with the reason at the button when the
// position or the notes were refused, or the refusal page.
func (u *UI) visitDone(rq *request, id domain.ID, err error, notice, notes string) {
	back := "/visits/" + string(id)
	if err == nil {
		seeOther(rq, back+"?done="+notice)
		return
	}
	if stepUpNeeded(rq, err, back) {
		return
	}
	e := domain.AsError(err)
	key := ""
	switch {
	case e.Code != domain.CodeInvalid:
	case e.Field == "lat" || e.Field == "lng":
		key = "visit.need_position"
	case e.Field == "accuracy":
		key = "visit.bad_accuracy"
	case e.Field == "notes":
		key = "visit.bad_notes"
	}
	if key == "" {
		u.failed(rq, err)
		return
	}
	v, verr := u.visitView(rq)
	if verr != nil {
		u.failed(rq, verr)
		return
	}
	v.Error, v.Notes = key, notes
	u.render(rq, http.StatusBadRequest, "visit", v)
}
