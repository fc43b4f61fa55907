package jsonapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/testkit"
)

func TestDealsCRUDAndAmounts(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		r := w.must(t, "rep1", "POST", "/api/v1/deals", map[string]any{
			"customer_id": w.company1, "title": "年度冷链运输合同", "amount": "12345.67", "currency": "cny",
			"stage": "proposal", "expected_close": "2026-12-31",
		}, http.StatusCreated)
		m := r.Map(t)
		id := m["id"].(string)
		if m["amount"] != "12345.67" || m["currency"] != "CNY" || m["owner_id"] != string(w.ids["rep1"]) || m["stage"] != "proposal" {
			t.Fatalf("create: %s", r.Body)
		}
		var minor int64
		var cur string
		w.row(t, "SELECT amount_minor, currency FROM deals WHERE id = ?", []any{id}, &minor, &cur)
		if minor != 1234567 || cur != "CNY" {
			t.Fatalf("stored %d %s", minor, cur)
		}
		// A JSON number is read as written, never through a float.
		p := w.must(t, "rep1", "PATCH", "/api/v1/deals/"+id, map[string]any{"amount": 0.1, "stage": "won"}, http.StatusOK).Map(t)
		if p["amount"] != "0.10" || p["stage"] != "won" {
			t.Fatalf("patch: %v", p)
		}
		// Changing the currency needs the amount again, in its units.
		expectError(t, w.do(t, "rep1", "PATCH", "/api/v1/deals/"+id, map[string]any{"currency": "JPY"}), 400, "amount")
		expectError(t, w.do(t, "rep1", "PATCH", "/api/v1/deals/"+id, map[string]any{"currency": "JPY", "amount": "150.5"}), 400, "amount")
		p = w.must(t, "rep1", "PATCH", "/api/v1/deals/"+id, map[string]any{"currency": "JPY", "amount": "15000"}, http.StatusOK).Map(t)
		if p["amount"] != "15000" || p["currency"] != "JPY" {
			t.Fatalf("patch currency: %v", p)
		}
		// Finance reads amounts; service reads them too but may not write
		// deals; the auditor sees no deals at all.
		if f := w.must(t, "finance", "GET", "/api/v1/deals/"+id, nil, http.StatusOK).Map(t); f["amount"] != "15000" {
			t.Fatalf("finance view: %v", f)
		}
		w.must(t, "service", "PATCH", "/api/v1/deals/"+id, map[string]any{"stage": "lost"}, http.StatusForbidden)
		w.must(t, "auditor", "GET", "/api/v1/deals/"+id, nil, http.StatusForbidden)
		w.must(t, "finance", "PATCH", "/api/v1/deals/"+id, map[string]any{"amount": "20000"}, http.StatusOK)
		// The largest amount survives both dialects' integer columns.
		big := w.id(t, w.must(t, "rep1", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "max", "amount": "10000000000000.00"}, http.StatusCreated))
		if g := w.must(t, "rep1", "GET", "/api/v1/deals/"+big, nil, http.StatusOK).Map(t); g["amount"] != "10000000000000.00" {
			t.Fatalf("max amount read back as %v", g["amount"])
		}
		w.must(t, "rep1", "DELETE", "/api/v1/deals/"+big, nil, http.StatusNoContent)
		w.must(t, "rep1", "DELETE", "/api/v1/deals/"+id, nil, http.StatusNoContent)
		w.must(t, "rep1", "GET", "/api/v1/deals/"+id, nil, http.StatusNotFound)
		w.must(t, "rep1", "DELETE", "/api/v1/deals/"+id, nil, http.StatusNotFound)
		if n := w.count(t, "deals", ""); n != 0 {
			t.Fatalf("%d deals stored after delete", n)
		}
	})
}

// listAll pages through path (which has a query) as who with limit, and
// returns the ids in order, failing on duplicates.
func listAll(t *testing.T, w *world, who, path string, limit int) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		u := fmt.Sprintf("%s&limit=%d", path, limit)
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		w.must(t, who, "GET", u, nil, http.StatusOK).JSON(t, &page)
		if len(page.Items) > limit {
			t.Fatalf("page of %d items with limit %d", len(page.Items), limit)
		}
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("%s listed twice", it.ID)
			}
			seen[it.ID] = true
			ids = append(ids, it.ID)
		}
		if page.NextCursor == nil {
			return ids
		}
		cursor = *page.NextCursor
	}
}

