package records_test

import (
	"testing"

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
