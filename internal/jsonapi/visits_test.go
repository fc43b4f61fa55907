package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// visitState is what the database holds about a visit's progress.
func (w *world) visitState(t *testing.T, id string) string {
	t.Helper()
	var status string
	var checkedIn, checkedOut int
	w.row(t, `SELECT status, CASE WHEN checkin_loc_sealed IS NULL THEN 0 ELSE 1 END,
		CASE WHEN checkout_at IS NULL THEN 0 ELSE 1 END FROM visits WHERE id = ?`, []any{id}, &status, &checkedIn, &checkedOut)
	return status + map[int]string{0: "", 1: "+in"}[checkedIn] + map[int]string{0: "", 1: "+out"}[checkedOut]
}

func TestVisitLifecycle(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		r := w.must(t, "rep1", "POST", "/api/v1/visits", map[string]any{
			"customer_id": w.company1, "planned_at": "2026-06-01T10:00:00+08:00", "notes": "季度回访",
		}, http.StatusCreated)
		v := r.Map(t)
		id := v["id"].(string)
		if v["planned_at"] != "2026-06-01T02:00:00Z" || v["rep_id"] != string(w.ids["rep1"]) || v["status"] != "planned" {
			t.Fatalf("create: %s", r.Body)
		}
		here := map[string]any{"lat": 22.5431, "lng": 114.0579, "accuracy": 12.5}
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-out", here), http.StatusConflict, "status")
		if s := w.visitState(t, id); s != "planned" {
			t.Fatalf("after refused check-out: %s", s)
		}
		in := w.must(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-in", here, http.StatusOK).Map(t)
		loc, _ := in["check_in_location"].(map[string]any)
		if in["status"] != "checked_in" || loc["lat"] != 22.5431 || loc["accuracy"] != 12.5 || in["checked_in_at"] == nil {
			t.Fatalf("check-in: %v", in)
		}
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-in", here), http.StatusConflict, "status")
		expectError(t, w.do(t, "rep1", "PATCH", "/api/v1/visits/"+id, map[string]any{"planned_at": "2026-06-02T10:00:00Z"}), http.StatusConflict, "planned_at")
		expectError(t, w.do(t, "rep1", "PATCH", "/api/v1/visits/"+id, map[string]any{"status": "cancelled"}), http.StatusConflict, "status")
		out := w.must(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-out", map[string]any{
			"lat": 22.5433, "lng": 114.0581, "notes": "店长同意增加陈列位 / shelf space agreed",
		}, http.StatusOK).Map(t)
		// The outcome notes sit beside the planning notes, never over them.
		if out["status"] != "completed" || out["check_out_notes"] != "店长同意增加陈列位 / shelf space agreed" ||
			out["notes"] != "季度回访" || out["check_out_location"] == nil {
			t.Fatalf("check-out: %v", out)
		}
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-out", here), http.StatusConflict, "status")
		if s := w.visitState(t, id); s != "completed+in+out" {
			t.Fatalf("stored state %s", s)
		}

		// Who sees what: the manager reads locations (audited), service and
		// finance see none, the administrator sees them rounded and the
		// notes masked.
		// (The rep's check-in and check-out answers showed the location
		// and notes back, so those were audited as reads too.)
		reads := w.audited(t, "visit.read", id, "allowed")
		m := w.must(t, "manager", "GET", "/api/v1/visits/"+id, nil, http.StatusOK).Map(t)
		if m["check_in_location"] == nil || m["notes"] == nil {
			t.Fatalf("manager view: %v", m)
		}
		if n := w.audited(t, "visit.read", id, "allowed") - reads; n != 1 {
			t.Fatalf("manager's read audited %d times", n)
		}
		evs, err := w.a.Store.AuditLog.ListAudit(t.Context(), domain.AuditFilter{Action: "visit.read", TargetID: id, ActorUser: string(w.ids["manager"])})
		if err != nil || len(evs) != 1 || strings.Join(evs[0].Fields, ",") != "notes,check_out_notes,location" {
			t.Fatalf("manager's audited read: %v %+v", err, evs)
		}
		for _, who := range []string{"service", "finance"} {
			g := w.must(t, who, "GET", "/api/v1/visits/"+id, nil, http.StatusOK)
			if strings.Contains(string(g.Body), "location") || strings.Contains(string(g.Body), "22.54") {
				t.Fatalf("%s sees a location: %s", who, g.Body)
			}
		}
		adm := w.must(t, "admin", "GET", "/api/v1/visits/"+id, nil, http.StatusOK).Map(t)
		aloc, _ := adm["check_in_location"].(map[string]any)
		if aloc["lat"] != 22.54 || aloc["lng"] != 114.06 || aloc["accuracy"] != nil || adm["notes"] != "****" || adm["check_out_notes"] != "****" {
			t.Fatalf("admin view: %v", adm)
		}

		var list struct {
			Items []map[string]any `json:"items"`
		}
		w.must(t, "manager", "GET", "/api/v1/visits?status=completed&rep_id="+string(w.ids["rep1"]), nil, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0]["id"] != id {
			t.Fatalf("filtered list: %v", list.Items)
		}
		w.must(t, "manager", "GET", "/api/v1/visits?status=planned", nil, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("planned list: %v", list.Items)
		}
		w.must(t, "rep1", "DELETE", "/api/v1/visits/"+id, nil, http.StatusNoContent)
		if n := w.count(t, "visits", ""); n != 0 {
			t.Fatalf("%d visits after delete", n)
		}
	})
}

