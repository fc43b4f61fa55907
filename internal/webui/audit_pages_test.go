package webui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// integrate moves recorded audit events into the log, as the sequencer
// does in the background of a running server.
func integrate(t *testing.T, a *testkit.TestApp) {
	t.Helper()
	if _, err := a.AuditSequencer.Integrate(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// An auditor searches the log (by user, action, record, outcome and
// time; newest first, fifty to a page), reads its integrity against the
// newest signed checkpoint, the activity charts and the keys' status; a
// sales rep gets none of these pages nor the menu entry.
func TestAuditPages(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		aud := a.CreateUser(t, "aud@x.example.com", domain.RoleAuditor, "")
		rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		for range 3 {
			a.ActAs(t, "rep@x.example.com") // auth.login entries by the rep
		}
		repCtx := a.ActAs(t, "rep@x.example.com")
		for i := range 60 {
			ev := domain.NewAuditEvent(repCtx, time.Now(), domain.ActionCustomerRead, "customer", fmt.Sprintf("cus_%026d", i))
			if i == 7 {
				ev.Outcome, ev.Reason = domain.OutcomeDenied, "outside scope"
			}
			if err := a.Audit.Record(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
		integrate(t, a)
		if _, err := a.AuditSequencer.Checkpoint(t.Context()); err != nil {
			t.Fatal(err)
		}
		s := testkit.Serve(t, a)

		c := newClient(t, s)
		c.signIn("aud@x.example.com", testkit.PasswordFor("aud@x.example.com"))
		p := c.get("/audit")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `href="/audit"`) || !strings.Contains(p.Body, "customer.read") {
			t.Fatalf("audit page: %d", p.Status)
		}
		if rows(p.Body) != 50 || !strings.Contains(p.Body, "Older entries") {
			t.Fatalf("first page: %d rows", rows(p.Body))
		}
		older := regexpFind(t, p.Body, `href="/audit(\?before=\d+)"`)
		p = c.get("/audit" + older)
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Newest entries") || rows(p.Body) == 0 {
			t.Fatalf("older page: %d", p.Status)
		}
		// Filters: by user (names shown), action, record, outcome, time.
		p = c.get("/audit?actor=" + string(rep.ID) + "&action=auth.login")
		if p.Status != http.StatusOK || rows(p.Body) != 4 || !strings.Contains(p.Body, rep.DisplayName) {
			t.Fatalf("by user and action: %d, %d rows", p.Status, rows(p.Body))
		}
		p = c.get("/audit?target=cus_00000000000000000000000007&outcome=denied")
		if rows(p.Body) != 1 || !strings.Contains(p.Body, "outside scope") {
			t.Fatalf("by record and outcome: %d rows", rows(p.Body))
		}
		p = c.get("/audit?from=2000-01-01T00:00&to=2000-01-02T00:00")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "No entries match.") {
			t.Fatalf("an empty range: %d", p.Status)
		}
		// Bad input is shown at its field, and nothing is searched.
		for q, field := range map[string]string{
			"actor=bob":      "actor",
			"outcome=maybe":  "outcome",
			"from=yesterday": "from",
			"from=2026-02-02T00:00&to=2026-02-01T00:00": "to",
			"target=" + strings.Repeat("x", 65):         "target",
		} {
			p := c.get("/audit?" + q)
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `id="`+field+`" `) ||
				!strings.Contains(p.Body, `aria-describedby="`+field) || !strings.Contains(p.Body, `aria-invalid="true"`) {
				t.Errorf("%s: %d", q, p.Status)
			}
		}
		if p := c.get("/audit?before=x"); p.Status != http.StatusBadRequest {
			t.Errorf("before=x: %d", p.Status)
		}
		// Every search is recorded.
		integrate(t, a)
		evs, err := a.AuditService.Search(a.ActAs(t, "aud@x.example.com"), domain.AuditFilter{ActorUser: string(aud.ID),
			Action: domain.ActionAuditSearch, ToSeq: -1})
		if err != nil || len(evs) < 5 {
			t.Fatalf("recorded searches: %d, %v", len(evs), err)
		}

		p = c.get("/audit/integrity")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "The log extends its newest signed checkpoint") ||
			!strings.Contains(p.Body, "Verifier key") || !strings.Contains(p.Body, "custos audit verify") {
			t.Fatalf("integrity: %d", p.Status)
		}
		for _, q := range []string{"", "?range=24h", "?range=7d"} {
			p = c.get("/audit/activity" + q)
			if p.Status != http.StatusOK || !strings.Contains(p.Body, `<svg class="chart"`) || !strings.Contains(p.Body, "Events per hour") {
				t.Fatalf("activity%s: %d", q, p.Status)
			}
		}
		if p := c.get("/audit/activity?range=1y"); p.Status != http.StatusBadRequest {
			t.Errorf("range=1y: %d", p.Status)
		}
		p = c.get("/audit/keys")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "Active master key") || !strings.Contains(p.Body, "version 1") {
			t.Fatalf("keys: %d", p.Status)
		}

		r := newClient(t, s)
		r.signIn("rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if p := r.get("/customers"); strings.Contains(p.Body, `href="/audit"`) {
			t.Error("a rep's menu shows the audit pages")
		}
		for _, path := range []string{"/audit", "/audit/integrity", "/audit/activity", "/audit/keys"} {
			if p := r.get(path); p.Status != http.StatusForbidden {
				t.Errorf("%s as a rep: %d", path, p.Status)
			}
		}
	})
}

// rows counts the rows of a page's tables, header rows left out.
func rows(body string) int { return strings.Count(body, "<tr>") - strings.Count(body, "<thead><tr>") }
