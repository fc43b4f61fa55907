package jsonapi_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// flipSealed changes one byte of a sealed column, as tampering or a damaged
// disk would.
func flipSealed(t *testing.T, w *world, table, column, id string) {
	t.Helper()
	var b []byte
	w.row(t, "SELECT "+column+" FROM "+table+" WHERE id = ?", []any{id}, &b)
	if len(b) < 10 {
		t.Fatalf("%s.%s of %s holds %d bytes", table, column, id, len(b))
	}
	b[len(b)-3] ^= 0x40
	w.raw.Exec(t, "UPDATE "+table+" SET "+column+" = ? WHERE id = ?", b, id)
}

// One customer whose ciphertext fails authentication is served as
// unreadable — its id and the reason, no data — while the pages and exports
// that include it keep serving every other customer; each time it is met
// the audit log records it.
func TestUnreadableCustomerFailsClosedAlone(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		bad := w.id(t, w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{"name": "王芳", "phone": "13700137000", "email": "wang.fang@example.com"}, http.StatusCreated))
		flipSealed(t, w, "customers", "phone_sealed", bad)

		var list struct {
			Items []map[string]any `json:"items"`
		}
		w.must(t, "manager", "GET", "/api/v1/customers?limit=50", nil, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 4 {
			t.Fatalf("list holds %d customers, want 4: %v", len(list.Items), list.Items)
		}
		seen := 0
		for _, it := range list.Items {
			if it["id"] != bad {
				if it["unreadable"] != nil || it["status"] == nil {
					t.Fatalf("a readable customer in the list: %v", it)
				}
				continue
			}
			seen++
			u, _ := it["unreadable"].(map[string]any)
			if len(it) != 2 || u["code"] != "unreadable" || u["reason"] != string(domain.UnreadableField) {
				t.Fatalf("the damaged customer in the list: %v", it)
			}
		}
		if seen != 1 {
			t.Fatal("the damaged customer is missing from the list")
		}
		r := w.do(t, "manager", "GET", "/api/v1/customers/"+bad, nil)
		if r.Status != http.StatusInternalServerError || r.ErrorCode() != "unreadable" || bytes.Contains(r.Body, []byte("wang")) {
			t.Fatalf("get the damaged customer: %d %s", r.Status, r.Body)
		}
		w.must(t, "manager", "GET", "/api/v1/customers/"+w.person1, nil, http.StatusOK)
		w.must(t, "manager", "PATCH", "/api/v1/customers/"+bad, map[string]any{"status": "active"}, http.StatusInternalServerError)

		// The export carries the damaged customer as its id and the reason
		// (the admin signed in moments ago: fresh enough to export).
		exp := w.must(t, "admin", "GET", "/api/v1/customers/export", nil, http.StatusOK)
		rows, err := csv.NewReader(bytes.NewReader(exp.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 {
			t.Fatalf("export holds %d rows, want a header and 4", len(rows))
		}
		for _, row := range rows[1:] {
			if row[0] == bad && (row[len(row)-1] != string(domain.UnreadableField) || row[1] != "" || row[2] != "") {
				t.Fatalf("the damaged customer's export row: %q", row)
			}
		}
		if n := w.audited(t, domain.ActionCustomerUnreadable, bad, "error"); n < 4 {
			t.Fatalf("%d customer.unreadable events, want one per encounter (list, get, update, export)", n)
		}
	})
}

// A data key that does not unwrap makes its customer unreadable too, seen
// by a process that has not cached the key.
func TestUnreadableDataKey(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		var dek string
		w.row(t, "SELECT dek_id FROM customers WHERE id = ?", []any{w.person1}, &dek)
		flipSealed(t, w, "data_keys", "wrapped", dek)
		b := testkit.Reopen(t, w.a)
		s := testkit.Serve(t, b)
		tok := s.LoginAs(t, "manager@x.example.com")
		var list struct {
			Items []map[string]any `json:"items"`
		}
		r := s.Do(t, "GET", "/api/v1/customers", tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &list)
		found := false
		for _, it := range list.Items {
			if it["id"] == w.person1 {
				u, _ := it["unreadable"].(map[string]any)
				found = u["reason"] == string(domain.UnreadableKey)
			}
		}
		if !found || len(list.Items) != 3 {
			t.Fatalf("list with one key that does not unwrap: %v", list.Items)
		}
	})
}