func TestVisitRules(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		here := map[string]any{"lat": 22.5, "lng": 114.0}
		id := w.id(t, w.must(t, "rep1", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z"}, http.StatusCreated))

		// Finance's role lacks visits.write: it reads visits and changes none.
		w.must(t, "finance", "GET", "/api/v1/visits/"+id, nil, http.StatusOK)
		for _, c := range []struct{ method, path string }{
			{"POST", "/api/v1/visits"}, {"PATCH", "/api/v1/visits/" + id}, {"DELETE", "/api/v1/visits/" + id},
			{"POST", "/api/v1/visits/" + id + "/check-in"}, {"POST", "/api/v1/visits/" + id + "/check-out"},
		} {
			var body any = here
			switch c.method {
			case "DELETE":
				body = nil
			case "PATCH":
				body = map[string]any{"notes": "x"}
			}
			if c.path == "/api/v1/visits" {
				body = map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z"}
			}
			if r := w.do(t, "finance", c.method, c.path, body); r.Status != http.StatusForbidden {
				t.Fatalf("finance %s %s: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}

		// Another rep reaches nothing of it.
		w.must(t, "rep2", "GET", "/api/v1/visits/"+id, nil, http.StatusNotFound)
		w.must(t, "rep2", "POST", "/api/v1/visits/"+id+"/check-in", here, http.StatusNotFound)
		w.must(t, "rep2", "PATCH", "/api/v1/visits/"+id, map[string]any{"notes": "x"}, http.StatusNotFound)
		w.must(t, "rep2", "DELETE", "/api/v1/visits/"+id, nil, http.StatusNotFound)
		expectError(t, w.do(t, "rep2", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z"}), 400, "customer_id")
		// A rep plans only their own visits.
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z", "rep_id": string(w.ids["rep2"])}), 403, "rep_id")

		// The manager may send rep2 to rep1's customer; then only rep2
		// checks in: rep1 owns the customer but is not the visit's rep.
		sent := w.id(t, w.must(t, "manager", "POST", "/api/v1/visits", map[string]any{
			"customer_id": w.company1, "planned_at": "2026-06-03T02:00:00Z", "rep_id": string(w.ids["rep2"]),
		}, http.StatusCreated))
		w.must(t, "rep1", "POST", "/api/v1/visits/"+sent+"/check-in", here, http.StatusForbidden)
		if n := w.audited(t, "visit.check_in", sent, "denied"); n != 1 {
			t.Fatalf("refused check-in audited %d times", n)
		}
		// The manager may not write locations, so cannot check in for them.
		expectError(t, w.do(t, "manager", "POST", "/api/v1/visits/"+sent+"/check-in", here), 403, "location")
		if s := w.visitState(t, sent); s != "planned" {
			t.Fatalf("refused check-ins changed the visit: %s", s)
		}
		if s := w.visitState(t, id); s != "planned" {
			t.Fatalf("refused attempts changed the visit: %s", s)
		}
		// Cancelling and reinstating a planned visit.
		w.must(t, "rep1", "PATCH", "/api/v1/visits/"+id, map[string]any{"status": "cancelled"}, http.StatusOK)
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-in", here), http.StatusConflict, "status")
		w.must(t, "rep1", "PATCH", "/api/v1/visits/"+id, map[string]any{"status": "planned"}, http.StatusOK)
		w.must(t, "rep1", "POST", "/api/v1/visits/"+id+"/check-in", here, http.StatusOK)
	})
}

func TestVisitsBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		id := w.id(t, w.must(t, "rep1", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z", "notes": "plan"}, http.StatusCreated))
		in := "/api/v1/visits/" + id + "/check-in"
		out := "/api/v1/visits/" + id + "/check-out"
		for _, tc := range []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"lat too high", "POST", in, map[string]any{"lat": 90.5, "lng": 114}, "lat"},
			{"lat too low", "POST", in, map[string]any{"lat": -91, "lng": 114}, "lat"},
			{"lng out of range", "POST", in, map[string]any{"lat": 22, "lng": -181}, "lng"},
			{"negative accuracy", "POST", in, map[string]any{"lat": 22, "lng": 114, "accuracy": -1}, "accuracy"},
			{"lat as string", "POST", in, map[string]any{"lat": "22.5", "lng": 114}, "lat"},
			{"missing lat", "POST", in, map[string]any{"lng": 114}, "lat"},
			{"missing lng", "POST", in, map[string]any{"lat": 22}, "lng"},
			{"notes on check-in", "POST", in, map[string]any{"lat": 22, "lng": 114, "notes": "x"}, "notes"},
			{"malformed check-in", "POST", in, `{"lat": 22,`, ""},
			{"empty check-in", "POST", in, ``, ""},
			{"lng as string on check-out", "POST", out, map[string]any{"lat": 22, "lng": "east"}, "lng"},
			{"customer id as visit", "POST", "/api/v1/visits/" + w.company1 + "/check-in", map[string]any{"lat": 22, "lng": 114}, "id"},
			{"no planned_at", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1}, "planned_at"},
			{"bad planned_at", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "tomorrow 10am"}, "planned_at"},
			{"planned_at without zone", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T10:00:00"}, "planned_at"},
			{"year out of range", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "0001-01-01T00:00:00Z"}, "planned_at"},
			{"user id as customer", "POST", "/api/v1/visits", map[string]any{"customer_id": string(w.ids["rep1"]), "planned_at": "2026-06-01T02:00:00Z"}, "customer_id"},
			{"status via patch", "PATCH", "/api/v1/visits/" + id, map[string]any{"status": "completed"}, "status"},
			{"unknown status", "PATCH", "/api/v1/visits/" + id, map[string]any{"status": "done"}, "status"},
			{"status wrong type", "PATCH", "/api/v1/visits/" + id, map[string]any{"status": 1}, "status"},
			{"rep wrong kind", "PATCH", "/api/v1/visits/" + id, map[string]any{"rep_id": w.company1}, "rep_id"},
			{"unknown patch field", "PATCH", "/api/v1/visits/" + id, map[string]any{"checkin_at": "2026-06-01T02:00:00Z"}, "checkin_at"},
			{"bad status filter", "GET", "/api/v1/visits?status=done", nil, "status"},
			{"bad rep filter", "GET", "/api/v1/visits?rep_id=" + w.company1, nil, "rep_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectError(t, w.do(t, "rep1", tc.method, tc.path, tc.body), 400, tc.field)
			})
		}
		g := w.must(t, "rep1", "GET", "/api/v1/visits/"+id, nil, http.StatusOK).Map(t)
		if s := w.visitState(t, id); s != "planned" || g["notes"] != "plan" || g["planned_at"] != "2026-06-01T02:00:00Z" || w.count(t, "visits", "") != 1 {
			t.Fatalf("stored visits changed: %s %v", s, g)
		}
	})
}
