package webui_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// repWorld is two reps, each with a customer of their own.
type repWorld struct {
	a          *testkit.TestApp
	s          *testkit.Server
	rep, other *domain.User
	mine, his  *domain.Customer
}

func newRepWorld(t *testing.T, d testkit.Dialect) *repWorld {
	t.Helper()
	a := testkit.NewApp(t, d, testkit.AppOptions{})
	w := &repWorld{a: a}
	w.rep = a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	w.other = a.CreateUser(t, "other@x.example.com", domain.RoleSalesRep, "")
	var err error
	if w.mine, err = a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "王芳", Phone: "13812345678",
		OwnerID: w.rep.ID}); err != nil {
		t.Fatal(err)
	}
	if w.his, err = a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Name: "李雷", Phone: "13987654321",
		OwnerID: w.other.ID}); err != nil {
		t.Fatal(err)
	}
	w.s = testkit.Serve(t, a)
	return w
}

func (w *repWorld) signedIn(t *testing.T, email string) *client {
	c := newClient(t, w.s)
	c.lang = "en"
	c.signIn(email, testkit.PasswordFor(email))
	return c
}

// activity counts what hangs off a customer, read as the system.
func (w *repWorld) activity(t *testing.T, id domain.ID) (notes, deals, tasks, visits int) {
	t.Helper()
	ctx := w.a.System()
	n, err := w.a.Records.ListNotes(ctx, domain.ActivityFilter{CustomerID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.a.Records.ListDeals(ctx, domain.DealFilter{CustomerID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	k, err := w.a.Records.ListTasks(ctx, domain.ActivityFilter{CustomerID: id, Status: domain.TaskOpen, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.a.Records.ListVisits(ctx, domain.VisitFilter{CustomerID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return len(n.Items), len(d.Items), len(k.Items), len(v.Items)
}

func mustSee(t *testing.T, p *page, want ...string) {
	t.Helper()
	body := html.UnescapeString(p.Body)
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("the page (%d) does not show %q", p.Status, s)
		}
	}
}

var visitLink = regexp.MustCompile(`^/visits/(vis_[0-9a-z]+)\?done=visit_planned$`)

// A rep adds a note, a deal, a follow-up and a visit from the customer's
// card, sees each on the card, marks the follow-up done, and checks in
// and out of the visit.
func TestCardActivity(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newRepWorld(t, d)
		c := w.signedIn(t, "rep@x.example.com")
		card := "/customers/" + string(w.mine.ID)
		p := c.get(card)
		mustSee(t, p, "Visits", "Open follow-ups", "Deals and orders", "Notes", "No notes yet.", "Add a note")

		p = c.post(card+"/notes", url.Values{"body": {"Wants the spring catalogue.\nCall after 3 pm."}})
		if p.Status != http.StatusSeeOther || p.Location != card+"?done=note_added#card-notes" {
			t.Fatalf("add note: %d → %q", p.Status, p.Location)
		}
		mustSee(t, c.get(p.Location), "The note is saved.", "Wants the spring catalogue.\nCall after 3 pm.")

		p = c.post(card+"/deals", url.Values{"title": {"Cold-chain contract"}, "amount": {"¥ 12800.5"}, "stage": {"proposal"}})
		if p.Status != http.StatusSeeOther || p.Location != card+"?done=deal_added#card-deals" {
			t.Fatalf("add deal: %d → %q %s", p.Status, p.Location, p.Body)
		}
		mustSee(t, c.get(p.Location), "The deal is saved.", "Cold-chain contract", "¥12,800.50", "Proposal")

		p = c.post(card+"/tasks", url.Values{"title": {"Send the quote"}, "due": {"2026-12-24"}})
		if p.Status != http.StatusSeeOther || p.Location != card+"?done=task_added#card-tasks" {
			t.Fatalf("add task: %d → %q %s", p.Status, p.Location, p.Body)
		}
		mustSee(t, c.get(p.Location), "The follow-up is added.", "Send the quote", "due 24 Dec 2026")
		tasks, err := w.a.Records.ListTasks(w.a.System(), domain.ActivityFilter{CustomerID: w.mine.ID, Limit: 10})
		if err != nil || len(tasks.Items) != 1 {
			t.Fatalf("tasks: %v %d", err, len(tasks.Items))
		}
		if due := tasks.Items[0].DueAt.UTC(); !due.Equal(time.Date(2026, 12, 24, 23, 59, 0, 0, time.UTC)) {
			t.Errorf("a follow-up due on a day is due at the end of that day in the user's zone (UTC): %v", due)
		}
		p = c.post("/tasks/"+string(tasks.Items[0].ID)+"/done", url.Values{"back": {card}})
		if p.Status != http.StatusSeeOther || p.Location != card+"?done=task_done" {
			t.Fatalf("task done: %d → %q", p.Status, p.Location)
		}
		p = c.get(p.Location)
		mustSee(t, p, "The follow-up is done.", "No open follow-ups.")

		p = c.post(card+"/visits", url.Values{"date": {"2026-12-04"}, "time": {"09:30"}, "notes": {"Bring samples"}})
		m := visitLink.FindStringSubmatch(p.Location)
		if p.Status != http.StatusSeeOther || m == nil {
			t.Fatalf("plan visit: %d → %q %s", p.Status, p.Location, p.Body)
		}
		visit := "/visits/" + m[1]
		p = c.get(p.Location)
		mustSee(t, p, "The visit is planned.", "4 Dec 2026, 09:30", "Planned", "Bring samples", "Check in here")
		mustSee(t, c.get(card), visit)

		// Without a position (no script, or the phone gave none) the page
		// says why check-in needs one, and nothing changes.
		p = c.post(visit+"/check-in", url.Values{"lat": {""}, "lng": {""}, "accuracy": {""}})
		if p.Status != http.StatusBadRequest {
			t.Fatalf("check-in without a position: %d", p.Status)
		}
		mustSee(t, p, "need your phone's position", "Check in here")
		p = c.post(visit+"/check-in", url.Values{"lat": {"31.23040"}, "lng": {"121.47370"}, "accuracy": {"12"}})
		if p.Status != http.StatusSeeOther || p.Location != visit+"?done=checked_in" {
			t.Fatalf("check in: %d → %q %s", p.Status, p.Location, p.Body)
		}
		mustSee(t, c.get(p.Location), "You are checked in.", "31.23040, 121.47370", "within 12 m", "Outcome notes")
		p = c.post(visit+"/check-out", url.Values{"lat": {"31.2305"}, "lng": {"121.4738"}, "accuracy": {"9"}, "notes": {"Ordered 40 cases."}})
		if p.Status != http.StatusSeeOther || p.Location != visit+"?done=checked_out" {
			t.Fatalf("check out: %d → %q %s", p.Status, p.Location, p.Body)
		}
		// The outcome notes are kept apart from the planning notes.
		mustSee(t, c.get(p.Location), "the visit is complete", "Completed", "Planning notes", "Bring samples", "Outcome", "Ordered 40 cases.")
	})
}

// A form with a bad amount, date or time comes back with the person's
// input kept and the error at its field; nothing is saved.
func TestCardFormsKeepBadInput(t *testing.T) {
	w := newRepWorld(t, testkit.SQLite)
	c := w.signedIn(t, "rep@x.example.com")
	card := "/customers/" + string(w.mine.ID)
	c.get(card)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		field      string
		kept       []string
		says       string
	}{
		{"amount", "/deals", url.Values{"title": {"Freezers"}, "amount": {"12,80x"}, "stage": {"negotiation"}}, "deal-amount",
			[]string{`value="Freezers"`, `value="12,80x"`, `value="negotiation" selected`}, "Enter the amount in yuan"},
		{"amount precision", "/deals", url.Values{"title": {"Freezers"}, "amount": {"1.234"}, "stage": {"won"}}, "deal-amount",
			[]string{`value="1.234"`}, "Enter the amount in yuan"},
		{"no title", "/deals", url.Values{"title": {" "}, "amount": {"5"}, "stage": {"won"}}, "deal-title",
			[]string{`value="5"`}, "Give the deal a title"},
		{"visit date", "/visits", url.Values{"date": {"2026-02-30"}, "time": {"10:00"}, "notes": {"Ask for Mr Zhou"}}, "visit-date",
			[]string{`value="10:00"`, "Ask for Mr Zhou"}, "Enter a valid date."},
		{"visit time", "/visits", url.Values{"date": {"2026-12-04"}, "time": {"25:61"}}, "visit-time",
			[]string{`value="2026-12-04"`}, "Enter a time of day"},
		{"due date", "/tasks", url.Values{"title": {"Call back"}, "due": {"24/12/2026"}}, "task-due",
			[]string{`value="Call back"`, `value="24/12/2026"`}, "Enter a valid date"},
		{"empty note", "/notes", url.Values{"body": {"   "}}, "note-body", nil, "Write the note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.post(card+tc.path, tc.form)
			if p.Status != http.StatusBadRequest {
				t.Fatalf("%d → %q", p.Status, p.Location)
			}
			mustSee(t, p, tc.kept...)
			mustSee(t, p, tc.says)
			input := regexp.MustCompile(`<(input|textarea|select) id="` + tc.field + `"[^>]*>`).FindString(p.Body)
			if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, tc.field+`-error`) {
				t.Errorf("the field is not marked invalid and described by its error: %s", input)
			}
			if !strings.Contains(p.Body, `<p class="field-error" id="`+tc.field+`-error">`) {
				t.Error("no error at the field")
			}
		})
	}
	if n, d, k, v := w.activity(t, w.mine.ID); n+d+k+v != 0 {
		t.Errorf("refused forms saved something: %d notes, %d deals, %d tasks, %d visits", n, d, k, v)
	}
}

// A rep posting to a customer, task or visit outside their scope gets the
// refusal page and nothing changes; a form without its CSRF token is
// refused too.
func TestRepRefusals(t *testing.T) {
	w := newRepWorld(t, testkit.SQLite)
	his := "/customers/" + string(w.his.ID)
	ctx := w.a.ActAs(t, "other@x.example.com")
	task, err := w.a.Records.CreateTask(ctx, &domain.TaskInput{CustomerID: w.his.ID, Title: "His follow-up"})
	if err != nil {
		t.Fatal(err)
	}
	visit, err := w.a.Records.CreateVisit(ctx, &domain.VisitInput{CustomerID: w.his.ID, PlannedAt: "2026-12-04T09:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	c := w.signedIn(t, "rep@x.example.com")
	c.get("/today")
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{his + "/notes", url.Values{"body": {"mine now"}}},
		{his + "/deals", url.Values{"title": {"Poached"}, "amount": {"100"}, "stage": {"won"}}},
		{his + "/tasks", url.Values{"title": {"Call"}}},
		{his + "/visits", url.Values{"date": {"2026-12-05"}, "time": {"10:00"}}},
		{"/tasks/" + string(task.ID) + "/done", url.Values{"back": {"/today"}}},
		{"/visits/" + string(visit.ID) + "/check-in", url.Values{"lat": {"31.2"}, "lng": {"121.4"}, "accuracy": {"10"}}},
		{"/customers/cus_00000000000000000000000000/notes", url.Values{"body": {"x"}}},
		{"/customers/not-an-id/notes", url.Values{"body": {"x"}}},
	} {
		p := c.post(tc.path, tc.form)
		if p.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want the not-found refusal", tc.path, p.Status)
		}
		mustSee(t, p, "Not found, or outside what you may see.")
	}
	if p := c.get(his); p.Status != http.StatusNotFound {
		t.Errorf("his card: %d", p.Status)
	}
	if p := c.get("/visits/" + string(visit.ID)); p.Status != http.StatusNotFound {
		t.Errorf("his visit: %d", p.Status)
	}
	if n, d, k, v := w.activity(t, w.his.ID); n != 0 || d != 0 || k != 1 || v != 1 {
		t.Errorf("refused forms changed his customer: %d notes, %d deals, %d open tasks, %d visits", n, d, k, v)
	}
	if x, err := w.a.Records.GetVisit(w.a.System(), visit.ID); err != nil || x.Status != domain.VisitPlanned {
		t.Errorf("his visit: %v %v", x.Status, err)
	}

	// Without the CSRF token, or with a forged one, nothing is saved.
	mine := "/customers/" + string(w.mine.ID)
	for _, token := range []string{"", "forged"} {
		form := url.Values{"body": {"sneaky"}}
		form.Set("_csrf", token)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", w.s.URL+mine+"/notes", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", w.s.URL)
		if p := c.do(req); p.Status != http.StatusForbidden {
			t.Errorf("note with CSRF token %q: %d", token, p.Status)
		}
	}
	if n, _, _, _ := w.activity(t, w.mine.ID); n != 0 {
		t.Errorf("a form without its CSRF token saved %d notes", n)
	}
}

