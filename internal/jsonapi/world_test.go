package jsonapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// world is a running Custos with one sales team (a manager, rep1, rep2),
// finance, service and auditor users, the administrator, and customers:
// company1 and person1 owned by rep1, company2 owned by rep2.
type world struct {
	a   *testkit.TestApp
	s   *testkit.Server
	raw *testkit.Raw
	ids map[string]domain.ID // user ids by name
	tok map[string]string    // bearer tokens by name

	company1, person1, company2 string
}

var worldUsers = []struct{ name, role string }{
	{"manager", domain.RoleSalesManager}, {"rep1", domain.RoleSalesRep}, {"rep2", domain.RoleSalesRep},
	{"finance", domain.RoleFinance}, {"service", domain.RoleService}, {"auditor", domain.RoleAuditor},
}

// The app runs on a test clock that ticks a millisecond at every reading,
// so records made one after another sort in that order (ids carry
// millisecond time and random bits).
func newWorld(t *testing.T, d testkit.Dialect) *world {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	tick := func() time.Time {
		clock.Advance(time.Millisecond)
		return clock.Now()
	}
	return worldOn(t, testkit.NewApp(t, d, testkit.AppOptions{Now: tick}))
}

// worldOn builds the world on an app (one with a test clock, say).
func worldOn(t *testing.T, a *testkit.TestApp) *world {
	t.Helper()
	w := &world{a: a, s: testkit.Serve(t, a), raw: testkit.RawDB(t, a), ids: map[string]domain.ID{}, tok: map[string]string{}}
	team := a.CreateTeam(t, "South")
	for _, u := range worldUsers {
		email := u.name + "@x.example.com"
		teamID := domain.ID("")
		if u.role == domain.RoleSalesManager || u.role == domain.RoleSalesRep {
			teamID = team
		}
		w.ids[u.name] = a.CreateUser(t, email, u.role, teamID).ID
		w.tok[u.name] = w.s.LoginAs(t, email)
	}
	w.tok["admin"] = w.s.LoginAs(t, testkit.AdminEmail)
	w.company1 = w.id(t, w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{
		"kind": "company", "name": "深圳恒信冷链物流有限公司", "address": map[string]string{"province": "广东省", "city": "深圳市"},
	}, http.StatusCreated))
	w.person1 = w.id(t, w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{"name": "张伟", "phone": "13800138000"}, http.StatusCreated))
	w.company2 = w.id(t, w.must(t, "rep2", "POST", "/api/v1/customers", map[string]any{"kind": "company", "name": "Northwind Foods"}, http.StatusCreated))
	return w
}

// do calls the API as the named user ("" for anonymous).
func (w *world) do(t *testing.T, who, method, path string, body any) *testkit.Response {
	t.Helper()
	return w.s.Do(t, method, path, w.tok[who], body)
}

// must calls the API and fails the test unless the status is want.
func (w *world) must(t *testing.T, who, method, path string, body any, want int) *testkit.Response {
	t.Helper()
	r := w.do(t, who, method, path, body)
	if r.Status != want {
		t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, who, r.Status, want, r.Body)
	}
	return r
}

func (w *world) id(t *testing.T, r *testkit.Response) string {
	t.Helper()
	id, _ := r.Map(t)["id"].(string)
	if id == "" {
		t.Fatalf("no id in %s", r.Body)
	}
	return id
}

// expectError checks an error response's status, code and field.
func expectError(t *testing.T, r *testkit.Response, status int, field string) {
	t.Helper()
	if r.Status != status || r.ErrorField() != field {
		t.Fatalf("got %d field %q (%s), want %d field %q", r.Status, r.ErrorField(), r.Body, status, field)
	}
}

// count returns how many rows of table match (raw SQL beneath the store).
func (w *world) count(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	return int(w.raw.Int(t, q, args...))
}

// row runs a one-row query beneath the store and scans it into dest.
func (w *world) row(t *testing.T, query string, args []any, dest ...any) {
	t.Helper()
	if err := w.raw.QueryRow(query, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// audited counts audit events of action on target with outcome (Record
// returns once an event is durable, so every finished call's events are
// there, integrated into the log or still queued).
func (w *world) audited(t *testing.T, action, target, outcome string) int {
	t.Helper()
	evs, err := w.a.Store.AuditLog.ListAudit(context.Background(), domain.AuditFilter{Action: action, TargetID: target, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if string(ev.Outcome) == outcome {
			n++
		}
	}
	return n
}
