package jsonapi_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestSealedAtRest writes distinctive personal data into every sealed
// column of customers (a company's name, a person's employer), contacts
// (their title too), deals (the title), visits, notes and tasks, then
// reads what the database holds as an attacker with the disk or a dump
// would (the SQLite file and its WAL; pg_dump of the schema) and finds
// none of it.
func TestSealedAtRest(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		secrets := map[string]string{
			"contact name":  "Quillon Zebediah",
			"contact phone": "+8613912345678",
			"contact email": "quillon.zebediah@sealed.example.com",
			"visit notes":   "Outcome: zebediah-quillon shelf deal",
			"visit lat":     "22.5431987",
			"note body":     "Quillon prefers zebediah mornings",
			"task title":    "Call Quillon about zebediah order",
			"contact title": "Zebediah purchasing chief",
			"deal title":    "Quillon shop fit-out",
			"company name":  "Quillonzeb Sole Trader",
			"employer":      "Zebquill Holdings",
		}
		w.must(t, "rep1", "POST", "/api/v1/customers/"+w.company1+"/contacts", map[string]any{
			"name": secrets["contact name"], "phone": secrets["contact phone"], "email": secrets["contact email"],
			"title": secrets["contact title"],
		}, http.StatusCreated)
		w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{"kind": "company", "name": secrets["company name"],
			"industry": "industry-in-clear"}, http.StatusCreated)
		w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{"name": "李娜", "company": secrets["employer"]}, http.StatusCreated)
		v := w.id(t, w.must(t, "rep1", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z"}, http.StatusCreated))
		w.must(t, "rep1", "POST", "/api/v1/visits/"+v+"/check-in", map[string]any{"lat": 22.5431987, "lng": 114.0579321}, http.StatusOK)
		w.must(t, "rep1", "POST", "/api/v1/visits/"+v+"/check-out", map[string]any{"lat": 22.5431987, "lng": 114.0579321, "notes": secrets["visit notes"]}, http.StatusOK)
		w.must(t, "rep1", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": secrets["note body"]}, http.StatusCreated)
		w.must(t, "rep1", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": secrets["task title"]}, http.StatusCreated)
		w.must(t, "rep1", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company1, "title": secrets["deal title"]}, http.StatusCreated)

		// An industry is stored in clear: finding it proves the scan sees
		// what is stored, so not finding the secrets means something.
		all := testkit.StoredBytes(t, w.a)
		if !bytes.Contains(all, []byte("industry-in-clear")) {
			t.Fatal("the scan does not see a clear-text column; it proves nothing")
		}
		for what, s := range secrets {
			if bytes.Contains(all, []byte(s)) {
				t.Errorf("%s found in clear in the stored data", what)
			}
		}
		if bytes.Contains(all, []byte("Quillon")) || bytes.Contains(all, []byte("zebediah")) || bytes.Contains(all, []byte("Zebquill")) {
			t.Error("a fragment of personal data is stored in clear")
		}
	})
}

// TestErasedCustomerRecords destroys a customer's data key beneath the
// store: its records still read, with their sealed fields gone and marked
// erased, and refuse changes to them.
func TestErasedCustomerRecords(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		ids := map[string]string{
			"contacts": w.id(t, w.must(t, "rep1", "POST", "/api/v1/customers/"+w.company1+"/contacts", map[string]any{"name": "李娜"}, http.StatusCreated)),
			"visits":   w.id(t, w.must(t, "rep1", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z", "notes": "plan"}, http.StatusCreated)),
			"notes":    w.id(t, w.must(t, "rep1", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "note"}, http.StatusCreated)),
			"tasks":    w.id(t, w.must(t, "rep1", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": "task"}, http.StatusCreated)),
		}
		var dek string
		w.row(t, "SELECT dek_id FROM customers WHERE id = ?", []any{w.company1}, &dek)
		w.raw.Exec(t, "UPDATE data_keys SET wrapped = NULL, destroyed_at = ? WHERE id = ?", time.Now().UnixMicro(), dek)
		w.a.Vault.Forget(domain.ID(dek))

		sealed := map[string]string{"contacts": "name", "visits": "notes", "notes": "body", "tasks": "title"}
		for table, id := range ids {
			g := w.must(t, "rep1", "GET", "/api/v1/"+table+"/"+id, nil, http.StatusOK).Map(t)
			if g["erased"] != true || g[sealed[table]] != nil {
				t.Errorf("%s after erasure: %v", table, g)
			}
		}
		var list struct {
			Items []map[string]any `json:"items"`
		}
		w.must(t, "rep1", "GET", "/api/v1/notes?customer_id="+w.company1, nil, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["erased"] != true {
			t.Fatalf("list after erasure: %v", list.Items)
		}
		w.must(t, "rep1", "GET", "/api/v1/customers/"+w.company1+"/contacts", nil, http.StatusOK)
		w.must(t, "rep1", "PATCH", "/api/v1/notes/"+ids["notes"], map[string]any{"body": "new"}, http.StatusConflict)
		w.must(t, "rep1", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": "x"}, http.StatusConflict)
		w.must(t, "rep1", "POST", "/api/v1/visits/"+ids["visits"]+"/check-in", map[string]any{"lat": 1, "lng": 1}, http.StatusConflict)
	})
}