// The day lists today's visits with a link to each, and open follow-ups
// with a button that marks them done.
func TestTodayLinksVisitsAndClosesTasks(t *testing.T) {
	w := newRepWorld(t, testkit.SQLite)
	ctx := w.a.ActAs(t, "rep@x.example.com")
	visit, err := w.a.Records.CreateVisit(ctx, &domain.VisitInput{CustomerID: w.mine.ID,
		PlannedAt: time.Now().UTC().Truncate(time.Minute).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	task, err := w.a.Records.CreateTask(ctx, &domain.TaskInput{CustomerID: w.mine.ID, Title: "Bring the contract"})
	if err != nil {
		t.Fatal(err)
	}
	c := w.signedIn(t, "rep@x.example.com")
	p := c.get("/today")
	mustSee(t, p, `href="/visits/`+string(visit.ID)+`"`, "Bring the contract", `action="/tasks/`+string(task.ID)+`/done"`)
	// Marking done a follow-up someone changed since the page was shown
	// is refused; the page says to reload.
	title := "Bring the signed contract"
	if _, err := w.a.Records.UpdateTask(ctx, task.ID, &domain.TaskPatch{Title: &title}, domain.Precondition{}); err != nil {
		t.Fatal(err)
	}
	p = c.post("/tasks/"+string(task.ID)+"/done", url.Values{"back": {"/today"}, "version": {version(task.Version)}})
	if p.Status != http.StatusConflict {
		t.Fatalf("stale task done: %d", p.Status)
	}
	mustSee(t, p, "Someone changed this meanwhile")
	if x, err := w.a.Records.GetTask(w.a.System(), task.ID); err != nil || x.Status != domain.TaskOpen {
		t.Fatalf("the stale form changed the task: %v %v", x.Status, err)
	}
	p = c.get("/today")
	mustSee(t, p, "Bring the signed contract", `name="version" value="`+version(task.Version+1)+`"`)
	p = c.post("/tasks/"+string(task.ID)+"/done", url.Values{"back": {"//evil.example/today"}, "version": {version(task.Version + 1)}})
	if p.Status != http.StatusSeeOther || p.Location != "/today?done=task_done" {
		t.Fatalf("task done: %d → %q", p.Status, p.Location)
	}
	p = c.get(p.Location)
	mustSee(t, p, "The follow-up is done.", "No open follow-ups.")
}

// The card shows what the service returns for the caller's role: notes
// masked for an administrator, deals without amounts for a role without
// amount access, and no forms for functions the role lacks.
func TestCardShowsWhatTheRoleMaySee(t *testing.T) {
	w := newRepWorld(t, testkit.SQLite)
	ctx := w.a.ActAs(t, "rep@x.example.com")
	if _, err := w.a.Records.CreateNote(ctx, &domain.NoteInput{CustomerID: w.mine.ID, Body: "Mrs Wang's daughter runs the shop now"}); err != nil {
		t.Fatal(err)
	}
	amount := domain.AmountInput("5000")
	if _, err := w.a.Records.CreateDeal(ctx, &domain.DealInput{CustomerID: w.mine.ID, Title: "Display fridge", Amount: &amount}); err != nil {
		t.Fatal(err)
	}
	card := "/customers/" + string(w.mine.ID)

	admin := newClient(t, w.s)
	admin.lang = "en"
	admin.signIn(testkit.AdminEmail, testkit.AdminPassword)
	p := admin.get(card)
	if p.Status != http.StatusOK || strings.Contains(p.Body, "daughter runs the shop") {
		t.Errorf("administrator's card: %d, the note unmasked: %v", p.Status, strings.Contains(p.Body, "daughter runs the shop"))
	}
	mustSee(t, p, "masked", "Display fridge", "¥5,000.00")
	visit, err := w.a.Records.CreateVisit(ctx, &domain.VisitInput{CustomerID: w.mine.ID, PlannedAt: "2026-12-04T01:30:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	// Check-in is offered to the visit's rep, the one on site.
	if p := admin.get("/visits/" + string(visit.ID)); p.Status != http.StatusOK || strings.Contains(p.Body, "Check in here") {
		t.Errorf("administrator's view of the rep's visit: %d, offers check-in: %v", p.Status, strings.Contains(p.Body, "Check in here"))
	}

	w.a.UpdateRole(t, domain.RoleService, func(r *domain.Role) { r.Fields[domain.ClassAmount] = domain.AccessNone })
	w.a.CreateUser(t, "service@x.example.com", domain.RoleService, "")
	svc := w.signedIn(t, "service@x.example.com")
	p = svc.get(card)
	mustSee(t, p, "Display fridge", "Mrs Wang's daughter runs the shop now", "Add a note")
	for _, s := range []string{"¥5,000.00", "No amount yet", "Add a deal", "Plan a visit"} {
		if strings.Contains(p.Body, s) {
			t.Errorf("customer service's card shows %q", s)
		}
	}
}

func version(v int64) string { return strconv.FormatInt(v, 10) }
