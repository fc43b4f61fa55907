package jsonapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// poolWorld is the world on a clock the test moves.
type poolWorld struct {
	*world
	clock *testkit.Clock
	team  string // team South
}

func newPoolWorld(t *testing.T, d testkit.Dialect, cfg func(*config.Config)) *poolWorld {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	// Every reading ticks a millisecond, so records made one after
	// another sort in that order.
	tick := func() time.Time {
		clock.Advance(time.Millisecond)
		return clock.Now()
	}
	w := worldOn(t, testkit.NewApp(t, d, testkit.AppOptions{Now: tick, Config: cfg}))
	u, err := w.a.Store.Users.GetUser(t.Context(), w.ids["rep1"])
	if err != nil {
		t.Fatal(err)
	}
	return &poolWorld{world: w, clock: clock, team: string(u.TeamID)}
}

// advance moves the clock on and signs everyone in again (sessions time
// out on the same clock). Users are signed in under the name before
// "@x.example.com" (the administrator under "admin").
func (w *poolWorld) advance(t *testing.T, d time.Duration) {
	t.Helper()
	w.clock.Advance(d)
	for name := range w.tok {
		email := name + "@x.example.com"
		if name == "admin" {
			email = testkit.AdminEmail
		}
		w.tok[name] = w.s.LoginAs(t, email)
	}
}

// setPool sets team South's pool settings as its manager.
func (w *poolWorld) setPool(t *testing.T, daily, owned, ret, warn int) {
	t.Helper()
	w.must(t, "manager", "PUT", "/api/v1/teams/"+w.team+"/pool-settings",
		map[string]int{"daily_claims": daily, "max_owned": owned, "return_days": ret, "warn_days": warn}, http.StatusOK)
}

// pooled creates a person customer as who, with phone, and releases it
// into the pool; it returns the id.
func (w *poolWorld) pooled(t *testing.T, who, name, phone string) string {
	t.Helper()
	id := w.id(t, w.must(t, who, "POST", "/api/v1/customers", map[string]any{"name": name, "phone": phone,
		"address": map[string]string{"province": "广东省", "city": "深圳市", "street": "科技园路" + phone[len(phone)-2:] + "号"}}, http.StatusCreated))
	w.must(t, who, "POST", "/api/v1/customers/"+id+"/release", nil, http.StatusNoContent)
	return id
}

// ownerOf reads a customer's owner beneath the API ("" in the pool).
func (w *poolWorld) ownerOf(t *testing.T, id string) string {
	t.Helper()
	var owner *string
	w.row(t, "SELECT owner_id FROM customers WHERE id = ?", []any{id}, &owner)
	if owner == nil {
		return ""
	}
	return *owner
}

