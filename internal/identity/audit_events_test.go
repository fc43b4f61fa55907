package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/testkit"
)

func events(t *testing.T, a *testkit.TestApp, action string) []*domain.AuditEvent {
	t.Helper()
	evs, err := a.Store.AuditLog.ListAudit(context.Background(), domain.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A session that runs out is ended and recorded once, by the first
// request that presents it.
func TestSessionEndIsRecorded(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		ctx := context.Background()
		idle, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(policy.DefaultIdleTimeout + time.Minute)
		for range 3 {
			if _, err := a.Identity.Authenticate(ctx, idle.Token); err == nil {
				t.Fatal("an idle session authenticated")
			}
		}
		ends := events(t, a, domain.ActionSessionEnd)
		if len(ends) != 1 || ends[0].TargetID != string(idle.Session.ID) || ends[0].Reason != "idle timeout" {
			t.Fatalf("session.end events: %+v", ends)
		}
		// The absolute timeout, touched often enough never to idle out.
		live, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		for clock.Now().Before(live.ExpiresAt) {
			clock.Advance(20 * time.Minute)
			if err := a.Store.Sessions.TouchSessions(ctx, map[domain.ID]time.Time{live.Session.ID: clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Identity.Authenticate(ctx, live.Token); err == nil {
			t.Fatal("an expired session authenticated")
		}
		ends = events(t, a, domain.ActionSessionEnd)
		if len(ends) != 2 || ends[1].Reason != "expired" {
			t.Fatalf("session.end events: %+v", ends)
		}
	})
}

// Sessions pushed out by the per-user limit are recorded as ended.
func TestEvictedSessionsAreRecorded(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		var first *identity.LoginResult
		for i := 0; i <= policy.DefaultMaxSessions; i++ {
			res, err := a.Identity.Login(context.Background(), "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = res
			}
		}
		ends := events(t, a, domain.ActionSessionEnd)
		if len(ends) != 1 || ends[0].TargetID != string(first.Session.ID) || ends[0].Reason != "session limit" {
			t.Fatalf("session.end events: %+v", ends)
		}
	})
}

// Refused attempts are recorded as denied, naming the action.
func TestDeniedAttemptsAreRecorded(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		a.CreateUser(t, "auditor@x.example.com", domain.RoleAuditor, "")
		repCtx := a.ActAs(t, "rep@x.example.com")
		if _, err := a.Identity.CreateUser(repCtx, &identity.UserInput{Email: "x@x.example.com"}); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("rep creating a user: %v", err)
		}
		if _, err := a.AuditService.Search(repCtx, domain.AuditFilter{ToSeq: -1}); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("rep searching the audit log: %v", err)
		}
		audCtx := a.ActAs(t, "auditor@x.example.com")
		if _, err := a.Records.GetCustomer(audCtx, domain.NewID(domain.KindCustomer)); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("auditor reading a customer: %v", err)
		}
		for _, action := range []string{domain.ActionUserCreate, domain.ActionAuditSearch, domain.ActionCustomerRead} {
			var denied []*domain.AuditEvent
			for _, ev := range events(t, a, action) {
				if ev.Outcome == domain.OutcomeDenied {
					denied = append(denied, ev)
				}
			}
			if len(denied) != 1 || denied[0].Reason == "" {
				t.Fatalf("%s denied events: %+v", action, denied)
			}
			if action != domain.ActionCustomerRead && denied[0].ActorUser != rep.ID {
				t.Fatalf("%s denied event names actor %q", action, denied[0].ActorUser)
			}
		}
	})
}
