package audit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// Activity counts the log's entries per hour and, per user, the fields
// revealed and the customers exported (allowed ones only), on both
// dialects; it records the query, refuses those without audit.read and
// a range that is empty, reversed or too long.
func TestActivityCounts(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		a.CreateUser(t, "aud@x.example.com", domain.RoleAuditor, "")
		rep := a.ActAs(t, "rep@x.example.com")
		aud := a.ActAs(t, "aud@x.example.com")
		now := time.Now().UTC()
		hour := now.Truncate(time.Hour)
		rec := func(at time.Time, action string, outcome domain.Outcome, targets ...string) {
			t.Helper()
			ev := domain.NewAuditEvent(rep, at, action, "customer", "")
			if len(targets) == 1 {
				ev.TargetID = targets[0]
			} else {
				ev.TargetIDs = targets
			}
			ev.Outcome = outcome
			if err := a.Audit.Record(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
		c1, c2, c3 := "cus_00000000000000000000000001", "cus_00000000000000000000000002", "cus_00000000000000000000000003"
		rec(hour.Add(-2*time.Hour+time.Minute), domain.ActionCustomerReveal, domain.OutcomeAllowed, c1)
		rec(hour.Add(-2*time.Hour+2*time.Minute), domain.ActionCustomerReveal, domain.OutcomeAllowed, c2)
		rec(hour.Add(-2*time.Hour+3*time.Minute), domain.ActionCustomerReveal, domain.OutcomeDenied, c3)
		rec(hour.Add(-time.Hour+time.Minute), domain.ActionCustomerExport, domain.OutcomeAllowed, c1, c2, c3)
		rec(hour.Add(-30*time.Hour), domain.ActionCustomerReveal, domain.OutcomeAllowed, c1) // outside the range
		if _, err := a.AuditSequencer.Integrate(t.Context()); err != nil {
			t.Fatal(err)
		}

		act, err := a.AuditService.Activity(aud, now.Add(-24*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		if len(act.Hours) != 25 || !act.Hours[0].Hour.Equal(now.Add(-24*time.Hour).Truncate(time.Hour)) {
			t.Fatalf("hours: %d from %v", len(act.Hours), act.Hours[0].Hour)
		}
		byHour := map[time.Time]int64{}
		for _, h := range act.Hours {
			byHour[h.Hour] = h.Events
		}
		if byHour[hour.Add(-2*time.Hour)] < 3 || byHour[hour.Add(-time.Hour)] < 1 {
			t.Fatalf("events per hour: %v", byHour)
		}
		if len(act.ByActor) != 1 {
			t.Fatalf("by actor: %+v", act.ByActor)
		}
		got := act.ByActor[0]
		if got.ActorUser != domain.ActorFrom(rep).UserID || got.Reveals != 2 || got.Exported != 3 || got.ExportPages != 1 {
			t.Fatalf("rep's activity: %+v", got)
		}

		// The query itself is in the log.
		if _, err := a.AuditSequencer.Integrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		evs, err := a.AuditService.Search(aud, domain.AuditFilter{Action: domain.ActionAuditActivity, ToSeq: -1})
		if err != nil || len(evs) != 1 {
			t.Fatalf("audit.activity events: %d, %v", len(evs), err)
		}

		if _, err := a.AuditService.Activity(rep, now.Add(-time.Hour), now); !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("activity as a rep: %v", err)
		}
		for name, r := range map[string][2]time.Time{
			"reversed": {now, now.Add(-time.Hour)},
			"empty":    {now, now},
			"zero":     {{}, now},
			"too long": {now.Add(-audit.MaxActivityRange - time.Hour), now},
		} {
			if _, err := a.AuditService.Activity(aud, r[0], r[1]); domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("%s range: %v", name, err)
			}
		}
	})
}

// State reports a log that extends its newest signed checkpoint, with the
// checkpoint's note and when it was signed; only audit.read sees it.
func TestLogState(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		a.CreateUser(t, "aud@x.example.com", domain.RoleAuditor, "")
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		aud := a.ActAs(t, "aud@x.example.com")
		st, err := a.AuditService.State(aud)
		if err != nil || !st.Consistent || st.Checkpoint != nil {
			t.Fatalf("before a checkpoint: %+v, %v", st, err)
		}
		if _, err := a.AuditSequencer.Integrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AuditSequencer.Checkpoint(t.Context()); err != nil {
			t.Fatal(err)
		}
		a.ActAs(t, "rep@x.example.com") // the log grows past the checkpoint
		if _, err := a.AuditSequencer.Integrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		st, err = a.AuditService.State(aud)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Consistent || st.Problem != "" || st.Checkpoint == nil || st.Checkpoint.SignedAt.IsZero() ||
			st.Size <= st.Checkpoint.Size || len(st.Checkpoint.Note) == 0 || st.VerifierKey == "" {
			t.Fatalf("state: %+v", st)
		}
		if _, err := a.AuditService.State(a.ActAs(t, "rep@x.example.com")); !errors.Is(err, domain.ErrForbidden) {
			t.Fatalf("state as a rep: %v", err)
		}

		// A rewritten stored hash is reported, not hidden behind an error.
		testkit.RawDB(t, a).Exec(t, `UPDATE audit_hashes SET hash = ?`, make([]byte, 32))
		st, err = a.AuditService.State(aud)
		if err != nil || st.Consistent || !strings.Contains(st.Problem, "root") {
			t.Fatalf("after tampering: %+v, %v", st, err)
		}
	})
}
