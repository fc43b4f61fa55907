package jsonapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jobs"
	"github.com/custoscrm/custos/internal/testkit"
)

// inbox returns who's notifications, newest first, as "kind record".
func (w *poolWorld) inbox(t *testing.T, who string) []string {
	t.Helper()
	var page struct {
		Items []struct {
			Kind     string            `json:"kind"`
			RecordID string            `json:"record_id"`
			Params   map[string]string `json:"params"`
		} `json:"items"`
	}
	w.must(t, who, "GET", "/api/v1/notifications?limit=200", nil, http.StatusOK).JSON(t, &page)
	var out []string
	for _, n := range page.Items {
		out = append(out, n.Kind+" "+n.RecordID)
	}
	return out
}

// runReturn runs the return job now under its lease, as the node that
// holds it would, and returns what it did.
func (w *poolWorld) runReturn(t *testing.T) domain.PoolReturnReport {
	t.Helper()
	var rep domain.PoolReturnReport
	job := w.a.PoolReturnJob()
	job.Run = func(ctx context.Context) error {
		var err error
		rep, err = w.a.Pool.ReturnDue(w.a.SystemContext(ctx))
		return err
	}
	if err := w.a.Jobs.RunNow(t.Context(), job); err != nil {
		t.Fatalf("return job: %v", err)
	}
	return rep
}

// TestPoolReturnJob: owned customers without a follow-up (a visit, a note,
// a deal change) for the team's return period go back to the team's
// pool, their owner warned warn_days before; the job is idempotent, runs
// under a lease on one node at a time, and follows the test clock.
func TestPoolReturnJob(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, nil)
		w.setPool(t, 20, 300, 10, 3)
		day := 24 * time.Hour
		// Day 0: rep1 owns company1 and person1; rep2 owns company2.
		// Day 5: a note on company1, a deal on company2.
		w.advance(t, 5*day)
		w.must(t, "rep1", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "called, wants a quote"}, http.StatusCreated)
		deal := w.id(t, w.must(t, "rep2", "POST", "/api/v1/deals", map[string]any{"customer_id": w.company2, "title": "trial order", "amount": "100"}, http.StatusCreated))

		// Day 7: person1's warning is due (return on day 10); nothing else.
		w.advance(t, 2*day+time.Minute)
		rep := w.runReturn(t)
		if rep.Warned != 1 || rep.Returned != 0 {
			t.Fatalf("day 7: %+v", rep)
		}
		if got := w.inbox(t, "rep1"); len(got) != 1 || got[0] != "pool.return_warning "+w.person1 {
			t.Fatalf("rep1's inbox on day 7: %v", got)
		}
		var warning struct {
			Items []struct {
				Params map[string]string `json:"params"`
			} `json:"items"`
		}
		w.must(t, "rep1", "GET", "/api/v1/notifications", nil, http.StatusOK).JSON(t, &warning)
		if p := warning.Items[0].Params; p["return_at"] != "2026-05-11T09:00:00Z" || p["days"] != "3" {
			t.Fatalf("warning params: %v", p)
		}
		// The same day again: nothing new.
		if rep := w.runReturn(t); rep != (domain.PoolReturnReport{}) {
			t.Fatalf("second run on day 7: %+v", rep)
		}

		// Day 10: person1 returns to South's pool; rep1 is told.
		w.advance(t, 3*day)
		if rep := w.runReturn(t); rep.Returned != 1 || rep.Warned != 0 {
			t.Fatalf("day 10: %+v", rep)
		}
		if o := w.ownerOf(t, w.person1); o != "" {
			t.Fatalf("person1 still owned by %s", o)
		}
		w.must(t, "rep1", "GET", "/api/v1/customers/"+w.person1, nil, http.StatusNotFound)
		if !has(w.poolIDs(t, "rep2"), w.person1) {
			t.Fatal("person1 is not in the team's pool")
		}
		if got := w.inbox(t, "rep1"); len(got) != 2 || got[0] != "pool.returned "+w.person1 {
			t.Fatalf("rep1's inbox on day 10: %v", got)
		}
		if rep := w.runReturn(t); rep != (domain.PoolReturnReport{}) {
			t.Fatalf("second run on day 10: %+v", rep)
		}
		if n := w.audited(t, domain.ActionPoolReturn, w.person1, "allowed"); n != 1 {
			t.Fatalf("person1's return audited %d times", n)
		}

		// Day 11: a visit to company1 (warning due on day 12) and a change
		// to company2's deal start their quiet spells again.
		w.advance(t, day)
		w.must(t, "rep1", "POST", "/api/v1/visits", map[string]any{"customer_id": w.company1,
			"planned_at": w.clock.Now().Add(day).Format(time.RFC3339)}, http.StatusCreated)
		w.must(t, "rep2", "PATCH", "/api/v1/deals/"+deal, map[string]any{"stage": "proposal"}, http.StatusOK)
		w.advance(t, 2*day)
		if rep := w.runReturn(t); rep != (domain.PoolReturnReport{}) {
			t.Fatalf("day 13, everyone followed up: %+v", rep)
		}
		// A claim starts a new spell too: rep2 claims person1 on day 13.
		w.must(t, "rep2", "POST", "/api/v1/pool/customers/"+w.person1+"/claim", nil, http.StatusOK)

		// Day 21: company1 (visit on day 11) and company2 (deal on day
		// 11) return, person1 (claimed on day 13) is warned.
		w.advance(t, 8*day)
		if rep := w.runReturn(t); rep.Returned != 2 || rep.Warned != 1 {
			t.Fatalf("day 21: %+v", rep)
		}
		if w.ownerOf(t, w.company1) != "" || w.ownerOf(t, w.company2) != "" || w.ownerOf(t, w.person1) != string(w.ids["rep2"]) {
			t.Fatal("wrong customers returned on day 21")
		}

		// A team that turns the return off keeps its customers.
		w.setPool(t, 20, 300, 0, 0)
		w.advance(t, 60*day)
		if rep := w.runReturn(t); rep.Returned != 0 {
			t.Fatalf("return off: %+v", rep)
		}

		// One node at a time: while another node holds the job's lease,
		// this one does not run it.
		if err := w.a.Store.Leases.AcquireLease(t.Context(), domain.LeasePoolReturn, "other-node/1/x", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := w.a.Jobs.RunNow(t.Context(), w.a.PoolReturnJob()); !errors.Is(err, jobs.ErrHeld) {
			t.Fatalf("run while another node holds the lease: %v", err)
		}
		// Reps may not start the return.
		if _, err := w.a.Pool.ReturnDue(w.a.ActAs(t, "rep1@x.example.com")); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("a rep ran the return: %v", err)
		}
	})
}
