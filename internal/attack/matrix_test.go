package attack

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

func TestEveryRouteHasARecipe(t *testing.T) {
	routes := APIRoutes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes read from the route table", len(routes))
	}
	recipes := Recipes()
	_, uncovered := GenerateCells(routes, recipes, policy.BuiltinRoles())
	if len(uncovered) > 0 {
		t.Errorf("routes without a recipe: %v", uncovered)
	}
	served := map[string]bool{}
	for _, r := range routes {
		served[r.Key()] = true
	}
	for k := range recipes {
		if !served[k] {
			t.Errorf("recipe for %s, which the API does not serve", k)
		}
	}
}

func TestGenerateCellsDimensions(t *testing.T) {
	roles := policy.BuiltinRoles()
	rt := RouteInfo{Method: "PATCH", Pattern: "/api/v1/customers/{id}"}
	rc := Recipes()[rt.Key()]
	cells, uncovered := GenerateCells([]RouteInfo{rt, {Method: "GET", Pattern: "/api/v1/new-thing"}}, map[string]*Recipe{rt.Key(): rc}, roles)
	if len(uncovered) != 1 || uncovered[0] != "GET /api/v1/new-thing" {
		t.Fatalf("uncovered = %v", uncovered)
	}
	// 1 anonymous + (2 roles with own records × 3 relations + 4 roles × 2
	// relations) × 4 variants, and the API tokens: a manager's (3
	// relations), an administrator's and finance's (2 each) × 4 variants.
	if want := 1 + (2*3+4*2)*4 + (3+2+2)*4; len(cells) != want {
		t.Fatalf("%d cells, want %d", len(cells), want)
	}
	got := map[string]int{}
	for _, c := range cells {
		got[c.Caller()+"/"+string(c.Rel)+"/"+c.Variant.Name] = c.Want
	}
	for key, want := range map[string]int{
		"sales_manager's API token [customers:read]/own/contact: phone":  http.StatusForbidden, // read-only scope
		"finance's API token [deals:write]/team/financial: bank_account": http.StatusForbidden,
	} {
		if got[key] != want {
			t.Errorf("%s: want %d, generated %d", key, want, got[key])
		}
	}
	for key, want := range map[string]int{
		"anonymous/own/public: tags":                http.StatusUnauthorized,
		"sales_rep/own/contact: phone":              http.StatusOK,
		"sales_rep/team/contact: phone":             http.StatusNotFound, // scope own
		"sales_rep/own/identity: id_number":         http.StatusForbidden,
		"sales_manager/team/identity: id_number":    http.StatusOK,
		"sales_manager/other/public: tags":          http.StatusNotFound, // another team
		"finance/other/financial: bank_account":     http.StatusOK,
		"finance/team/public: tags":                 http.StatusForbidden, // reads public fields only
		"admin/other/contact: phone":                http.StatusForbidden, // masked
		"service/team/public: tags":                 http.StatusForbidden, // no customers.update
		"auditor/other/financial: bank_account":     http.StatusForbidden,
		"sales_manager/own/financial: bank_account": http.StatusForbidden,
	} {
		if got[key] != want {
			t.Errorf("%s: want %d, generated %d", key, want, got[key])
		}
	}
}

