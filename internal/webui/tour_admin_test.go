package webui_test

import (
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// seedAdminAndAudit gives the tour's auditor and administrator pages
// something to show: reveals and exports in the log, a signed
// checkpoint, a territory, a service account with a token and a custom
// role.
func seedAdminAndAudit(t *testing.T, w *tourWorld) {
	t.Helper()
	a := w.a
	admin := a.ActAs(t, testkit.AdminEmail)
	if _, err := a.Identity.CreateRole(admin, &identity.RoleInput{Name: "field_agent", Scope: domain.ScopeTeam,
		Functions: []domain.Function{domain.FnCustomersRead, domain.FnVisitsRead},
		Fields:    map[string]string{"public": "read", "contact": "masked"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Identity.CreateTerritory(admin, &identity.TerritoryInput{Name: "Jiangsu",
		Regions: []identity.RegionInput{{Province: "江苏省", City: "南京市"}}}); err != nil {
		t.Fatal(err)
	}
	svc, err := a.Identity.CreateUser(admin, &identity.UserInput{Email: "sync@x.example.com", DisplayName: "Nightly sync",
		Role: domain.RoleSalesRep, Kind: domain.UserService})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Identity.CreateToken(admin, &identity.TokenInput{Name: "ERP export", Scopes: []string{"customers:read"},
		UserID: svc.ID}); err != nil {
		t.Fatal(err)
	}
	w.service = svc
	now := time.Now()
	for i, role := range []string{domain.RoleSalesRep, domain.RoleSalesManager, domain.RoleService} {
		ctx := a.ActAs(t, role+"@x.example.com")
		for j := range 3 + 4*i {
			c := w.customers[j%len(w.customers)]
			ev := domain.NewAuditEvent(ctx, now.Add(-time.Duration(j)*47*time.Minute), domain.ActionCustomerReveal, "customer", string(c.ID))
			ev.Fields = []string{"phone"}
			if err := a.Audit.Record(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
		if role == domain.RoleSalesManager {
			ev := domain.NewAuditEvent(ctx, now.Add(-26*time.Hour), domain.ActionCustomerExport, "customer", "")
			for _, c := range w.customers {
				ev.TargetIDs = append(ev.TargetIDs, string(c.ID))
			}
			if err := a.Audit.Record(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := a.AuditSequencer.Integrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AuditSequencer.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
}
