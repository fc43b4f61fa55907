package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// duplicateAnswer is the body of a create that met an existing customer.
type duplicateAnswer struct {
	Error struct {
		Code  string `json:"code"`
		Field string `json:"field"`
	} `json:"error"`
	Duplicate *struct {
		Field      string `json:"field"`
		Match      string `json:"match"`
		CustomerID string `json:"customer_id"`
		Reference  string `json:"reference"`
		ExpiresAt  string `json:"expires_at"`
		Actions    []struct {
			Rel    string            `json:"rel"`
			Method string            `json:"method"`
			Href   string            `json:"href"`
			Body   map[string]string `json:"body"`
		} `json:"actions"`
	} `json:"duplicate"`
}

// duplicate creates a customer as who with body, expects a 409 with a
// duplicate answer on field, and returns it (and the raw body).
func (w *poolWorld) duplicate(t *testing.T, who string, body map[string]any, field string) (duplicateAnswer, string) {
	t.Helper()
	r := w.do(t, who, "POST", "/api/v1/customers", body)
	var got duplicateAnswer
	r.JSON(t, &got)
	if r.Status != http.StatusConflict || got.Error.Code != "conflict" || got.Error.Field != field || got.Duplicate == nil ||
		got.Duplicate.Field != field || len(got.Duplicate.Actions) != 1 {
		t.Fatalf("duplicate %v as %s: %d %s", body, who, r.Status, r.Body)
	}
	return got, string(r.Body)
}

