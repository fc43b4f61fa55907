package jsonapi_test

import (
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestCustomRoleWithTerritories creates a territory and a custom
// territory-scoped role through the API, assigns both to a user, and
// shows the user reaches exactly the customers whose address lies in the
// territory (lists, lookups and point reads), sees contact data masked as
// the role says, and that editing the territory or the role applies on
// the next request.
func TestCustomRoleWithTerritories(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		admin := s.LoginAs(t, testkit.AdminEmail)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
		mgr := s.LoginAs(t, "mgr@x.example.com")
		mk := func(name, phone, province, city string) string {
			r := s.Do(t, "POST", "/api/v1/customers", mgr, map[string]any{"name": name, "phone": phone,
				"address": map[string]string{"province": province, "city": city, "street": "1号"}})
			if r.Status != 201 {
				t.Fatalf("create %s: %d %s", name, r.Status, r.Body)
			}
			return r.Map(t)["id"].(string)
		}
		shenzhen := mk("深圳客户", "13800000001", "广东省", "深圳市")
		guangzhou := mk("广州客户", "13800000002", "广东省", "广州市")
		hangzhou := mk("杭州客户", "13800000003", "浙江省", "杭州市")

		r := s.Do(t, "POST", "/api/v1/territories", admin, map[string]any{"name": "South", "regions": []map[string]string{{"province": "广东省", "city": "深圳市"}}})
		if r.Status != 201 {
			t.Fatalf("territory: %d %s", r.Status, r.Body)
		}
		terr := r.Map(t)["id"].(string)
		r = s.Do(t, "POST", "/api/v1/roles", admin, map[string]any{"name": "regional_service", "scope": "territory",
			"functions": []string{"customers.read", "notes.read"}, "fields": map[string]string{"contact": "masked", "public": "read"},
			"session": map[string]int{"idle_timeout_seconds": 900, "max_sessions": 2}})
		if r.Status != 201 || r.Map(t)["session"].(map[string]any)["idle_timeout_seconds"] != float64(900) {
			t.Fatalf("role: %d %s", r.Status, r.Body)
		}
		r = s.Do(t, "POST", "/api/v1/users", admin, map[string]any{"email": "reg@x.example.com", "password": testkit.PasswordFor("reg@x.example.com"), "role": "regional_service"})
		if r.Status != 201 {
			t.Fatalf("user: %d %s", r.Status, r.Body)
		}
		uid := r.Map(t)["id"].(string)
		if r := s.Do(t, "PATCH", "/api/v1/users/"+uid, admin, map[string]any{"territory_ids": []string{terr}}); r.Status != 200 {
			t.Fatalf("assign territory: %d %s", r.Status, r.Body)
		}
		reg := s.LoginAs(t, "reg@x.example.com")
		ids := func() map[string]bool {
			var list struct {
				Items []map[string]any `json:"items"`
			}
			s.Do(t, "GET", "/api/v1/customers", reg, nil).JSON(t, &list)
			out := map[string]bool{}
			for _, c := range list.Items {
				out[c["id"].(string)] = true
				if c["phone"] != nil && c["phone"] != "138****0001" && c["phone"] != "138****0002" {
					t.Errorf("regional user sees phone %v", c["phone"])
				}
			}
			return out
		}
		if got := ids(); len(got) != 1 || !got[shenzhen] {
			t.Fatalf("in the Shenzhen territory, lists %v", got)
		}
		if r := s.Do(t, "GET", "/api/v1/customers/"+shenzhen, reg, nil); r.Status != 200 || r.Map(t)["phone"] != "138****0001" {
			t.Fatalf("point read in territory: %d %s", r.Status, r.Body)
		}
		for _, id := range []string{guangzhou, hangzhou} {
			if r := s.Do(t, "GET", "/api/v1/customers/"+id, reg, nil); r.Status != 404 {
				t.Fatalf("point read outside the territory: %d", r.Status)
			}
		}
		// Widen the territory to the whole province: next request sees it.
		if r := s.Do(t, "PUT", "/api/v1/territories/"+terr, admin, map[string]any{"name": "South", "regions": []map[string]string{{"province": "广东省"}}}); r.Status != 200 {
			t.Fatalf("widen: %d %s", r.Status, r.Body)
		}
		if got := ids(); len(got) != 2 || !got[shenzhen] || !got[guangzhou] {
			t.Fatalf("in all of Guangdong, lists %v", got)
		}
		// Take customers.read away from the role: refused on the next request.
		if r := s.Do(t, "PATCH", "/api/v1/roles/regional_service", admin, map[string]any{"functions": []string{"notes.read"}}); r.Status != 200 {
			t.Fatalf("edit role: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", reg, nil); r.Status != 403 {
			t.Fatalf("after losing customers.read: %d", r.Status)
		}

		// Refusals that change nothing.
		for _, c := range []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"unknown function", "POST", "/api/v1/roles", map[string]any{"name": "x_role", "scope": "own", "functions": []string{"customers.steal"}}, 400, "functions"},
			{"unknown scope", "POST", "/api/v1/roles", map[string]any{"name": "x_role", "scope": "galaxy"}, 400, "scope"},
			{"unknown class", "POST", "/api/v1/roles", map[string]any{"name": "x_role", "scope": "own", "fields": map[string]string{"dna": "read"}}, 400, "fields"},
			{"bad access", "POST", "/api/v1/roles", map[string]any{"name": "x_role", "scope": "own", "fields": map[string]string{"contact": "peek"}}, 400, "fields"},
			{"bad name", "POST", "/api/v1/roles", map[string]any{"name": "Admin!", "scope": "own"}, 400, "name"},
			{"taken name", "POST", "/api/v1/roles", map[string]any{"name": "admin", "scope": "own"}, 409, "name"},
			{"idle beyond bounds", "PATCH", "/api/v1/roles/sales_rep", map[string]any{"session": map[string]int{"idle_timeout_seconds": 5}}, 400, "session.idle_timeout_seconds"},
			{"built-in functions", "PATCH", "/api/v1/roles/sales_rep", map[string]any{"functions": []string{"audit.read"}}, 403, "functions"},
			{"built-in scope", "PATCH", "/api/v1/roles/finance", map[string]any{"scope": "own"}, 403, "scope"},
			{"delete built-in", "DELETE", "/api/v1/roles/auditor", nil, 403, ""},
			{"delete held role", "DELETE", "/api/v1/roles/regional_service", nil, 409, "name"},
			{"unknown role for a user", "PATCH", "/api/v1/users/" + uid, map[string]any{"role": "overlord"}, 400, "role"},
			{"unknown role at creation", "POST", "/api/v1/users", map[string]any{"email": "n@x.example.com", "password": "a perfectly fine passphrase", "role": "overlord"}, 400, "role"},
			{"unknown territory", "PATCH", "/api/v1/users/" + uid, map[string]any{"territory_ids": []string{"ter_01m84ztas6f8qe2qrsjv15xa69"}}, 400, "territory_ids"},
			{"territory without regions", "POST", "/api/v1/territories", map[string]any{"name": "Empty"}, 400, "regions"},
			{"region without province", "POST", "/api/v1/territories", map[string]any{"name": "Nowhere", "regions": []map[string]string{{"city": "深圳市"}}}, 400, "regions.province"},
		} {
			got := s.Do(t, c.method, c.path, admin, c.body)
			if got.Status != c.status || got.ErrorField() != c.field {
				t.Errorf("%s: %d %s, want %d field %q", c.name, got.Status, got.Body, c.status, c.field)
			}
		}
		if r := s.Do(t, "GET", "/api/v1/users/"+uid, admin, nil); r.Map(t)["role"] != "regional_service" {
			t.Fatalf("user changed by refused requests: %s", r.Body)
		}
		var roles struct {
			Items []map[string]any `json:"items"`
		}
		s.Do(t, "GET", "/api/v1/roles", admin, nil).JSON(t, &roles)
		if len(roles.Items) != 7 {
			t.Fatalf("%d roles after refused creations, want 7", len(roles.Items))
		}
		// A custom role nobody holds can go.
		if r := s.Do(t, "PATCH", "/api/v1/users/"+uid, admin, map[string]any{"role": "service"}); r.Status != 200 {
			t.Fatal(r.Status)
		}
		if r := s.Do(t, "DELETE", "/api/v1/roles/regional_service", admin, nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
	})
}
