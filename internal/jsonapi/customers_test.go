package jsonapi_test

import (
	"net/http"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

func TestCustomerCreateAndRead(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		tok := s.LoginAs(t, "rep@x.example.com")

		r := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{
			"name": "张伟", "phone": "138 0013 8000", "email": "Zhang.Wei@Example.COM",
			"address": map[string]string{"province": "广东省", "city": "深圳市", "street": "科技园路1号"},
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := r.Map(t)["id"].(string)
		g := s.Do(t, "GET", "/api/v1/customers/"+id, tok, nil)
		if g.Status != http.StatusOK {
			t.Fatalf("get: %d %s", g.Status, g.Body)
		}
		m := g.Map(t)
		if m["phone"] != "+8613800138000" || m["email"] != "zhang.wei@example.com" || m["name"] != "张伟" {
			t.Fatalf("unexpected body: %s", g.Body)
		}
	})
}