// TestDuplicateAnswers: a create that repeats another customer's phone,
// email, ID number, tax id or company name answers with what the caller
// may know: their own (or in-scope) record's id, a pool record they may
// claim, or an opaque reference to ask that record's managers for it —
// never its data or id.
func TestDuplicateAnswers(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, func(c *config.Config) { c.DuplicateChecksPerHour = 100 })
		// person1 (rep1's): phone 13800138000; give it an email and an ID.
		w.must(t, "manager", "PATCH", "/api/v1/customers/"+w.person1,
			map[string]any{"email": "zhang.wei@example.com", "id_number": "11010519491231002X"}, http.StatusOK)
		north := w.a.CreateTeam(t, "North")
		w.a.CreateUser(t, "north@x.example.com", domain.RoleSalesRep, north)
		w.a.CreateUser(t, "northboss@x.example.com", domain.RoleSalesManager, north)
		w.tok["north"] = w.s.LoginAs(t, "north@x.example.com")
		w.tok["northboss"] = w.s.LoginAs(t, "northboss@x.example.com")
		before := w.count(t, "customers", "")

		// Their own record: its id.
		got, _ := w.duplicate(t, "rep1", map[string]any{"name": "张伟", "phone": "138-0013-8000"}, "phone")
		if got.Duplicate.Match != "in_scope" || got.Duplicate.CustomerID != w.person1 || got.Duplicate.Actions[0].Rel != "open" {
			t.Fatalf("own record: %+v", got.Duplicate)
		}
		// A manager reaches the team's records: the id too.
		got, _ = w.duplicate(t, "manager", map[string]any{"name": "Zhang", "email": "Zhang.Wei@Example.com"}, "email")
		if got.Duplicate.Match != "in_scope" || got.Duplicate.CustomerID != w.person1 {
			t.Fatalf("manager: %+v", got.Duplicate)
		}
		// Another rep of the team, a rep and a manager of another team: a
		// reference, nothing of the record.
		for _, who := range []string{"rep2", "north", "northboss"} {
			for _, c := range []struct {
				body  map[string]any
				field string
			}{
				{map[string]any{"name": "Wei Z", "phone": "+86 138 0013 8000"}, "phone"},
				{map[string]any{"name": "Wei Z", "id_type": "cn_resident", "id_number": "11010519491231002x"}, "id_number"},
				{map[string]any{"kind": "company", "name": "深圳恒信冷链物流 有限公司"}, "name"}, // company1's name, spaced
			} {
				if who != "northboss" && c.field == "id_number" {
					continue // reps may not write ID numbers at all
				}
				got, body := w.duplicate(t, who, c.body, c.field)
				dup := got.Duplicate
				if dup.Match != "elsewhere" || dup.CustomerID != "" || !strings.HasPrefix(dup.Reference, "dr1.") ||
					dup.ExpiresAt == "" || dup.Actions[0].Rel != "request_transfer" || dup.Actions[0].Body["reference"] != dup.Reference {
					t.Fatalf("%s, %s held elsewhere: %+v", who, c.field, dup)
				}
				for _, secret := range []string{w.person1, w.company1, "张", "13800138000", "zhang.wei", string(w.ids["rep1"]), w.team} {
					if strings.Contains(body, secret) {
						t.Fatalf("the answer to %s shows %q: %s", who, secret, body)
					}
				}
			}
		}
		if n := w.count(t, "customers", ""); n != before {
			t.Fatalf("duplicates created %d customers", n-before)
		}

		// A pool customer of their team: its id and the claim action.
		w.must(t, "manager", "POST", "/api/v1/customers/"+w.person1+"/reclaim", nil, http.StatusNoContent)
		got, _ = w.duplicate(t, "rep2", map[string]any{"name": "Wei", "phone": "13800138000"}, "phone")
		if got.Duplicate.Match != "pool" || got.Duplicate.CustomerID != w.person1 || got.Duplicate.Actions[0].Rel != "claim" {
			t.Fatalf("pool record: %+v", got.Duplicate)
		}
		// Another team's rep cannot claim from South's pool: a reference.
		got, _ = w.duplicate(t, "north", map[string]any{"name": "Wei", "phone": "13800138000"}, "phone")
		if got.Duplicate.Match != "elsewhere" || got.Duplicate.CustomerID != "" {
			t.Fatalf("another team's pool record: %+v", got.Duplicate)
		}
		w.must(t, "rep2", got.Duplicate.Actions[0].Method, "/api/v1/pool/customers/"+w.person1+"/claim", nil, http.StatusOK)

		// Every answer is on the audit log: the field and the record, and
		// what the caller was told.
		evs, err := w.a.Store.AuditLog.ListAudit(t.Context(), domain.AuditFilter{Action: domain.ActionCustomerDuplicate, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 11 {
			t.Fatalf("%d duplicate answers audited, want 11", len(evs))
		}
		for _, ev := range evs {
			if len(ev.Fields) != 1 || ev.TargetID == "" || ev.Reason == "" {
				t.Fatalf("duplicate event %+v", ev)
			}
		}

		// A change to a taken value: the plain conflict, audited, costing
		// a token like a create.
		mine := w.id(t, w.must(t, "rep1", "POST", "/api/v1/customers", map[string]any{"name": "李娜", "phone": "13700137000"}, http.StatusCreated))
		r := w.do(t, "rep1", "PATCH", "/api/v1/customers/"+mine, map[string]any{"phone": "13800138000"})
		if r.Status != http.StatusConflict || r.ErrorField() != "phone" || strings.Contains(string(r.Body), "duplicate") {
			t.Fatalf("change to a taken phone: %d %s", r.Status, r.Body)
		}
		r = w.do(t, "rep1", "PATCH", "/api/v1/customers/"+w.company1, map[string]any{"name": "NORTHWIND FOODS"})
		if r.Status != http.StatusConflict || r.ErrorField() != "name" {
			t.Fatalf("rename to a taken company name: %d %s", r.Status, r.Body)
		}
		if n := w.audited(t, domain.ActionCustomerDuplicate, w.company2, "allowed"); n != 1 {
			t.Fatalf("the refused rename audited %d times", n)
		}
	})
}

// TestDuplicateChecksAreRateLimited: every duplicate answer costs a token
// of the caller's bucket; once it is empty every create with a checked
// value is refused alike, duplicate or not, so the refusal is no oracle.
func TestDuplicateChecksAreRateLimited(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, func(c *config.Config) { c.DuplicateChecksPerHour = 3 })
		for i := range 3 {
			got, _ := w.duplicate(t, "rep2", map[string]any{"name": "Probe", "phone": "13800138000"}, "phone")
			if got.Duplicate.Match != "elsewhere" {
				t.Fatalf("probe %d: %+v", i, got.Duplicate)
			}
		}
		before := w.count(t, "customers", "")
		for _, body := range []map[string]any{
			{"name": "Probe", "phone": "13800138000"}, // taken
			{"name": "Probe", "phone": "13911112222"}, // free
			{"kind": "company", "name": "Fresh Co"},   // free
		} {
			r := w.do(t, "rep2", "POST", "/api/v1/customers", body)
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || strings.Contains(string(r.Body), "duplicate\"") {
				t.Fatalf("create %v with an empty bucket: %d %s", body, r.Status, r.Body)
			}
		}
		if n := w.count(t, "customers", ""); n != before {
			t.Fatal("a refused create stored a customer")
		}
		if n := w.audited(t, domain.ActionCustomerDuplicate, "", "denied"); n != 3 {
			t.Fatalf("%d refused creates audited, want 3", n)
		}
		// Other users' buckets are their own.
		w.duplicate(t, "rep1", map[string]any{"name": "张伟", "phone": "13800138000"}, "phone")
		// A token comes back after 20 minutes (3 an hour).
		w.advance(t, 20*time.Minute+time.Second)
		w.must(t, "rep2", "POST", "/api/v1/customers", map[string]any{"name": "Probe", "phone": "13911112222"}, http.StatusCreated)
	})
}