// poolIDs lists the ids of the pool as who sees it.
func (w *poolWorld) poolIDs(t *testing.T, who string) []string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	w.must(t, who, "GET", "/api/v1/pool/customers", nil, http.StatusOK).JSON(t, &page)
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestPoolClaimLimits: reps of the team see the pool masked and claim
// from it within the daily and total limits of their team; over a limit,
// or for a customer that is not in their pool, nothing changes.
func TestPoolClaimLimits(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, nil)
		w.setPool(t, 2, 4, 30, 3)
		var pooled []string
		for i, name := range []string{"王芳", "李静", "赵磊", "孙洋"} {
			pooled = append(pooled, w.pooled(t, "rep2", name, "1390000000"+strconv.Itoa(i)))
		}

		// The pool, masked, for reps of the team; nothing personal in clear.
		r := w.must(t, "rep1", "GET", "/api/v1/pool/customers", nil, http.StatusOK)
		for _, secret := range []string{"13900000000", "王芳", "科技园路"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("the pool shows %q in clear: %s", secret, r.Body)
			}
		}
		var page struct {
			Items []map[string]any `json:"items"`
		}
		r.JSON(t, &page)
		if len(page.Items) != 4 || page.Items[0]["phone"] != "139****0003" || page.Items[0]["owner_id"] != nil {
			t.Fatalf("the pool as rep1: %s", r.Body)
		}
		w.must(t, "finance", "GET", "/api/v1/pool/customers", nil, http.StatusForbidden)

		// Two claims a day: the third is refused until the oldest ages out.
		got := w.must(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled[0]+"/claim", nil, http.StatusOK).Map(t)
		if got["phone"] != "+8613900000000" || got["owner_id"] != string(w.ids["rep1"]) {
			t.Fatalf("claimed customer: %v", got)
		}
		w.advance(t, time.Hour)
		w.must(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled[1]+"/claim", nil, http.StatusOK)
		r = w.do(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled[2]+"/claim", nil)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != strconv.Itoa(23*3600) {
			t.Fatalf("third claim of the day: %d (Retry-After %q) %s", r.Status, r.Header.Get("Retry-After"), r.Body)
		}
		if o := w.ownerOf(t, pooled[2]); o != "" {
			t.Fatalf("a refused claim gave the customer to %s", o)
		}

		// A day later the daily limit allows it, but rep1 owns 4 (company1,
		// person1 and two claims): the total limit refuses.
		w.advance(t, 23*time.Hour+time.Minute)
		r = w.do(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled[2]+"/claim", nil)
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "you own 4 customers") {
			t.Fatalf("claim over the total: %d %s", r.Status, r.Body)
		}
		w.must(t, "rep1", "POST", "/api/v1/customers/"+pooled[0]+"/release", nil, http.StatusNoContent)
		w.must(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled[2]+"/claim", nil, http.StatusOK)

		// Someone else's customer, a customer claimed already, one of
		// another team's pool, an erased one: not found, nothing changes.
		north := w.a.CreateTeam(t, "North")
		w.a.CreateUser(t, "north@x.example.com", domain.RoleSalesRep, north)
		w.tok["north"] = w.s.LoginAs(t, "north@x.example.com")
		northPooled := w.pooled(t, "north", "周平", "13700000001")
		if ids := w.poolIDs(t, "rep1"); has(ids, northPooled) || !has(ids, pooled[3]) {
			t.Fatalf("rep1's pool %v (north's customer %s, South's %s)", ids, northPooled, pooled[3])
		}
		for _, id := range []string{w.company2, pooled[1], northPooled} {
			owner := w.ownerOf(t, id)
			expectError(t, w.do(t, "rep1", "POST", "/api/v1/pool/customers/"+id+"/claim", nil), http.StatusNotFound, "")
			if now := w.ownerOf(t, id); now != owner {
				t.Fatalf("a refused claim moved %s from %q to %q", id, owner, now)
			}
		}
		if n := w.audited(t, domain.ActionPoolClaim, "", "denied"); n != 5 {
			t.Fatalf("%d denied claims audited, want 5", n)
		}
		if n := w.audited(t, domain.ActionPoolClaim, "", "allowed"); n != 3 {
			t.Fatalf("%d claims audited, want 3", n)
		}
		if n := w.audited(t, domain.ActionCustomerRead, pooled[2], "allowed"); n != 1 {
			t.Fatalf("the claimed customer's unmasked read audited %d times", n)
		}

		// Bad input: a malformed id, a body where none is taken, query
		// parameters the pool does not take.
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/pool/customers/dea_x/claim", nil), http.StatusBadRequest, "id")
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled[3]+"/claim", map[string]any{"owner_id": "x"}), http.StatusBadRequest, "owner_id")
		expectError(t, w.do(t, "rep1", "GET", "/api/v1/pool/customers?team_id=tea_x", nil), http.StatusBadRequest, "team_id")
		expectError(t, w.do(t, "rep1", "GET", "/api/v1/pool/customers?limit=0", nil), http.StatusBadRequest, "limit")
		if o := w.ownerOf(t, pooled[3]); o != "" {
			t.Fatalf("bad input moved the customer to %s", o)
		}
	})
}

