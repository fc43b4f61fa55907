package jsonapi_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// found returns the ids of a list answer.
func found(t *testing.T, r *testkit.Response) []string {
	t.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(t, &page)
	var ids []string
	for _, it := range page.Items {
		id, _ := it["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// One search box finds a customer by the end of a phone number, part of a
// Chinese or Latin name (company names included, sealed as they are), an
// email's local part, through GET ?q= and POST /customers/search alike;
// within the caller's scope, masked as the caller sees customers; each
// search audited with the fields it read and the ids it found, never the
// query.
func TestPartialSearch(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		li := w.id(t, w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{"name": "李小明", "phone": "13912344321",
			"email": "xiaoming.li@example.cn"}, http.StatusCreated))
		for _, c := range []struct {
			who, q string
			want   []string
		}{
			{"rep1", "恒信", []string{w.company1}},
			{"rep1", "恒信冷链", []string{w.company1}},
			{"rep1", "8000", []string{w.person1}},
			{"rep1", "4321", []string{li}},
			{"rep1", "138 0013 8000", []string{w.person1}},
			{"rep1", "小明", []string{li}},
			{"rep1", "张伟", []string{w.person1}},
			{"rep1", "张", []string{w.person1}},
			{"rep1", "xiaoming.li", []string{li}},
			{"rep1", "XiaoMing.Li@", []string{li}},
			{"rep1", "north", nil}, // rep2's customer: out of scope
			{"manager", "north", []string{w.company2}},
			{"manager", "NORTHWIND foo", []string{w.company2}},
			{"rep1", "恒信 Northwind", nil}, // mixed scripts: every part must match
			{"rep1", "*恒信*", []string{w.company1}},
		} {
			got := found(t, w.must(t, c.who, "GET", "/api/v1/customers?q="+url.QueryEscape(c.q), nil, http.StatusOK))
			if !slices.Equal(got, c.want) {
				t.Errorf("GET q=%q as %s: %v, want %v", c.q, c.who, got, c.want)
			}
			got = found(t, w.must(t, c.who, "POST", "/api/v1/customers/search", map[string]any{"q": c.q}, http.StatusOK))
			if !slices.Equal(got, c.want) {
				t.Errorf("POST q=%q as %s: %v, want %v", c.q, c.who, got, c.want)
			}
		}
		// Filters and paging go with q.
		if got := found(t, w.must(t, "rep1", "GET", "/api/v1/customers?kind=person&q=%E6%81%92%E4%BF%A1", nil, http.StatusOK)); len(got) != 0 {
			t.Fatalf("kind=person&q=恒信: %v", got)
		}
		p1 := w.must(t, "rep1", "POST", "/api/v1/customers/search", map[string]any{"q": "1", "limit": 1}, 400)
		expectError(t, p1, 400, "q")

		// The service agent sees contact data masked: found, but masked.
		var page struct {
			Items []map[string]any `json:"items"`
		}
		w.must(t, "service", "GET", "/api/v1/customers?q=8000", nil, http.StatusOK).JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0]["phone"] != "138****8000" || page.Items[0]["name"] != "张*" {
			t.Fatalf("service's search: %v", page.Items)
		}

		// Audited: the fields searched and the ids found, never the query.
		evs, err := w.a.Store.AuditLog.ListAudit(t.Context(), domain.AuditFilter{Action: domain.ActionCustomerSearch, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var phoneSearch *domain.AuditEvent
		for _, ev := range evs {
			if ev.ActorUser == w.ids["service"] {
				phoneSearch = ev
			}
		}
		if phoneSearch == nil || !slices.Equal(phoneSearch.Fields, []string{"phone"}) || !slices.Equal(phoneSearch.TargetIDs, []string{w.person1}) {
			t.Fatalf("the service agent's search on the audit log: %+v", phoneSearch)
		}
		w.must(t, "rep1", "GET", "/api/v1/customers?q=Quxzebwick", nil, http.StatusOK)
		w.must(t, "rep1", "POST", "/api/v1/customers/search", map[string]any{"q": "Zebquxwick"}, http.StatusOK)
		stored := testkit.StoredBytes(t, w.a)
		for _, s := range []string{"Quxzebwick", "Zebquxwick", "quxzebwick", "恒信冷链", "Northwind", "xiaoming.li"} {
			if bytes.Contains(stored, []byte(s)) {
				t.Errorf("%q is stored in clear (a query on the audit log, or a name)", s)
			}
		}
	})
}

// Bad search input answers 400 naming q (or the member at fault) and
// records no search: too few digits, no word of two letters or two
// Chinese characters, wildcards alone, control characters, over-long
// queries, and malformed search bodies.
func TestPartialSearchBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		before := w.audited(t, domain.ActionCustomerSearch, "", "success")
		for _, c := range []struct{ q, field string }{
			{"4", "q"}, {"43", "q"}, {"432", "q"}, {"(0) 12", "q"}, {"1234567890123456789", "q"},
			{"j", "q"}, {"%", "q"}, {"_", "q"}, {"*", "q"}, {"%_*%", "q"}, {"a b", "q"}, {"@", "q"}, {"@example.com", "q"},
			{"a\x00b", "q"}, {"a\tb", "q"}, {strings.Repeat("张", 65), "q"}, {strings.Repeat("ab ", 30), "q"},
			{"x@example", "q"}, {"恒%信", "q"}, {"恒_信", "q"}, {"恒 信", "q"},
		} {
			expectError(t, w.do(t, "rep1", "GET", "/api/v1/customers?q="+url.QueryEscape(c.q), nil), 400, c.field)
			expectError(t, w.do(t, "rep1", "POST", "/api/v1/customers/search", map[string]any{"q": c.q}), 400, c.field)
		}
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"q": ""}, "q"},
			{map[string]any{"q": 4321}, "q"},
			{map[string]any{"q": nil}, ""},
			{map[string]any{"q": "恒信", "phone": "13800138000"}, ""},
			{map[string]any{"phone": "13800138000", "limit": 5}, "limit"},
			{map[string]any{"q": "恒信", "limit": 0}, "limit"},
			{map[string]any{"q": "恒信", "limit": 201}, "limit"},
			{map[string]any{"q": "恒信", "kind": "robot"}, "kind"},
			{map[string]any{"q": "恒信", "cursor": "!!"}, "cursor"},
			{map[string]any{"q": "恒信", "status": "lead"}, "status"},
			{`{"q": "恒信", "q": "北京"}`, "q"},
		} {
			expectError(t, w.do(t, "rep1", "POST", "/api/v1/customers/search", c.body), 400, c.field)
		}
		expectError(t, w.do(t, "rep1", "GET", "/api/v1/customers?q=%E6%81%92&q=x", nil), 400, "q")
		if after := w.audited(t, domain.ActionCustomerSearch, "", "success"); after != before {
			t.Fatalf("refused searches were recorded as searches: %d → %d", before, after)
		}
	})
}