// TestTransferRequest: the reference of an "elsewhere" answer asks the
// holder's managers for the record, once; a forged, malformed, expired,
// used or someone else's reference is refused alike and changes nothing.
func TestTransferRequest(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, nil)
		north := w.a.CreateTeam(t, "North")
		w.a.CreateUser(t, "north@x.example.com", domain.RoleSalesRep, north)
		w.a.CreateUser(t, "northboss@x.example.com", domain.RoleSalesManager, north)
		w.tok["north"] = w.s.LoginAs(t, "north@x.example.com")
		w.tok["northboss"] = w.s.LoginAs(t, "northboss@x.example.com")
		ref := func(who string) string {
			got, _ := w.duplicate(t, who, map[string]any{"name": "Wei", "phone": "13800138000"}, "phone")
			return got.Duplicate.Reference
		}
		transfer := func(who, reference string) *testkit.Response {
			return w.do(t, who, "POST", "/api/v1/pool/transfer-requests", map[string]string{"reference": reference})
		}

		first := ref("north")
		// Someone else's reference, a forged one, a malformed one.
		for _, c := range []struct{ who, ref string }{
			{"rep2", first},
			{"north", "dr1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
			{"north", "not a reference"},
			{"north", ""},
		} {
			expectError(t, transfer(c.who, c.ref), http.StatusBadRequest, "reference")
		}
		expectError(t, w.do(t, "north", "POST", "/api/v1/pool/transfer-requests", map[string]string{"reference": first, "customer_id": w.person1}),
			http.StatusBadRequest, "customer_id")
		expectError(t, transfer("finance", first), http.StatusForbidden, "")
		if n := w.count(t, "notifications", ""); n != 0 {
			t.Fatalf("refused requests left %d notifications", n)
		}

		// The holder's team's manager is asked: the record, who asks, the
		// field; the asker learns nothing more.
		r := transfer("north", first)
		if r.Status != http.StatusAccepted || strings.Contains(string(r.Body), w.person1) {
			t.Fatalf("transfer request: %d %s", r.Status, r.Body)
		}
		var inbox struct {
			Items []struct {
				Kind     string            `json:"kind"`
				RecordID string            `json:"record_id"`
				Params   map[string]string `json:"params"`
			} `json:"items"`
		}
		w.must(t, "manager", "GET", "/api/v1/notifications", nil, http.StatusOK).JSON(t, &inbox)
		northID := w.a.ActAs(t, "north@x.example.com")
		if len(inbox.Items) != 1 || inbox.Items[0].Kind != "pool.transfer_request" || inbox.Items[0].RecordID != w.person1 ||
			inbox.Items[0].Params["field"] != "phone" || inbox.Items[0].Params["requester_id"] != string(domain.ActorFrom(northID).UserID) {
			t.Fatalf("the manager's inbox: %+v", inbox.Items)
		}
		for _, who := range []string{"northboss", "rep1", "north"} {
			w.must(t, who, "GET", "/api/v1/notifications", nil, http.StatusOK).JSON(t, &inbox)
			if len(inbox.Items) != 0 {
				t.Fatalf("%s was notified: %+v", who, inbox.Items)
			}
		}
		// Once only.
		expectError(t, transfer("north", first), http.StatusBadRequest, "reference")

		// A reference expires after 15 minutes.
		late := ref("north")
		w.advance(t, 15*time.Minute+time.Second)
		expectError(t, transfer("north", late), http.StatusBadRequest, "reference")
		if n := w.count(t, "notifications", ""); n != 1 {
			t.Fatalf("%d notifications after refused requests, want 1", n)
		}
		// Six refused references and finance without the function.
		if n := w.audited(t, domain.ActionPoolTransferRequest, "", "denied"); n != 7 {
			t.Fatalf("%d refused transfer requests audited, want 7", n)
		}
		if n := w.audited(t, domain.ActionPoolTransferRequest, w.person1, "allowed"); n != 1 {
			t.Fatalf("%d transfer requests audited, want 1", n)
		}
	})
}