func TestRuleOrder(t *testing.T) {
	roles := policy.BuiltinRoles()
	create := Rule{Fn: domain.FnNotesWrite, Scoped: true, WriteFirst: true, OutOfScope: http.StatusBadRequest, OK: http.StatusCreated}
	note := Variant{Writes: classNote}
	if got := create.Expect(roles["sales_rep"], RelOther, note); got != http.StatusBadRequest {
		t.Errorf("create out of scope: %d, want 400 (customer_id)", got)
	}
	if got := create.Expect(roles["admin"], RelOther, note); got != http.StatusForbidden {
		t.Errorf("create with a field the role may not write: %d, want 403 before the scope check", got)
	}
	self := Rule{Fn: domain.FnUsersManage, SelfFree: true, Denied: http.StatusNotFound, OK: http.StatusNoContent}
	if got := self.Expect(roles["auditor"], RelOwn, Variant{}); got != http.StatusNoContent {
		t.Errorf("own session: %d", got)
	}
	if got := self.Expect(roles["auditor"], RelOther, Variant{}); got != http.StatusNotFound {
		t.Errorf("another user's session: %d, want 404", got)
	}
	reveal := Rule{Fn: domain.FnReveal, Scoped: true, OK: http.StatusOK}
	if got := reveal.Expect(roles["service"], RelTeam, Variant{ReadClasses: classFinancial}); got != http.StatusForbidden {
		t.Errorf("reveal of a class the role may not see at all: %d, want 403", got)
	}
	if got := reveal.Expect(roles["service"], RelTeam, Variant{ReadClasses: classContact}); got != http.StatusOK {
		t.Errorf("reveal of a masked class: %d, want 200", got)
	}
	claim := Rule{Fn: domain.FnPoolClaim, Scoped: true, Pool: true, OK: http.StatusOK}
	for _, c := range []struct {
		role string
		rel  Relation
		want int
	}{
		{"sales_rep", RelTeam, http.StatusOK}, {"sales_rep", RelOther, http.StatusNotFound},
		{"sales_manager", RelOther, http.StatusNotFound}, {"admin", RelOther, http.StatusOK}, {"finance", RelTeam, http.StatusForbidden},
	} {
		if got := claim.Expect(roles[c.role], c.rel, Variant{}); got != c.want {
			t.Errorf("claim from the pool as %s, %s: %d, want %d", c.role, c.rel, got, c.want)
		}
	}
	release := Rule{Fn: domain.FnPoolClaim, Scoped: true, OwnerOnly: true, OK: http.StatusNoContent}
	if got := release.Expect(roles["sales_manager"], RelTeam, Variant{}); got != http.StatusNotFound {
		t.Errorf("release of a team member's customer: %d, want 404", got)
	}
	if got := release.Expect(roles["sales_rep"], RelOwn, Variant{}); got != http.StatusNoContent {
		t.Errorf("release of one's own customer: %d", got)
	}
	public := Rule{Public: true, AnonStatus: http.StatusUnauthorized, OK: http.StatusOK}
	if got := public.Expect(nil, RelNone, Variant{}); got != http.StatusUnauthorized {
		t.Errorf("public route, anonymous: %d", got)
	}
}

func TestEffectiveRole(t *testing.T) {
	roles := policy.BuiltinRoles()
	r := EffectiveRole(roles["admin"], []string{"audit:read"})
	if !r.Can(domain.FnAuditRead) || r.Can(domain.FnUsersManage) || r.Can(domain.FnCustomersRead) {
		t.Errorf("admin token [audit:read] functions: %v", r.Functions)
	}
	if !roles["admin"].Can(domain.FnUsersManage) {
		t.Error("EffectiveRole changed the role it was given")
	}
	rule := Rule{OK: http.StatusCreated, SessionOnly: true}
	if got := rule.ExpectToken(roles["admin"], []string{"admin"}, RelNone, Variant{}); got != http.StatusForbidden {
		t.Errorf("credential route with a token: %d, want 403", got)
	}
}

func TestInScope(t *testing.T) {
	for _, tc := range []struct {
		scope domain.Scope
		rel   Relation
		want  bool
	}{
		{domain.ScopeAll, RelOther, true},
		{domain.ScopeTeam, RelTeam, true},
		{domain.ScopeTeam, RelOther, false},
		{domain.ScopeOwn, RelOwn, true},
		{domain.ScopeOwn, RelTeam, false},
	} {
		if got := InScope(tc.scope, tc.rel); got != tc.want {
			t.Errorf("InScope(%s, %s) = %v", tc.scope, tc.rel, got)
		}
	}
}

func TestCellString(t *testing.T) {
	c := Cell{Route: RouteInfo{Method: "GET", Pattern: "/api/v1/deals/{id}"}, Role: "finance", Rel: RelOther, Variant: Variant{Name: "amount"}}
	if s := c.String(); !strings.Contains(s, "finance") || !strings.Contains(s, "other record") || !strings.Contains(s, "[amount]") {
		t.Errorf("Cell.String() = %q", s)
	}
}
