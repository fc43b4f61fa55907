package webui

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// The customer card's activity: the customer's visits, open follow-ups,
// deals and notes, and the forms a rep adds them with. What is listed,
// masked or hidden is the records service's answer for the caller.

func (u *UI) cardRoutes() []route {
	return []route{
		{"POST /customers/{id}/notes", u.signedIn(u.cardAddNote)},
		{"POST /customers/{id}/deals", u.signedIn(u.cardAddDeal)},
		{"POST /customers/{id}/tasks", u.signedIn(u.cardAddTask)},
		{"POST /customers/{id}/visits", u.signedIn(u.cardPlanVisit)},
	}
}

// cardListSize bounds each list on the card.
const cardListSize = 20

// repCard is the card's activity and its forms.
type repCard struct {
	Visits []*domain.Visit
	Tasks  []*domain.Task
	Deals  []*domain.Deal
	Notes  []*domain.Note
	Stages []domain.DealStage
	// Today is the day in the caller's zone (YYYY-MM-DD), the date
	// fields' default.
	Today string
	// Form is the input of the form that failed ("<form>.<field>" →
	// value), Errors its message keys, Open the form to show open.
	Form   map[string]string
	Errors map[string]string
	Open   string
}

// Val is the kept input of a form field.
func (c *repCard) Val(key string) string { return c.Form[key] }

// Err is the message key of a form field's error, or "".
func (c *repCard) Err(key string) string { return c.Errors[key] }

// HasAny reports whether field is in list (a record's Masked or Hidden).
func (c *repCard) HasAny(list []string, field string) bool { return slices.Contains(list, field) }

var dealStages = []domain.DealStage{domain.StageQualification, domain.StageProposal, domain.StageNegotiation,
	domain.StageWon, domain.StageLost}

