package jsonapi_test

import (
	"net/http"
	"testing"

	"github.com/custoscrm/custos/internal/testkit"
)

// childTables lists every table holding rows of a customer besides the
// customers table itself.
var childTables = []string{"contacts", "deals", "visits", "notes", "tasks", "customer_tags", "blind_index"}

// populate gives customer cust one of everything.
func (w *world) populate(t *testing.T, who, cust string) {
	t.Helper()
	w.must(t, who, "POST", "/api/v1/customers/"+cust+"/contacts", map[string]any{"name": "李娜", "phone": "13900139000"}, http.StatusCreated)
	w.must(t, who, "POST", "/api/v1/deals", map[string]any{"customer_id": cust, "title": "order", "amount": "100"}, http.StatusCreated)
	w.must(t, who, "POST", "/api/v1/visits", map[string]any{"customer_id": cust, "planned_at": "2026-06-01T02:00:00Z", "notes": "plan"}, http.StatusCreated)
	w.must(t, who, "POST", "/api/v1/notes", map[string]any{"customer_id": cust, "body": "note"}, http.StatusCreated)
	w.must(t, who, "POST", "/api/v1/tasks", map[string]any{"customer_id": cust, "title": "task"}, http.StatusCreated)
}

func (w *world) rowsOf(t *testing.T, cust string) map[string]int {
	t.Helper()
	n := map[string]int{"customers": w.count(t, "customers", "id = ?", cust)}
	for _, table := range childTables {
		n[table] = w.count(t, table, "customer_id = ?", cust)
	}
	return n
}

func TestDeleteCustomerWithRecords(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		w.must(t, "rep1", "PATCH", "/api/v1/customers/"+w.company1, map[string]any{"tags": []string{"vip"}, "phone": "075512345678"}, http.StatusOK)
		w.populate(t, "rep1", w.company1)
		w.populate(t, "rep2", w.company2)
		var dek string
		w.row(t, "SELECT dek_id FROM customers WHERE id = ?", []any{w.company1}, &dek)
		before := w.rowsOf(t, w.company1)
		for table, n := range before {
			if n == 0 {
				t.Fatalf("setup left %s empty", table)
			}
		}
		other := w.rowsOf(t, w.company2)
		keys := w.count(t, "data_keys", "")

		// Without cascade the customer is refused and nothing changes.
		r := w.do(t, "manager", "DELETE", "/api/v1/customers/"+w.company1, nil)
		if r.Status != http.StatusConflict {
			t.Fatalf("delete without cascade: %d %s", r.Status, r.Body)
		}
		if after := w.rowsOf(t, w.company1); !sameCounts(after, before) || w.count(t, "data_keys", "") != keys {
			t.Fatalf("refused delete changed rows: %v → %v", before, after)
		}
		expectError(t, w.do(t, "manager", "DELETE", "/api/v1/customers/"+w.company1+"?cascade=yes", nil), 400, "cascade")

		// With cascade everything of the customer goes, its data key too,
		// and nothing of any other customer.
		w.must(t, "manager", "DELETE", "/api/v1/customers/"+w.company1+"?cascade=true", nil, http.StatusNoContent)
		for table, n := range w.rowsOf(t, w.company1) {
			if n != 0 {
				t.Errorf("%d rows left in %s", n, table)
			}
		}
		if w.count(t, "data_keys", "id = ?", dek) != 0 || w.count(t, "data_keys", "") != keys-1 {
			t.Error("the customer's data key is still stored")
		}
		for _, table := range childTables {
			if n := w.count(t, table, "customer_id NOT IN (SELECT id FROM customers)"); n != 0 {
				t.Errorf("%d orphan rows in %s", n, table)
			}
		}
		if after := w.rowsOf(t, w.company2); !sameCounts(after, other) {
			t.Fatalf("another customer's rows changed: %v → %v", other, after)
		}
		w.must(t, "rep1", "GET", "/api/v1/customers/"+w.company1, nil, http.StatusNotFound)
	})
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