// TestPoolAssignReclaimSettings: managers reclaim their team's customers
// into the pool and assign pool customers to their reps (who are
// notified), and set the team's pool rules; reps do neither, and nobody
// reaches another team's customers or rules.
func TestPoolAssignReclaimSettings(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, nil)
		var st map[string]any
		w.must(t, "rep1", "GET", "/api/v1/teams/"+w.team+"/pool-settings", nil, http.StatusOK).JSON(t, &st)
		if st["daily_claims"] != float64(20) || st["max_owned"] != float64(300) || st["return_days"] != float64(30) ||
			st["warn_days"] != float64(3) || st["default"] != true {
			t.Fatalf("default settings: %v", st)
		}

		expectError(t, w.do(t, "rep1", "POST", "/api/v1/customers/"+w.person1+"/reclaim", nil), http.StatusForbidden, "")
		w.must(t, "manager", "POST", "/api/v1/customers/"+w.person1+"/reclaim", nil, http.StatusNoContent)
		w.must(t, "rep1", "GET", "/api/v1/customers/"+w.person1, nil, http.StatusNotFound)
		expectError(t, w.do(t, "manager", "POST", "/api/v1/customers/"+w.person1+"/reclaim", nil), http.StatusConflict, "")

		expectError(t, w.do(t, "rep1", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]string{"owner_id": string(w.ids["rep1"])}), http.StatusForbidden, "")
		expectError(t, w.do(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]string{"owner_id": string(w.ids["finance"])}), http.StatusForbidden, "owner_id") // not in the team
		expectError(t, w.do(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]string{"owner_id": string(domain.NewID(domain.KindUser))}), http.StatusBadRequest, "owner_id")
		expectError(t, w.do(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]string{"owner_id": "cus_x"}), http.StatusBadRequest, "owner_id")
		expectError(t, w.do(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign", map[string]string{}), http.StatusBadRequest, "owner_id")
		expectError(t, w.do(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]any{"owner_id": string(w.ids["rep2"]), "team_id": "x"}), http.StatusBadRequest, "team_id")
		if o := w.ownerOf(t, w.person1); o != "" {
			t.Fatalf("refused assignments gave the customer to %s", o)
		}
		w.must(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]string{"owner_id": string(w.ids["rep2"])}, http.StatusNoContent)
		w.must(t, "rep2", "GET", "/api/v1/customers/"+w.person1, nil, http.StatusOK)
		expectError(t, w.do(t, "manager", "POST", "/api/v1/pool/customers/"+w.person1+"/assign",
			map[string]string{"owner_id": string(w.ids["rep1"])}), http.StatusConflict, "")

		kinds := func(who string) []string {
			var page struct {
				Items []struct {
					Kind     string            `json:"kind"`
					RecordID string            `json:"record_id"`
					Params   map[string]string `json:"params"`
				} `json:"items"`
			}
			w.must(t, who, "GET", "/api/v1/notifications", nil, http.StatusOK).JSON(t, &page)
			var out []string
			for _, n := range page.Items {
				out = append(out, n.Kind+" "+n.RecordID+" "+n.Params["by"])
			}
			return out
		}
		mgr := string(w.ids["manager"])
		if got := kinds("rep1"); len(got) != 1 || got[0] != "pool.reclaimed "+w.person1+" "+mgr {
			t.Fatalf("rep1's notifications: %v", got)
		}
		if got := kinds("rep2"); len(got) != 1 || got[0] != "pool.assigned "+w.person1+" "+mgr {
			t.Fatalf("rep2's notifications: %v", got)
		}
		if w.audited(t, domain.ActionPoolReclaim, w.person1, "allowed") != 1 || w.audited(t, domain.ActionPoolAssign, w.person1, "allowed") != 1 {
			t.Fatal("the reclaim and the assignment are not on the audit log")
		}

		// Another team's manager reaches neither South's customers nor
		// its rules.
		north := w.a.CreateTeam(t, "North")
		w.a.CreateUser(t, "north@x.example.com", domain.RoleSalesManager, north)
		w.tok["north"] = w.s.LoginAs(t, "north@x.example.com")
		w.must(t, "north", "POST", "/api/v1/customers/"+w.company1+"/reclaim", nil, http.StatusNotFound)
		w.must(t, "north", "GET", "/api/v1/teams/"+w.team+"/pool-settings", nil, http.StatusNotFound)
		w.must(t, "north", "PUT", "/api/v1/teams/"+w.team+"/pool-settings",
			map[string]int{"daily_claims": 1, "max_owned": 1, "return_days": 1, "warn_days": 0}, http.StatusNotFound)

		// Settings: every field required and bounded; refused input
		// changes nothing.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"max_owned": 10, "return_days": 30, "warn_days": 3}, "daily_claims"},
			{map[string]any{"daily_claims": -1, "max_owned": 10, "return_days": 30, "warn_days": 3}, "daily_claims"},
			{map[string]any{"daily_claims": 5, "max_owned": 0, "return_days": 30, "warn_days": 3}, "max_owned"},
			{map[string]any{"daily_claims": 5, "max_owned": 10, "return_days": 3651, "warn_days": 3}, "return_days"},
			{map[string]any{"daily_claims": 5, "max_owned": 10, "return_days": 3, "warn_days": 3}, "warn_days"},
			{map[string]any{"daily_claims": "5", "max_owned": 10, "return_days": 30, "warn_days": 3}, "daily_claims"},
			{map[string]any{"daily_claims": 5, "max_owned": 10, "return_days": 30, "warn_days": 3, "team_id": "x"}, "team_id"},
		} {
			expectError(t, w.do(t, "manager", "PUT", "/api/v1/teams/"+w.team+"/pool-settings", c.body), http.StatusBadRequest, c.field)
		}
		expectError(t, w.do(t, "manager", "PUT", "/api/v1/teams/cus_x/pool-settings", map[string]int{}), http.StatusBadRequest, "id")
		expectError(t, w.do(t, "rep1", "PUT", "/api/v1/teams/"+w.team+"/pool-settings",
			map[string]int{"daily_claims": 5, "max_owned": 10, "return_days": 30, "warn_days": 3}), http.StatusForbidden, "")
		if n := w.count(t, "pool_settings", ""); n != 0 {
			t.Fatalf("refused settings stored %d rows", n)
		}
		w.setPool(t, 5, 10, 0, 0)
		w.must(t, "rep1", "GET", "/api/v1/teams/"+w.team+"/pool-settings", nil, http.StatusOK).JSON(t, &st)
		if st["daily_claims"] != float64(5) || st["return_days"] != float64(0) || st["default"] != false {
			t.Fatalf("settings after the change: %v", st)
		}
		if n := w.audited(t, domain.ActionPoolSettings, w.team, "allowed"); n != 1 {
			t.Fatalf("%d settings changes audited", n)
		}
		// No claims for reps when the team allows none.
		w.setPool(t, 0, 10, 30, 3)
		pooled := w.pooled(t, "rep2", "陈晨", "13900000009")
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/pool/customers/"+pooled+"/claim", nil), http.StatusForbidden, "")
	})
}
