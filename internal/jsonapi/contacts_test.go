package jsonapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/custoscrm/custos/internal/testkit"
)

func TestContactsCRUD(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		base := "/api/v1/customers/" + w.company1 + "/contacts"
		r := w.must(t, "rep1", "POST", base, map[string]any{
			"name": " 李娜 ", "phone": "139 0013 9000", "email": "Li.Na@Example.COM", "title": "采购经理",
		}, http.StatusCreated)
		c := r.Map(t)
		id := c["id"].(string)
		if c["name"] != "李娜" || c["phone"] != "+8613900139000" || c["email"] != "li.na@example.com" || c["customer_id"] != w.company1 {
			t.Fatalf("create: %s", r.Body)
		}
		if r.Header.Get("Location") != "/api/v1/contacts/"+id {
			t.Fatalf("Location = %q", r.Header.Get("Location"))
		}
		g := w.must(t, "rep1", "GET", "/api/v1/contacts/"+id, nil, http.StatusOK).Map(t)
		if g["name"] != "李娜" || g["title"] != "采购经理" {
			t.Fatalf("get: %v", g)
		}
		if n := w.audited(t, "contact.read", id, "allowed"); n != 1 {
			t.Fatalf("contact.read audited %d times", n)
		}
		p := w.must(t, "rep1", "PATCH", "/api/v1/contacts/"+id, map[string]any{"phone": "", "title": "总经理"}, http.StatusOK).Map(t)
		if _, has := p["phone"]; has || p["title"] != "总经理" || p["name"] != "李娜" {
			t.Fatalf("patch: %v", p)
		}
		w.must(t, "rep1", "POST", base, map[string]any{"name": "Tom Walker"}, http.StatusCreated)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		w.must(t, "rep1", "GET", base, nil, http.StatusOK).JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0]["name"] != "Tom Walker" {
			t.Fatalf("list: %v", list.Items)
		}
		w.must(t, "rep1", "DELETE", "/api/v1/contacts/"+id, nil, http.StatusNoContent)
		w.must(t, "rep1", "GET", "/api/v1/contacts/"+id, nil, http.StatusNotFound)
		if n := w.count(t, "contacts", "customer_id = ?", w.company1); n != 1 {
			t.Fatalf("%d contacts stored after delete, want 1", n)
		}
	})
}

func TestContactsScopeAndClasses(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		base := "/api/v1/customers/" + w.company1 + "/contacts"
		id := w.id(t, w.must(t, "rep1", "POST", base, map[string]any{"name": "王磊", "phone": "13700137000", "email": "wl@example.com"}, http.StatusCreated))
		stored := func() string {
			var name []byte
			var title string
			w.row(t, "SELECT name_sealed, title FROM contacts WHERE id = ?", []any{id}, &name, &title)
			return fmt.Sprintf("%x/%s", name, title)
		}
		before := stored()

		// Another rep reaches neither the contact nor the customer's list,
		// and their attempts change nothing.
		w.must(t, "rep2", "GET", "/api/v1/contacts/"+id, nil, http.StatusNotFound)
		w.must(t, "rep2", "PATCH", "/api/v1/contacts/"+id, map[string]any{"title": "x"}, http.StatusNotFound)
		w.must(t, "rep2", "DELETE", "/api/v1/contacts/"+id, nil, http.StatusNotFound)
		w.must(t, "rep2", "GET", base, nil, http.StatusNotFound)
		w.must(t, "rep2", "POST", base, map[string]any{"name": "x"}, http.StatusNotFound)
		if after := stored(); after != before {
			t.Fatal("rep2's attempts changed the stored contact")
		}
		if w.count(t, "contacts", "") != 1 {
			t.Fatal("rep2 created a contact")
		}
		if n := w.audited(t, "contact.update", id, "denied"); n != 1 {
			t.Fatalf("denied update audited %d times", n)
		}

		// Finance sees contact data masked and may not write it.
		f := w.must(t, "finance", "GET", "/api/v1/contacts/"+id, nil, http.StatusOK).Map(t)
		if f["name"] != "王*" || f["phone"] != "137****7000" || f["email"] != "w***@example.com" {
			t.Fatalf("finance view: %v", f)
		}
		expectError(t, w.do(t, "finance", "PATCH", "/api/v1/contacts/"+id, map[string]any{"name": "王小磊"}), http.StatusForbidden, "name")
		expectError(t, w.do(t, "finance", "POST", base, map[string]any{"name": "赵六"}), http.StatusForbidden, "name")
		if after := stored(); after != before || w.count(t, "contacts", "") != 1 {
			t.Fatal("finance's refused writes changed stored contacts")
		}
		// Masked reads reveal nothing, so nothing is audited as read.
		if n := w.audited(t, "contact.read", id, "allowed"); n != 0 {
			t.Fatalf("masked read audited as a read of personal data (%d)", n)
		}
		// The auditor has no customer functions at all.
		w.must(t, "auditor", "GET", "/api/v1/contacts/"+id, nil, http.StatusForbidden)
	})
}

func TestContactsBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		base := "/api/v1/customers/" + w.company1 + "/contacts"
		id := w.id(t, w.must(t, "rep1", "POST", base, map[string]any{"name": "王磊"}, http.StatusCreated))
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"person customer", "POST", "/api/v1/customers/" + w.person1 + "/contacts", map[string]any{"name": "x"}, 400, "customer_id"},
			{"no name", "POST", base, map[string]any{"phone": "13800138000"}, 400, "name"},
			{"bad phone", "POST", base, map[string]any{"name": "x", "phone": "12"}, 400, "phone"},
			{"bad email", "POST", base, map[string]any{"name": "x", "email": "not-an-email"}, 400, "email"},
			{"unknown field", "POST", base, map[string]any{"name": "x", "customer_id": w.company2}, 400, "customer_id"},
			{"wrong type", "POST", base, map[string]any{"name": 12}, 400, "name"},
			{"malformed", "POST", base, `{"name": "x"`, 400, ""},
			{"trailing", "POST", base, `{"name": "x"} {}`, 400, ""},
			{"control char", "POST", base, map[string]any{"name": "x\u0000y"}, 400, "name"},
			{"deal id as customer", "POST", "/api/v1/customers/dea_01jq0000000000000000000000/contacts", map[string]any{"name": "x"}, 400, "id"},
			{"customer id as contact", "PATCH", "/api/v1/contacts/" + w.company1, map[string]any{"name": "x"}, 400, "id"},
			{"query on get", "GET", "/api/v1/contacts/" + id + "?x=1", nil, 400, "x"},
			{"unknown list filter", "GET", base + "?owner_id=x", nil, 400, "owner_id"},
			{"empty name", "PATCH", "/api/v1/contacts/" + id, map[string]any{"name": "  "}, 400, "name"},
			{"long title", "PATCH", "/api/v1/contacts/" + id, map[string]any{"title": string(make([]rune, 201))}, 400, "title"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectError(t, w.do(t, "rep1", tc.method, tc.path, tc.body), tc.status, tc.field)
			})
		}
		if n := w.count(t, "contacts", ""); n != 1 {
			t.Fatalf("%d contacts stored, want 1", n)
		}
		if g := w.must(t, "rep1", "GET", "/api/v1/contacts/"+id, nil, http.StatusOK).Map(t); g["name"] != "王磊" || g["title"] != nil {
			t.Fatalf("contact changed: %v", g)
		}
	})
}