func TestDealsFiltersAndPagination(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		w := worldOn(t, a)
		stages := []string{"qualification", "proposal", "negotiation", "won", "lost"}
		want := map[string][]string{} // by filter name
		for i := 0; i < 23; i++ {
			clock.Advance(time.Second)
			cust, who := w.company1, "rep1"
			if i%3 == 0 {
				cust, who = w.person1, "rep1"
			}
			if i%4 == 0 {
				cust, who = w.company2, "rep2"
			}
			id := w.id(t, w.must(t, who, "POST", "/api/v1/deals", map[string]any{
				"customer_id": cust, "title": fmt.Sprintf("deal %d", i), "amount": i * 100, "stage": stages[i%5],
			}, http.StatusCreated))
			want["all"] = append([]string{id}, want["all"]...)
			if who == "rep1" {
				want["rep1"] = append([]string{id}, want["rep1"]...)
			}
			if stages[i%5] == "won" {
				want["won"] = append([]string{id}, want["won"]...)
			}
			if cust == w.company1 {
				want["company1"] = append([]string{id}, want["company1"]...)
			}
			if i >= 20 {
				want["recent"] = append([]string{id}, want["recent"]...)
			}
		}
		since := clock.Now().Add(-2 * time.Second).Format(time.RFC3339)
		for _, tc := range []struct {
			name, who, query, want string
		}{
			{"manager sees the team", "manager", "", "all"},
			{"rep sees own customers' deals", "rep1", "", "rep1"},
			{"owner filter", "manager", "owner_id=" + string(w.ids["rep1"]), "rep1"},
			{"stage filter", "manager", "stage=won", "won"},
			{"customer filter", "rep1", "customer_id=" + w.company1, "company1"},
			{"updated since", "manager", "updated_since=" + url.QueryEscape(since), "recent"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, limit := range []int{1, 4, 200} {
					got := listAll(t, w, tc.who, "/api/v1/deals?"+tc.query, limit)
					if fmt.Sprint(got) != fmt.Sprint(want[tc.want]) {
						t.Fatalf("limit %d: got %v\nwant %v", limit, got, want[tc.want])
					}
				}
			})
		}
		// Another rep's customer filter yields nothing, not their deals.
		if got := listAll(t, w, "rep2", "/api/v1/deals?customer_id="+w.company1, 10); len(got) != 0 {
			t.Fatalf("rep2 listed rep1's deals: %v", got)
		}
	})
}

func TestDealsScope(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		id := w.id(t, w.must(t, "rep1", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "Q3 order", "amount": "500"}, http.StatusCreated))
		var sealed []byte
		w.row(t, "SELECT title_sealed FROM deals WHERE id = ?", []any{id}, &sealed)
		// A rep cannot attach a deal to another rep's customer (it looks
		// absent), nor give a deal to someone else.
		expectError(t, w.do(t, "rep2", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "x"}), 400, "customer_id")
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "x", "owner_id": string(w.ids["rep2"])}), 403, "owner_id")
		w.must(t, "rep2", "GET", "/api/v1/deals/"+id, nil, http.StatusNotFound)
		w.must(t, "rep2", "PATCH", "/api/v1/deals/"+id, map[string]any{"amount": "1"}, http.StatusNotFound)
		w.must(t, "rep2", "DELETE", "/api/v1/deals/"+id, nil, http.StatusNotFound)
		var minor int64
		var title []byte
		w.row(t, "SELECT amount_minor, title_sealed FROM deals WHERE id = ?", []any{id}, &minor, &title)
		if minor != 50000 || !bytes.Equal(title, sealed) || w.count(t, "deals", "") != 1 {
			t.Fatalf("stored deal changed: %d", minor)
		}
		if n := w.audited(t, "deal.delete", id, "denied"); n != 1 {
			t.Fatalf("denied delete audited %d times", n)
		}
		// The manager reaches the team's deals and may hand them within it.
		w.must(t, "manager", "PATCH", "/api/v1/deals/"+id, map[string]any{"owner_id": string(w.ids["rep2"])}, http.StatusOK)
		expectError(t, w.do(t, "manager", "PATCH", "/api/v1/deals/"+id, map[string]any{"owner_id": string(w.ids["finance"])}), 403, "owner_id")
	})
}

func TestDealsBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		id := w.id(t, w.must(t, "rep1", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "Q3 order", "amount": "500"}, http.StatusCreated))
		var sealed []byte
		w.row(t, "SELECT title_sealed FROM deals WHERE id = ?", []any{id}, &sealed)
		ok := map[string]any{"customer_id": w.company1, "title": "x"}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for kk, vv := range ok {
				m[kk] = vv
			}
			m[k] = v
			return m
		}
		for _, tc := range []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"malformed", "POST", "/api/v1/deals", `{"title": `, ""},
			{"not an object", "POST", "/api/v1/deals", `[1,2]`, ""},
			{"empty body", "POST", "/api/v1/deals", ``, ""},
			{"unknown field", "POST", "/api/v1/deals", with("amount_minor", 5), "amount_minor"},
			{"wrong type title", "POST", "/api/v1/deals", with("title", 5), "title"},
			{"amount bool", "POST", "/api/v1/deals", with("amount", true), "amount"},
			{"negative amount", "POST", "/api/v1/deals", with("amount", "-5"), "amount"},
			{"negative number", "POST", "/api/v1/deals", with("amount", -5), "amount"},
			{"too many decimals", "POST", "/api/v1/deals", with("amount", "1.005"), "amount"},
			{"decimals in JPY", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "x", "currency": "JPY", "amount": "1.5"}, "amount"},
			{"exponent", "POST", "/api/v1/deals", `{"customer_id": "` + w.company1 + `", "title": "x", "amount": 1e5}`, "amount"},
			{"too large", "POST", "/api/v1/deals", with("amount", "10000000000001"), "amount"},
			{"bad currency", "POST", "/api/v1/deals", with("currency", "BTC"), "currency"},
			{"metal currency", "POST", "/api/v1/deals", with("currency", "XAU"), "currency"},
			{"bad stage", "POST", "/api/v1/deals", with("stage", "closed"), "stage"},
			{"bad date", "POST", "/api/v1/deals", with("expected_close", "31/12/2026"), "expected_close"},
			{"impossible date", "POST", "/api/v1/deals", with("expected_close", "2026-02-30"), "expected_close"},
			{"no customer", "POST", "/api/v1/deals", map[string]any{"title": "x"}, "customer_id"},
			{"deal id as customer", "POST", "/api/v1/deals", with("customer_id", id), "customer_id"},
			{"unknown customer", "POST", "/api/v1/deals", with("customer_id", "cus_01jq0000000000000000000000"), "customer_id"},
			{"customer id as owner", "POST", "/api/v1/deals", with("owner_id", w.company1), "owner_id"},
			{"customer id as deal", "GET", "/api/v1/deals/" + w.company1, nil, "id"},
			{"garbage id", "PATCH", "/api/v1/deals/dea_!!", map[string]any{"title": "y"}, "id"},
			{"patch customer", "PATCH", "/api/v1/deals/" + id, map[string]any{"customer_id": w.person1}, "customer_id"},
			{"patch empty title", "PATCH", "/api/v1/deals/" + id, map[string]any{"title": ""}, "title"},
			{"patch bad amount", "PATCH", "/api/v1/deals/" + id, map[string]any{"amount": "12.345"}, "amount"},
			{"bad stage filter", "GET", "/api/v1/deals?stage=done", nil, "stage"},
			{"bad owner filter", "GET", "/api/v1/deals?owner_id=" + w.company1, nil, "owner_id"},
			{"bad since", "GET", "/api/v1/deals?updated_since=yesterday", nil, "updated_since"},
			{"bad limit", "GET", "/api/v1/deals?limit=500", nil, "limit"},
			{"foreign cursor", "GET", "/api/v1/deals?cursor=Y3VzXzAx", nil, "cursor"},
			{"repeated filter", "GET", "/api/v1/deals?stage=won&stage=lost", nil, "stage"},
			{"misspelt filter", "GET", "/api/v1/deals?stages=won", nil, "stages"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectError(t, w.do(t, "rep1", tc.method, tc.path, tc.body), 400, tc.field)
			})
		}
		var minor int64
		var stage string
		var title []byte
		w.row(t, "SELECT amount_minor, title_sealed, stage FROM deals WHERE id = ?", []any{id}, &minor, &title, &stage)
		if n := w.count(t, "deals", ""); n != 1 || minor != 50000 || !bytes.Equal(title, sealed) || stage != "qualification" {
			t.Fatalf("stored deals changed: %d deals, %d %q", n, minor, stage)
		}
	})
}
