package jsonapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// An exact lookup confirms that a value belongs to some customer. Roles
// that see a class masked may look up by it only where their role's
// masked_lookup names the class (by default contact data, never identity
// documents or tax ids), and those lookups are rate-limited per user and
// audited; roles with read access are not limited.
func TestMaskedLookupIsLimited(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now, Config: func(c *config.Config) { c.MaskedLookupsPerHour = 3 }})
		w := worldOn(t, a)
		w.must(t, "manager", "PATCH", "/api/v1/customers/"+w.person1, map[string]any{"id_number": "11010519491231002X"}, http.StatusOK)

		// service sees phones masked: three lookups an hour, then 429.
		for i := range 3 {
			var got struct {
				Items []map[string]any `json:"items"`
			}
			w.must(t, "service", "GET", "/api/v1/customers?phone=13800138000", nil, http.StatusOK).JSON(t, &got)
			if len(got.Items) != 1 || got.Items[0]["id"] != w.person1 {
				t.Fatalf("lookup %d by a masked phone: %v", i, got.Items)
			}
		}
		r := w.do(t, "service", "GET", "/api/v1/customers?phone=13900139000", nil)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("fourth masked lookup: %d %s", r.Status, r.Body)
		}
		if n := w.audited(t, domain.ActionCustomerLookup, "", "denied"); n != 1 {
			t.Fatalf("%d denied lookups audited, want the rate-limited one", n)
		}
		clock.Advance(20 * time.Minute) // one token back (3 an hour)
		w.must(t, "service", "GET", "/api/v1/customers?phone=13800138000", nil, http.StatusOK)

		// Identity documents: service sees them masked and may not look up.
		r = w.do(t, "service", "GET", "/api/v1/customers?id_number=11010519491231002X", nil)
		if r.Status != http.StatusForbidden || r.ErrorField() != "id_number" {
			t.Fatalf("lookup by a masked ID number: %d %s", r.Status, r.Body)
		}
		// The manager reads contact data: no limit.
		for range 5 {
			w.must(t, "manager", "GET", "/api/v1/customers?phone=13800138000", nil, http.StatusOK)
		}

		// An administrator turns masked lookups off for the service role.
		w.tok["admin"] = w.s.LoginAs(t, testkit.AdminEmail) // fresh, to change a role
		var role struct {
			MaskedLookup []string `json:"masked_lookup"`
		}
		w.must(t, "admin", "GET", "/api/v1/roles/service", nil, http.StatusOK).JSON(t, &role)
		if len(role.MaskedLookup) != 1 || role.MaskedLookup[0] != "contact" {
			t.Fatalf("service role's masked_lookup: %v", role.MaskedLookup)
		}
		expectError(t, w.do(t, "admin", "PATCH", "/api/v1/roles/service", map[string]any{"masked_lookup": []string{"note"}}), 400, "masked_lookup")
		w.must(t, "admin", "PATCH", "/api/v1/roles/service", map[string]any{"masked_lookup": []string{}}, http.StatusOK)
		clock.Advance(time.Hour)
		w.tok["service"] = w.s.LoginAs(t, "service@x.example.com")
		if r := w.do(t, "service", "GET", "/api/v1/customers?phone=13800138000", nil); r.Status != http.StatusForbidden {
			t.Fatalf("masked lookup after it was turned off: %d %s", r.Status, r.Body)
		}
	})
}

// Rate-limit buckets live in the database: two nodes draw from one.
func TestRateLimitSharedByNodes(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		other := testkit.OpenStore(t, a)
		rate := domain.Rate{Events: 1, Per: time.Hour, Burst: 2}
		ctx := t.Context()
		ok1, _, err1 := a.Store.RateLimits.Take(ctx, "test:bucket", rate)
		ok2, _, err2 := other.RateLimits.Take(ctx, "test:bucket", rate)
		ok3, wait, err3 := a.Store.RateLimits.Take(ctx, "test:bucket", rate)
		if err1 != nil || err2 != nil || err3 != nil || !ok1 || !ok2 || ok3 || wait < 30*time.Minute {
			t.Fatalf("takes from a bucket of 2: %v %v %v (wait %v) %v %v %v", ok1, ok2, ok3, wait, err1, err2, err3)
		}
	})
}
