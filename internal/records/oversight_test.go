package records_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// The pipeline is the deals of the caller's scope for roles that reach
// beyond their own records; a rep is refused (and the refusal audited).
// Service sees amounts read-only; every role sees only its scope.
func TestPipeline(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		south, north := a.CreateTeam(t, "South"), a.CreateTeam(t, "North")
		rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, south)
		far := a.CreateUser(t, "far@x.example.com", domain.RoleSalesRep, north)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, south)
		a.CreateUser(t, "fin@x.example.com", domain.RoleFinance, "")
		for _, owner := range []*domain.User{rep, far} {
			c, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "Harbor Foods", OwnerID: owner.ID})
			if err != nil {
				t.Fatal(err)
			}
			amt := domain.AmountInput("100")
			if _, err := a.Records.CreateDeal(a.System(), &domain.DealInput{CustomerID: c.ID, Title: "Deal", Amount: &amt, OwnerID: owner.ID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Records.Pipeline(a.ActAs(t, "rep@x.example.com")); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("rep: %v", err)
		}
		evs, _ := a.Store.AuditLog.ListAudit(t.Context(), domain.AuditFilter{Action: "deal.list", Outcome: domain.OutcomeDenied, Limit: 10})
		if len(evs) != 1 || evs[0].ActorUser != rep.ID {
			t.Fatalf("the refusal is not audited: %d events", len(evs))
		}
		p, err := a.Records.Pipeline(a.ActAs(t, "mgr@x.example.com"))
		if err != nil || len(p.Deals) != 1 || p.Deals[0].OwnerID != rep.ID || p.Deals[0].AmountMinor != 10000 || p.More {
			t.Fatalf("manager: %v %+v", err, p)
		}
		if p, err := a.Records.Pipeline(a.ActAs(t, "fin@x.example.com")); err != nil || len(p.Deals) != 2 {
			t.Fatalf("finance: %v %+v", err, p)
		}
	})
}

// A manager may give customers to the active people of their team; a rep
// and finance (who may not write the owner) are refused.
func TestAssignees(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		south, north := a.CreateTeam(t, "South"), a.CreateTeam(t, "North")
		rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, south)
		a.CreateUser(t, "far@x.example.com", domain.RoleSalesRep, north)
		mgr := a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, south)
		a.CreateUser(t, "fin@x.example.com", domain.RoleFinance, south)
		a.CreateServiceAccount(t, "erp@x.example.com", domain.RoleSalesRep)
		got, err := a.Records.Assignees(a.ActAs(t, "mgr@x.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		ids := map[domain.ID]bool{}
		for _, p := range got {
			ids[p.ID] = true
		}
		if len(got) != 3 || !ids[rep.ID] || !ids[mgr.ID] {
			t.Fatalf("manager's assignees: %+v", got)
		}
		for _, who := range []string{"rep@x.example.com", "fin@x.example.com"} {
			if _, err := a.Records.Assignees(a.ActAs(t, who)); domain.ErrorCode(err) != domain.CodeForbidden {
				t.Errorf("%s: %v", who, err)
			}
		}
	})
}

// Visit coverage counts a team's visits per rep and week (cancelled ones
// aside, other teams' absent) for a manager; a rep is refused.
func TestVisitCoverage(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		south, north := a.CreateTeam(t, "South"), a.CreateTeam(t, "North")
		ann := a.CreateUser(t, "ann@x.example.com", domain.RoleSalesRep, south)
		bob := a.CreateUser(t, "bob@x.example.com", domain.RoleSalesRep, south)
		far := a.CreateUser(t, "far@x.example.com", domain.RoleSalesRep, north)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, south)
		from := time.Date(2026, 11, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)) // a Monday
		for _, v := range []struct {
			rep    *domain.User
			day    int
			cancel bool
		}{
			{ann, 0, false}, {ann, 1, false}, {ann, 8, false}, {ann, 9, true}, {bob, 15, false},
			{bob, 22, false}, {bob, -1, false}, {far, 2, false},
		} {
			c, err := a.Records.CreateCustomer(a.System(), &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "Shop", OwnerID: v.rep.ID})
			if err != nil {
				t.Fatal(err)
			}
			x, err := a.Records.CreateVisit(a.System(), &domain.VisitInput{CustomerID: c.ID, RepID: v.rep.ID,
				PlannedAt: from.AddDate(0, 0, v.day).Add(10 * time.Hour).Format(time.RFC3339)})
			if err != nil {
				t.Fatal(err)
			}
			if v.cancel {
				st := domain.VisitCancelled
				if _, err := a.Records.UpdateVisit(a.System(), x.ID, &domain.VisitPatch{Status: &st}, domain.Precondition{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := a.Records.VisitCoverage(a.ActAs(t, "ann@x.example.com"), from, 3); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("rep: %v", err)
		}
		cov, err := a.Records.VisitCoverage(a.ActAs(t, "mgr@x.example.com"), from, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(cov.Weeks) != 3 || !cov.Weeks[2].Equal(from.AddDate(0, 0, 14)) || len(cov.Reps) != 2 {
			t.Fatalf("coverage: %+v", cov)
		}
		got := fmt.Sprint(cov.Reps[0].DisplayName, cov.Reps[0].Counts, cov.Reps[1].DisplayName, cov.Reps[1].Counts)
		if want := "ann@x.example.com[2 1 0]bob@x.example.com[0 0 1]"; got != want {
			t.Fatalf("coverage %s, want %s", got, want)
		}
	})
}
