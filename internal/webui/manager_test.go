package webui_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// mgrWorld is a team (a manager and two reps), a rep of another team,
// finance and customer service, on a test clock (so a session can grow
// stale and need step-up), with customers and deals of the first rep.
type mgrWorld struct {
	a         *testkit.TestApp
	s         *testkit.Server
	clock     *testkit.Clock
	users     map[string]*domain.User
	customers []*domain.Customer
}

func newMgrWorld(t *testing.T) *mgrWorld {
	clock := testkit.NewClock(time.Now().UTC())
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Now: clock.Now})
	w := &mgrWorld{a: a, clock: clock, users: map[string]*domain.User{}}
	team, other := a.CreateTeam(t, "South"), a.CreateTeam(t, "North")
	for _, u := range []struct{ name, role string }{
		{"rep", domain.RoleSalesRep}, {"rep2", domain.RoleSalesRep}, {"manager", domain.RoleSalesManager},
		{"finance", domain.RoleFinance}, {"service", domain.RoleService},
	} {
		w.users[u.name] = a.CreateUser(t, u.name+"@x.example.com", u.role, team)
	}
	w.users["outsider"] = a.CreateUser(t, "outsider@x.example.com", domain.RoleSalesRep, other)
	for i, in := range []*domain.CustomerInput{
		{Kind: domain.CustomerPerson, Name: "王小明", Phone: "+8613912345678", Email: "xiaoming@example.com",
			Address: &domain.AddressInput{Province: "广东省", City: "深圳市", Street: "科技园路 1 号"}, BankAccount: "6222020200112233445"},
		{Kind: domain.CustomerCompany, Name: "Pearl River Foods", Phone: "+8613800001111", Company: "Pearl River Foods"},
	} {
		in.OwnerID = w.users["rep"].ID
		c, err := a.Records.CreateCustomer(a.System(), in)
		if err != nil {
			t.Fatalf("customer %d: %v", i, err)
		}
		w.customers = append(w.customers, c)
	}
	for _, d := range []struct {
		title, amount string
		stage         domain.DealStage
		customer      int
	}{
		{"Cold-chain trial", "12000.50", domain.StageQualification, 0},
		{"Annual contract", "300000", domain.StageNegotiation, 1},
		{"Store fittings", "4500", domain.StageNegotiation, 0},
		{"Spring promotion", "800", domain.StageWon, 1},
	} {
		amt := domain.AmountInput(d.amount)
		if _, err := a.Records.CreateDeal(a.System(), &domain.DealInput{CustomerID: w.customers[d.customer].ID, Title: d.title,
			Amount: &amt, Stage: d.stage, OwnerID: w.users["rep"].ID}); err != nil {
			t.Fatalf("deal %s: %v", d.title, err)
		}
	}
	// Visits in the last weeks: three for rep this week and one a week
	// ago, one for rep2 two weeks ago, one cancelled.
	for i, v := range []struct {
		rep    string
		ago    time.Duration
		cancel bool
	}{{"rep", 0, false}, {"rep", time.Hour, false}, {"rep", 2 * time.Hour, false}, {"rep", 7 * 24 * time.Hour, false},
		{"rep2", 14 * 24 * time.Hour, false}, {"rep2", 3 * time.Hour, true}} {
		x, err := a.Records.CreateVisit(a.System(), &domain.VisitInput{CustomerID: w.customers[i%2].ID, RepID: w.users[v.rep].ID,
			PlannedAt: startOfDay(clock.Now()).Add(-v.ago).Add(time.Minute).Format(time.RFC3339)})
		if err != nil {
			t.Fatalf("visit %d: %v", i, err)
		}
		if v.cancel {
			st := domain.VisitCancelled
			if _, err := a.Records.UpdateVisit(a.System(), x.ID, &domain.VisitPatch{Status: &st}, domain.Precondition{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.s = testkit.Serve(t, a)
	return w
}

// startOfDay is midnight of t's day in Shanghai (the UI's default zone),
// so that visits fall in the weeks the test expects whatever the hour.
func startOfDay(t time.Time) time.Time {
	sh := time.FixedZone("CST", 8*3600)
	y, m, d := t.In(sh).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, sh)
}

func (w *mgrWorld) signIn(t *testing.T, name string) *client {
	c := newClient(t, w.s)
	c.signIn(name+"@x.example.com", testkit.PasswordFor(name+"@x.example.com"))
	return c
}

// stepUp confirms who the client is with their password, as the step-up
// page does, and returns where it leads.
func (c *client) stepUp(next, password string) *page {
	c.t.Helper()
	c.get("/step-up?next=" + url.QueryEscape(next))
	p := c.post("/step-up", url.Values{"password": {password}, "next": {next}})
	if p.Status != http.StatusSeeOther {
		c.t.Fatalf("step-up: %d %s", p.Status, p.Body)
	}
	return p
}

func (w *mgrWorld) card(i int) string { return "/customers/" + string(w.customers[i].ID) }

// Reps see neither the pipeline nor export in their menu, and opening
// them gets a refusal page; customer service may not export either. The
// manager's menu has both.
func TestManagerPagesRefuseOthers(t *testing.T) {
	w := newMgrWorld(t)
	rep := w.signIn(t, "rep")
	home := rep.get("/customers")
	if strings.Contains(home.Body, `href="/pipeline"`) || strings.Contains(home.Body, `href="/export"`) {
		t.Error("a rep's menu offers the pipeline or export")
	}
	for _, path := range []string{"/pipeline", "/export"} {
		p := rep.get(path)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Your role may not do this.") {
			t.Errorf("rep GET %s: %d", path, p.Status)
		}
	}
	if p := rep.post("/export", url.Values{}); p.Status != http.StatusForbidden || p.Header.Get("Content-Type") == "text/csv; charset=utf-8" {
		t.Errorf("rep POST /export: %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	svc := w.signIn(t, "service")
	if p := svc.get("/export"); p.Status != http.StatusForbidden {
		t.Errorf("service GET /export: %d", p.Status)
	}
	mgr := w.signIn(t, "manager")
	menu := mgr.get("/customers").Body
	if !strings.Contains(menu, `href="/pipeline"`) || !strings.Contains(menu, `href="/export"`) {
		t.Error("the manager's menu lacks the pipeline or export")
	}
}

// The manager's pipeline board has a column per stage with its count and
// CNY total; the table lists every deal with its amount, for finance too.
func TestPipelineBoardAndTable(t *testing.T) {
	w := newMgrWorld(t)
	mgr := w.signIn(t, "manager")
	board := mgr.get("/pipeline")
	if board.Status != http.StatusOK {
		t.Fatalf("board: %d %s", board.Status, board.Body)
	}
	for _, want := range []string{`id="stage-negotiation"`, "Deals: 2", "¥304,500.00", "¥12,000.50", "Deals: 0", "Cold-chain trial", "王小明"} {
		if !strings.Contains(board.Body, want) {
			t.Errorf("the board lacks %q", want)
		}
	}
	fin := w.signIn(t, "finance")
	fin.lang = "zh-CN"
	table := fin.get("/pipeline?view=table")
	if table.Status != http.StatusOK || !strings.Contains(table.Body, "<table>") {
		t.Fatalf("finance's table: %d", table.Status)
	}
	for _, want := range []string{"金额", "¥300,000.00", "商务谈判", "Spring promotion"} {
		if !strings.Contains(table.Body, want) {
			t.Errorf("finance's table lacks %q", want)
		}
	}
	if strings.Contains(table.Body, "王小明") {
		t.Error("finance sees a customer's name unmasked in the pipeline")
	}
}

// Customer service sees contact data masked, with a reveal form per
// masked field; a reveal without a reason is refused at its field; a
// stale session steps up first and comes back to the field's form; the
// value is shown once, never cached, and the reveal is on the audit log
// with its reason.
func TestRevealWithReason(t *testing.T) {
	w := newMgrWorld(t)
	svc := w.signIn(t, "service")
	card := svc.get(w.card(0))
	if card.Status != http.StatusOK || strings.Contains(card.Body, "13912345678") || !strings.Contains(card.Body, "139****5678") {
		t.Fatalf("service's card: %d, masked phone missing or full phone shown", card.Status)
	}
	for _, id := range []string{"reveal-phone", "reveal-email", "reveal-address-street", "reveal-name"} {
		if !strings.Contains(card.Body, `id="`+id+`"`) {
			t.Errorf("no reveal form %s", id)
		}
	}
	if strings.Contains(card.Body, `id="reveal-bank_account"`) {
		t.Error("a reveal form for a class service may not see at all")
	}
	p := svc.post(w.card(0)+"/reveal", url.Values{"field": {"phone"}, "reason": {" "}})
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="reason-phone-error"`) ||
		!strings.Contains(p.Body, `aria-invalid="true"`) || strings.Contains(p.Body, "13912345678") {
		t.Fatalf("reveal without a reason: %d", p.Status)
	}
	if strings.Contains(p.Body, `id="reason-email-error"`) {
		t.Error("the error shows at another field")
	}

	w.clock.Advance(10 * time.Minute) // past the step-up window
	p = svc.post(w.card(0)+"/reveal", url.Values{"field": {"phone"}, "reason": {"customer called about invoice 2026-031"}})
	next := w.card(0) + "/reveal?field=phone&stepped_up=1"
	if p.Status != http.StatusSeeOther || p.Location != "/step-up?next="+url.QueryEscape(next) {
		t.Fatalf("stale reveal: %d → %q", p.Status, p.Location)
	}
	if back := svc.stepUp(next, testkit.PasswordFor("service@x.example.com")); back.Location != next {
		t.Fatalf("step-up leads to %q", back.Location)
	}
	form := svc.get(next)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `id="reason-phone"`) || !strings.Contains(form.Body, "You have confirmed who you are.") {
		t.Fatalf("the field's form after step-up: %d", form.Status)
	}
	p = svc.post(w.card(0)+"/reveal", url.Values{"field": {"phone"}, "reason": {"customer called about invoice 2026-031"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "13912345678") || p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reveal: %d, Cache-Control %q", p.Status, p.Header.Get("Cache-Control"))
	}
	evs, err := w.a.Store.AuditLog.ListAudit(t.Context(), domain.AuditFilter{Action: "customer.reveal", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var allowed []*domain.AuditEvent
	for _, ev := range evs {
		if ev.Outcome == domain.OutcomeAllowed {
			allowed = append(allowed, ev)
		}
	}
	if len(allowed) != 1 || allowed[0].Reason != "customer called about invoice 2026-031" ||
		allowed[0].ActorUser != w.users["service"].ID || strings.Join(allowed[0].Fields, ",") != "phone" {
		t.Fatalf("reveal events: %+v", allowed)
	}
	// A forced reveal of a class service may not see at all is refused.
	if p := svc.post(w.card(0)+"/reveal", url.Values{"field": {"bank_account"}, "reason": {"curious"}}); p.Status != http.StatusForbidden ||
		strings.Contains(p.Body, "6222020200112233445") {
		t.Errorf("reveal of a hidden class: %d", p.Status)
	}
}

// Finance sees contact data masked and financial fields in full on the
// card, may reveal contact fields, and has no owner form.
func TestFinanceCard(t *testing.T) {
	w := newMgrWorld(t)
	fin := w.signIn(t, "finance")
	card := fin.get(w.card(0))
	if card.Status != http.StatusOK {
		t.Fatalf("card: %d", card.Status)
	}
	if !strings.Contains(card.Body, "6222020200112233445") || strings.Contains(card.Body, "13912345678") ||
		!strings.Contains(card.Body, `id="reveal-phone"`) || strings.Contains(card.Body, `id="reveal-bank_account"`) {
		t.Error("finance's card: bank account in full, phone masked with a reveal form")
	}
	if strings.Contains(card.Body, `action="/customers/`+string(w.customers[0].ID)+`/owner"`) {
		t.Error("finance is offered the owner form")
	}
}

// The export downloads after step-up: a stale session goes to step-up
// and back to the form, then the CSV arrives, masked as the caller sees
// it, and the export is on the audit log.
func TestExportAfterStepUp(t *testing.T) {
	w := newMgrWorld(t)
	fin := w.signIn(t, "finance")
	if p := fin.get("/export"); p.Status != http.StatusOK || !strings.Contains(p.Body, `id="export-form"`) {
		t.Fatalf("export form: %d", p.Status)
	}
	w.clock.Advance(10 * time.Minute)
	p := fin.post("/export", url.Values{})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/step-up?next=") {
		t.Fatalf("stale export: %d → %q", p.Status, p.Location)
	}
	back := fin.stepUp("/export?done=stepped_up", testkit.PasswordFor("finance@x.example.com"))
	if back.Location != "/export?done=stepped_up" {
		t.Fatalf("step-up leads to %q", back.Location)
	}
	if form := fin.get(back.Location); !strings.Contains(form.Body, "You have confirmed who you are.") {
		t.Error("no notice after step-up")
	}
	p = fin.post("/export", url.Values{})
	if p.Status != http.StatusOK || p.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", p.Status, p.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "id" {
		t.Fatalf("CSV: %v, %d rows", err, len(rows))
	}
	if strings.Contains(p.Body, "13912345678") || !strings.Contains(p.Body, "6222020200112233445") {
		t.Error("finance's export: phone masked, bank account in full")
	}
	evs, _ := w.a.Store.AuditLog.ListAudit(t.Context(), domain.AuditFilter{Action: domain.ActionCustomerExport, Limit: 100})
	var outcomes []string
	for _, ev := range evs {
		outcomes = append(outcomes, string(ev.Outcome)+":"+ev.Reason)
	}
	if len(evs) != 2 || len(evs[1].TargetIDs) != 2 || strings.Join(outcomes, ",") != "denied:step-up required,allowed:" {
		t.Fatalf("export events: %v", outcomes)
	}
	// A narrowed export: only active customers (none here), the header row alone.
	if p := fin.post("/export", url.Values{"status": {"inactive"}}); p.Status != http.StatusOK || strings.Count(p.Body, "\n") != 1 {
		t.Errorf("narrowed export: %d %q", p.Status, p.Body)
	}
}

// The manager gives a customer to another rep of the team from the card;
// giving it to someone of another team is refused at the field and
// nothing changes.
func TestReassignOwner(t *testing.T) {
	w := newMgrWorld(t)
	mgr := w.signIn(t, "manager")
	card := mgr.get(w.card(0))
	if !strings.Contains(card.Body, `id="owner_id"`) || !strings.Contains(card.Body, "rep2@x.example.com") ||
		strings.Contains(card.Body, "outsider@x.example.com") {
		t.Fatalf("the owner form lists the team only: %d", card.Status)
	}
	p := mgr.post(w.card(0)+"/owner", url.Values{"owner_id": {string(w.users["rep2"].ID)}})
	if p.Status != http.StatusSeeOther || p.Location != w.card(0)+"?done=reassigned" {
		t.Fatalf("reassign: %d %q", p.Status, p.Location)
	}
	c, err := w.a.Records.GetCustomer(w.a.System(), w.customers[0].ID)
	if err != nil || c.OwnerID != w.users["rep2"].ID {
		t.Fatalf("owner after reassign: %v %v", c.OwnerID, err)
	}
	// A form made before a change is refused, nothing overwritten.
	if p := mgr.post(w.card(0)+"/owner", url.Values{"owner_id": {string(w.users["rep"].ID)}, "version": {"1"}}); p.Status != http.StatusConflict {
		t.Fatalf("a stale owner form: %d", p.Status)
	}
	p = mgr.post(w.card(0)+"/owner", url.Values{"owner_id": {string(w.users["outsider"].ID)}})
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, `id="owner-error"`) {
		t.Fatalf("reassign to another team: %d", p.Status)
	}
	if c, _ := w.a.Records.GetCustomer(w.a.System(), w.customers[0].ID); c.OwnerID != w.users["rep2"].ID {
		t.Fatal("a refused reassign changed the owner")
	}
	// A rep has no owner form and cannot force one.
	rep := w.signIn(t, "rep2")
	if card := rep.get(w.card(0)); strings.Contains(card.Body, `id="owner_id"`) {
		t.Error("a rep is offered the owner form")
	}
	if p := rep.post(w.card(0)+"/owner", url.Values{"owner_id": {string(w.users["rep"].ID)}}); p.Status != http.StatusForbidden {
		t.Errorf("a rep reassigning: %d", p.Status)
	}
}

// The manager's visit coverage: a bar chart per rep with the counts on
// the bars and the same numbers in a table; a rep is refused, and a
// nonsense number of weeks is refused too.
func TestVisitCoveragePage(t *testing.T) {
	w := newMgrWorld(t)
	mgr := w.signIn(t, "manager")
	p := mgr.get("/coverage")
	if p.Status != http.StatusOK {
		t.Fatalf("coverage: %d %s", p.Status, p.Body)
	}
	for _, want := range []string{`<svg class="chart"`, `aria-label="rep@x.example.com: visits per week"`,
		`<th scope="row">rep@x.example.com</th>`, "Visits: 4", "Visits: 1", `<td class="num">3</td>`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("coverage lacks %q", want)
		}
	}
	if strings.Contains(p.Body, "outsider@") {
		t.Error("another team's rep on the manager's coverage")
	}
	// A name is text in the chart, never markup.
	odd, err := w.a.Identity.CreateUser(w.a.System(), &identity.UserInput{Email: "odd@x.example.com", Password: testkit.PasswordFor("odd@x.example.com"),
		Role: domain.RoleSalesRep, DisplayName: `Ann "<b>" & co`, TeamID: w.users["rep"].TeamID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.Records.CreateVisit(w.a.System(), &domain.VisitInput{CustomerID: w.customers[0].ID, RepID: odd.ID,
		PlannedAt: startOfDay(w.clock.Now()).Add(time.Minute).Format(time.RFC3339)}); err != nil {
		t.Fatal(err)
	}
	p = mgr.get("/coverage")
	if strings.Contains(p.Body, "<b>") || !strings.Contains(p.Body, `aria-label="Ann &#34;&lt;b&gt;&#34; &amp; co: visits per week"`) {
		t.Errorf("the odd name in the chart: %s", p.Body[strings.Index(p.Body, "Ann"):][:200])
	}
	if p := mgr.get("/coverage?weeks=1000"); p.Status != http.StatusBadRequest {
		t.Errorf("1000 weeks: %d", p.Status)
	}
	rep := w.signIn(t, "rep")
	if p := rep.get("/coverage"); p.Status != http.StatusForbidden {
		t.Errorf("rep: %d", p.Status)
	}
}