// loadRepCard lists what hangs off the card's customer, for the
// functions the caller's role has.
func (u *UI) loadRepCard(rq *request, v *customerCardView) error {
	v.Stages = dealStages
	v.Today = u.now().In(rq.loc.zone).Format(time.DateOnly)
	v.Form = map[string]string{"visit.date": v.Today}
	id, can := v.C.ID, rq.actor.Role.Can
	if can(domain.FnVisitsRead) {
		page, err := u.records.ListVisits(rq.ctx, domain.VisitFilter{CustomerID: id, Limit: domain.MaxPageSize})
		if err != nil {
			return err
		}
		slices.SortFunc(page.Items, func(a, b *domain.Visit) int { return b.PlannedAt.Compare(a.PlannedAt) })
		v.Visits = page.Items[:min(len(page.Items), cardListSize)]
	}
	if can(domain.FnNotesRead) {
		tasks, err := u.records.ListTasks(rq.ctx, domain.ActivityFilter{CustomerID: id, Status: domain.TaskOpen, Limit: domain.MaxPageSize})
		if err != nil {
			return err
		}
		slices.SortFunc(tasks.Items, byDue)
		v.Tasks = tasks.Items[:min(len(tasks.Items), cardListSize)]
		notes, err := u.records.ListNotes(rq.ctx, domain.ActivityFilter{CustomerID: id, Limit: domain.MaxPageSize})
		if err != nil {
			return err
		}
		slices.SortFunc(notes.Items, func(a, b *domain.Note) int { return b.CreatedAt.Compare(a.CreatedAt) })
		v.Notes = notes.Items[:min(len(notes.Items), cardListSize)]
	}
	if can(domain.FnDealsRead) {
		page, err := u.records.ListDeals(rq.ctx, domain.DealFilter{CustomerID: id, Limit: domain.MaxPageSize})
		if err != nil {
			return err
		}
		slices.SortFunc(page.Items, func(a, b *domain.Deal) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
		v.Deals = page.Items[:min(len(page.Items), cardListSize)]
	}
	return nil
}

// byDue orders tasks by due time, those without one last.
func byDue(a, b *domain.Task) int {
	switch {
	case a.DueAt.IsZero() && b.DueAt.IsZero():
		return a.CreatedAt.Compare(b.CreatedAt)
	case a.DueAt.IsZero():
		return 1
	case b.DueAt.IsZero():
		return -1
	}
	return a.DueAt.Compare(b.DueAt)
}

// cardForm is one posted card form: its name, the fields it keeps on an
// error, and the customer it is about.
type cardForm struct {
	name   string
	fields []string
	id     domain.ID
}

// section is the card's heading of what the form adds, where the page
// lands after it.
func (f cardForm) section() string {
	return map[string]string{"note": "card-notes", "deal": "card-deals", "task": "card-tasks", "visit": "card-visits"}[f.name]
}

// The card's forms and the fields each keeps on an error.
var (
	noteForm  = cardForm{name: "note", fields: []string{"body"}}
	dealForm  = cardForm{name: "deal", fields: []string{"title", "amount", "stage"}}
	taskForm  = cardForm{name: "task", fields: []string{"title", "due"}}
	visitForm = cardForm{name: "visit", fields: []string{"date", "time", "notes"}}
	cardForms = []cardForm{noteForm, dealForm, taskForm, visitForm}
)

// about is the form for the customer with id.
func (f cardForm) about(id domain.ID) cardForm { f.id = id; return f }

// cardCustomer is the customer of a card form's path. A malformed id is
// answered as not found.
func cardCustomer(rq *request) (domain.ID, bool) {
	id, err := domain.ParseID(domain.KindCustomer, "id", rq.r.PathValue("id"))
	return id, err == nil
}

// cardFormDone answers a card form: back to the card with a notice when
// err is nil; the card again with the input kept and the error at its
// field when the service (or the form) found a field invalid; the
// refusal page otherwise. A customer outside the caller's scope is not
// found, whatever the form.
func (u *UI) cardFormDone(rq *request, f cardForm, err error, notice string) {
	back := "/customers/" + string(f.id)
	if err == nil {
		seeOther(rq, back+"?done="+notice+"#"+f.section())
		return
	}
	if stepUpNeeded(rq, err, back) {
		return
	}
	e := domain.AsError(err)
	field := e.Field
	if e.Code == domain.CodeInvalid && field == "customer_id" {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	if e.Code != domain.CodeInvalid || !slices.Contains(f.fields, field) {
		u.failed(rq, err)
		return
	}
	v, verr := u.cardView(rq)
	if verr != nil {
		u.failed(rq, verr)
		return
	}
	v.Form, v.Errors, v.Open = map[string]string{}, map[string]string{}, f.name
	for _, k := range f.fields {
		v.Form[f.name+"."+k] = rq.r.PostForm.Get(k)
	}
	v.Errors[f.name+"."+field] = "card.invalid." + f.name + "." + field
	u.render(rq, http.StatusBadRequest, "customer", v)
}

func (u *UI) cardAddNote(rq *request) {
	id, ok := cardCustomer(rq)
	if !ok {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	f := noteForm.about(id)
	_, err := u.records.CreateNote(rq.ctx, &domain.NoteInput{CustomerID: id, Body: rq.r.PostForm.Get("body")})
	u.cardFormDone(rq, f, err, "note_added")
}

func (u *UI) cardAddDeal(rq *request) {
	id, ok := cardCustomer(rq)
	if !ok {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	pf := rq.r.PostForm
	f := dealForm.about(id)
	in := &domain.DealInput{CustomerID: id, Title: strings.TrimSpace(pf.Get("title")), Currency: domain.DefaultCurrency,
		Stage: domain.DealStage(pf.Get("stage"))}
	if in.Title == "" {
		u.cardFormDone(rq, f, domain.Invalid("title", "title is required"), "")
		return
	}
	if a := amountText(pf.Get("amount")); a != "" {
		amount := domain.AmountInput(a)
		in.Amount = &amount
	}
	_, err := u.records.CreateDeal(rq.ctx, in)
	u.cardFormDone(rq, f, err, "deal_added")
}

// amountText is an amount as typed on a phone, without spaces and the
// yuan sign; the service decides whether it is an amount.
func amountText(s string) string {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	return s
}

func (u *UI) cardAddTask(rq *request) {
	id, ok := cardCustomer(rq)
	if !ok {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	pf := rq.r.PostForm
	f := taskForm.about(id)
	in := &domain.TaskInput{CustomerID: id, Title: pf.Get("title")}
	if d := strings.TrimSpace(pf.Get("due")); d != "" {
		// A follow-up is due by the end of its day, in the caller's zone.
		day, err := time.ParseInLocation(time.DateOnly, d, rq.loc.zone)
		if err != nil {
			u.cardFormDone(rq, f, domain.Invalid("due", "due must be a date"), "")
			return
		}
		in.DueAt = day.Add(24*time.Hour - time.Minute).Format(time.RFC3339)
	}
	_, err := u.records.CreateTask(rq.ctx, in)
	if e := domain.AsError(err); err != nil && e.Field == "due_at" {
		err = domain.Invalid("due", "%s", e.Message)
	}
	u.cardFormDone(rq, f, err, "task_added")
}

func (u *UI) cardPlanVisit(rq *request) {
	id, ok := cardCustomer(rq)
	if !ok {
		u.failed(rq, domain.NotFound("customer"))
		return
	}
	pf := rq.r.PostForm
	f := visitForm.about(id)
	day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(pf.Get("date")), rq.loc.zone)
	if err != nil {
		u.cardFormDone(rq, f, domain.Invalid("date", "date must be a date"), "")
		return
	}
	clock, err := time.Parse("15:04", strings.TrimSpace(pf.Get("time")))
	if err != nil {
		u.cardFormDone(rq, f, domain.Invalid("time", "time must be a time of day"), "")
		return
	}
	at := time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, rq.loc.zone)
	v, err := u.records.CreateVisit(rq.ctx, &domain.VisitInput{CustomerID: id, PlannedAt: at.Format(time.RFC3339),
		Notes: pf.Get("notes")})
	if e := domain.AsError(err); err != nil && e.Field == "planned_at" {
		err = domain.Invalid("date", "%s", e.Message)
	}
	if err != nil {
		u.cardFormDone(rq, f, err, "")
		return
	}
	seeOther(rq, "/visits/"+string(v.ID)+"?done=visit_planned")
}
