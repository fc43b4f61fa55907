package jsonapi_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// parseExport reads an export's CSV, checking its header row.
func parseExport(t *testing.T, r *testkit.Response) []map[string]string {
	t.Helper()
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s %s", r.Status, r.Header.Get("Content-Type"), clip(r.Body))
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if len(recs) == 0 || recs[0][0] != "id" || recs[0][3] != "phone" {
		t.Fatalf("header row: %v", recs)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, col := range recs[0] {
			m[col] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// TestExportCustomers: roles with customers.export download every
// customer in their scope as CSV, masked as they see them, after a fresh
// authentication; each page is audited with the exported ids and the
// unmasked fields. A sales rep may not export; spreadsheet formulas in
// values are neutralized; bad filters and stale sessions are refused.
func TestExportCustomers(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		s := testkit.Serve(t, a)
		east, west := a.CreateTeam(t, "East"), a.CreateTeam(t, "West")
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, east)
		a.CreateUser(t, "westrep@x.example.com", domain.RoleSalesRep, west)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, east)
		a.CreateUser(t, "fin@x.example.com", domain.RoleFinance, "")
		rep, westRep := s.LoginAs(t, "rep@x.example.com"), s.LoginAs(t, "westrep@x.example.com")
		mgr, fin := s.LoginAs(t, "mgr@x.example.com"), s.LoginAs(t, "fin@x.example.com")

		r := s.Do(t, "POST", "/api/v1/customers", rep, map[string]any{"name": "王芳", "phone": "13912345678",
			"industry": "=HYPERLINK(\"http://evil.example\")", "status": "active"})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		first := r.Map(t)["id"].(string)
		const more = domain.MaxPageSize + 10 // more than one export page for the manager
		ctx := a.ActAs(t, "rep@x.example.com")
		for i := range more {
			in := &domain.CustomerInput{Kind: domain.CustomerPerson, Name: fmt.Sprintf("Customer %d", i), Phone: fmt.Sprintf("1380000%04d", i)}
			if _, err := a.Records.CreateCustomer(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/customers", westRep, map[string]any{"name": "West Only", "phone": "13700000001"}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}

		// The East manager: the team's customers, contact data in full.
		rows := parseExport(t, s.Do(t, "GET", "/api/v1/customers/export", mgr, nil))
		if len(rows) != more+1 {
			t.Fatalf("manager exported %d rows, want %d", len(rows), more+1)
		}
		ids := map[string]bool{}
		for _, row := range rows {
			if ids[row["id"]] {
				t.Fatalf("customer %s exported twice", row["id"])
			}
			ids[row["id"]] = true
			if row["name"] == "West Only" {
				t.Fatal("a customer of another team was exported")
			}
		}
		i := slices.IndexFunc(rows, func(m map[string]string) bool { return m["id"] == first })
		if i < 0 {
			t.Fatal("the first customer is missing")
		}
		if got := rows[i]; got["phone"] != "'+8613912345678" || got["name"] != "王芳" || got["industry"] != "'=HYPERLINK(\"http://evil.example\")" {
			t.Fatalf("row: phone %q name %q industry %q (formula cells must start with a quote)", got["phone"], got["name"], got["industry"])
		}
		evs, err := a.Store.AuditLog.ListAudit(t.Context(), storeFilter(domain.ActionCustomerExport))
		if err != nil {
			t.Fatal(err)
		}
		var audited []string
		for _, ev := range evs {
			if ev.Outcome != domain.OutcomeAllowed || !slices.Contains(ev.Fields, "phone") {
				t.Fatalf("export event: %+v", ev)
			}
			audited = append(audited, ev.TargetIDs...)
			if strings.Contains(strings.Join(ev.Fields, " ")+ev.Reason, "13912345678") {
				t.Fatal("the audit event holds a value")
			}
		}
		if pages := (more + 1 + domain.MaxPageSize - 1) / domain.MaxPageSize; len(evs) != pages || len(audited) != more+1 {
			t.Fatalf("%d export events naming %d customers, want %d naming %d", len(evs), len(audited), pages, more+1)
		}

		// Finance: every customer, contact data masked.
		rows = parseExport(t, s.Do(t, "GET", "/api/v1/customers/export?status=active", fin, nil))
		if len(rows) != 1 || rows[0]["id"] != first || rows[0]["phone"] != "139****5678" || !strings.Contains(rows[0]["masked"], "phone") {
			t.Fatalf("finance, active only: %+v", rows)
		}
		if rows = parseExport(t, s.Do(t, "GET", "/api/v1/customers/export", fin, nil)); len(rows) != more+2 {
			t.Fatalf("finance exported %d rows, want %d", len(rows), more+2)
		}

		// Refusals.
		for _, c := range []struct {
			name, tok, query string
			status           int
			code, field      string
		}{
			{"sales rep", rep, "", 403, "forbidden", ""},
			{"unknown parameter", mgr, "?limit=10", 400, "invalid", "limit"},
			{"bad status", mgr, "?status=gone", 400, "invalid", "status"},
			{"bad time", mgr, "?updated_since=yesterday", 400, "invalid", "updated_since"},
		} {
			got := s.Do(t, "GET", "/api/v1/customers/export"+c.query, c.tok, nil)
			if got.Status != c.status || got.ErrorCode() != c.code || got.ErrorField() != c.field {
				t.Errorf("%s: %d %s", c.name, got.Status, clip(got.Body))
			}
		}
		denied, _ := a.Store.AuditLog.ListAudit(t.Context(), storeFilter(domain.ActionCustomerExport))
		refused := slices.DeleteFunc(denied, func(ev *domain.AuditEvent) bool { return ev.Outcome != domain.OutcomeDenied })
		if len(refused) != 1 || refused[0].ActorUser == "" || len(refused[0].TargetIDs) != 0 {
			t.Fatalf("the sales rep's refused export is not audited once: %+v", refused)
		}
		clock.Advance(6 * time.Minute)
		if got := s.Do(t, "GET", "/api/v1/customers/export", mgr, nil); got.Status != 401 || got.ErrorCode() != "step_up_required" {
			t.Fatalf("stale session: %d %s", got.Status, clip(got.Body))
		}
	})
}
