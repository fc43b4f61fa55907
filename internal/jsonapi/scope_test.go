package jsonapi_test

import (
	"net/http"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestSalesRepScope shows a sales rep cannot read, list, find, update or
// delete another rep's customer: each answers as if it did not exist, and
// the customer is unchanged afterwards. Their manager sees both.
func TestSalesRepScope(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		team := a.CreateTeam(t, "East")
		a.CreateUser(t, "ann@x.example.com", domain.RoleSalesRep, team)
		a.CreateUser(t, "bob@x.example.com", domain.RoleSalesRep, team)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, team)
		ann, bob, mgr := s.LoginAs(t, "ann@x.example.com"), s.LoginAs(t, "bob@x.example.com"), s.LoginAs(t, "mgr@x.example.com")

		r := s.Do(t, "POST", "/api/v1/customers", ann, map[string]any{"name": "Ann's Customer", "phone": "13900001111", "email": "c@ann.example.com"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := r.Map(t)["id"].(string)
		before := s.Do(t, "GET", "/api/v1/customers/"+id, ann, nil)
		if before.Status != http.StatusOK {
			t.Fatalf("owner read: %d", before.Status)
		}

		for _, c := range []struct {
			name, method, path string
			body               any
		}{
			{"read", "GET", "/api/v1/customers/" + id, nil},
			{"update", "PATCH", "/api/v1/customers/" + id, map[string]any{"name": "Stolen"}},
			{"delete", "DELETE", "/api/v1/customers/" + id, nil},
		} {
			got := s.Do(t, c.method, c.path, bob, c.body)
			if got.Status != http.StatusNotFound || got.ErrorCode() != "not_found" {
				t.Errorf("bob %s: %d %s, want 404 not_found", c.name, got.Status, got.Body)
			}
		}
		var list struct {
			Items []map[string]any `json:"items"`
		}
		s.Do(t, "GET", "/api/v1/customers", bob, nil).JSON(t, &list)
		if len(list.Items) != 0 {
			t.Errorf("bob lists %d customers, want 0", len(list.Items))
		}
		s.Do(t, "GET", "/api/v1/customers?phone=13900001111", bob, nil).JSON(t, &list)
		if len(list.Items) != 0 {
			t.Errorf("bob finds ann's customer by phone")
		}
		// Bob may not give himself the customer either.
		if got := s.Do(t, "POST", "/api/v1/customers", bob, map[string]any{"name": "X", "owner_id": s.Do(t, "GET", "/api/v1/auth/me", ann, nil).Map(t)["user"].(map[string]any)["id"]}); got.Status != http.StatusForbidden || got.ErrorField() != "owner_id" {
			t.Errorf("bob assigning a customer to ann: %d %s", got.Status, got.Body)
		}

		after := s.Do(t, "GET", "/api/v1/customers/"+id, ann, nil)
		if string(after.Body) != string(before.Body) {
			t.Errorf("customer changed by refused requests:\nbefore %s\nafter  %s", before.Body, after.Body)
		}
		s.Do(t, "GET", "/api/v1/customers", mgr, nil).JSON(t, &list)
		if len(list.Items) != 1 {
			t.Errorf("manager lists %d customers of the team, want 1", len(list.Items))
		}
	})
}
