package jsonapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestReveal: a role with fields.reveal and masked access sees one field
// of one record in full after stating a reason, within the step-up
// window; the reveal is audited with the field and the reason, never the
// value. Roles without the function, classes the role may not see at
// all, records out of scope, missing or overlong reasons and stale
// sessions are refused.
func TestReveal(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		east, west := a.CreateTeam(t, "East"), a.CreateTeam(t, "West")
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, east)
		a.CreateUser(t, "svc@x.example.com", domain.RoleService, "")
		a.CreateUser(t, "west@x.example.com", domain.RoleSalesManager, west)
		rep, svc, west2 := s.LoginAs(t, "rep@x.example.com"), s.LoginAs(t, "svc@x.example.com"), s.LoginAs(t, "west@x.example.com")
		r := s.Do(t, "POST", "/api/v1/customers", rep, map[string]any{"name": "王芳", "phone": "13912345678", "email": "wang.fang@example.com"})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := r.Map(t)["id"].(string)
		path := "/api/v1/customers/" + id + "/reveal"
		if g := s.Do(t, "GET", "/api/v1/customers/"+id, svc, nil); g.Map(t)["phone"] != "139****5678" {
			t.Fatalf("service sees %s", g.Body)
		}
		const reason = "customer called about invoice 2026-031"
		r = s.Do(t, "POST", path, svc, map[string]string{"field": "phone", "reason": reason})
		if r.Status != 200 || r.Map(t)["value"] != "+8613912345678" || r.Map(t)["field"] != "phone" {
			t.Fatalf("reveal: %d %s", r.Status, r.Body)
		}
		evs, _ := a.Store.AuditLog.ListAudit(t.Context(), storeFilter("customer.reveal"))
		if len(evs) != 1 || evs[0].Reason != reason || strings.Join(evs[0].Fields, ",") != "phone" || evs[0].TargetID != id {
			t.Fatalf("audit: %+v", evs)
		}
		for _, ev := range evs {
			if strings.Contains(ev.Reason+strings.Join(ev.Fields, ""), "13912345678") {
				t.Fatal("the audit event holds the revealed value")
			}
		}
		for _, c := range []struct {
			name, tok string
			body      map[string]string
			status    int
			code      string
			field     string
		}{
			{"no reason", svc, map[string]string{"field": "phone"}, 400, "invalid", "reason"},
			{"blank reason", svc, map[string]string{"field": "phone", "reason": "   "}, 400, "invalid", "reason"},
			{"long reason", svc, map[string]string{"field": "phone", "reason": strings.Repeat("x", 501)}, 400, "invalid", "reason"},
			{"control characters", svc, map[string]string{"field": "phone", "reason": "a\u0007bcd"}, 400, "invalid", "reason"},
			{"unknown field", svc, map[string]string{"field": "password", "reason": reason}, 400, "invalid", "field"},
			{"class hidden from the role", svc, map[string]string{"field": "bank_account", "reason": reason}, 403, "forbidden", "field"},
			{"role without fields.reveal", rep, map[string]string{"field": "phone", "reason": reason}, 403, "forbidden", ""},
			{"out of scope", west2, map[string]string{"field": "phone", "reason": reason}, 404, "not_found", ""},
		} {
			got := s.Do(t, "POST", path, c.tok, c.body)
			if got.Status != c.status || got.ErrorCode() != c.code || got.ErrorField() != c.field {
				t.Errorf("%s: %d %s", c.name, got.Status, got.Body)
			}
			if strings.Contains(string(got.Body), "13912345678") {
				t.Errorf("%s: the value leaked", c.name)
			}
		}
		clock.Advance(6 * time.Minute)
		if got := s.Do(t, "POST", path, svc, map[string]string{"field": "phone", "reason": reason}); got.Status != 401 || got.ErrorCode() != "step_up_required" {
			t.Fatalf("stale session: %d %s", got.Status, got.Body)
		}
		if evs, _ := a.Store.AuditLog.ListAudit(t.Context(), storeFilter("customer.reveal")); len(evs) != 3 { // one allowed, two denied (hidden class, out of scope)
			t.Fatalf("%d reveal audit events, want 3", len(evs))
		}
	})
}