// A role that sees contact data masked draws each search of personal
// fields from its per-user budget of masked lookups (429 beyond it;
// company names, being public, are free); a role that may not look up
// contact data at all searches company names only.
func TestPartialSearchLimits(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now, Config: func(c *config.Config) { c.MaskedLookupsPerHour = 3 }})
		w := worldOn(t, a)
		for i := range 3 {
			if got := found(t, w.must(t, "service", "GET", "/api/v1/customers?q=8000", nil, http.StatusOK)); len(got) != 1 {
				t.Fatalf("masked search %d: %v", i, got)
			}
		}
		r := w.do(t, "service", "GET", "/api/v1/customers?q=%E5%BC%A0", nil)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("fourth masked search: %d %s", r.Status, r.Body)
		}
		// Exact lookups share the budget.
		if r := w.do(t, "service", "GET", "/api/v1/customers?phone=13800138000", nil); r.Status != http.StatusTooManyRequests {
			t.Fatalf("a lookup after the searches spent the budget: %d", r.Status)
		}
		if got := found(t, w.must(t, "service", "GET", "/api/v1/customers?kind=company&q=north", nil, http.StatusOK)); len(got) != 1 {
			t.Fatalf("a company-name search by a masked role: %v", got)
		}
		if n := w.audited(t, domain.ActionCustomerSearch, "", "denied"); n != 1 {
			t.Fatalf("%d denied searches audited", n)
		}
		// The manager reads contact data: no limit.
		for range 6 {
			w.must(t, "manager", "GET", "/api/v1/customers?q=8000", nil, http.StatusOK)
		}

		// Without lookup by contact data, company names only.
		a.UpdateRole(t, domain.RoleService, func(r *domain.Role) { r.MaskedLookup = map[domain.FieldClass]bool{} })
		clock.Advance(2 * time.Hour)
		w.tok["service"] = w.s.LoginAs(t, "service@x.example.com")
		expectError(t, w.do(t, "service", "GET", "/api/v1/customers?q=8000", nil), 403, "q")
		expectError(t, w.do(t, "service", "POST", "/api/v1/customers/search", map[string]any{"q": "zhang@"}), 403, "q")
		expectError(t, w.do(t, "service", "GET", "/api/v1/customers?kind=person&q=north", nil), 403, "q")
		if got := found(t, w.must(t, "service", "GET", "/api/v1/customers?q=%E5%BC%A0%E4%BC%9F", nil, http.StatusOK)); len(got) != 0 {
			t.Fatalf("a person's name found by a role that may not look up contact data: %v", got)
		}
		if got := found(t, w.must(t, "service", "GET", "/api/v1/customers?q=%E6%81%92%E4%BF%A1", nil, http.StatusOK)); !slices.Equal(got, []string{w.company1}) {
			t.Fatalf("a company name by a role that may not look up contact data: %v", got)
		}
	})
}
