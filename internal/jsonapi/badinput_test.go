package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestCustomerBadInput sends malformed, mistyped, unknown, oversized and
// invalid input to the customer endpoints. Each answers a clear 4xx that
// names the field, and the stored customers are exactly as before.
func TestCustomerBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		s := testkit.Serve(t, a)
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
		tok := s.LoginAs(t, "mgr@x.example.com")
		r := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{
			"name": "Existing", "phone": "13800000001", "email": "e@x.example.com", "id_number": "11010519491231002X",
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("seed: %d %s", r.Status, r.Body)
		}
		id := r.Map(t)["id"].(string)
		snapshot := func() string {
			var b strings.Builder
			var list struct {
				Items []map[string]any `json:"items"`
			}
			s.Do(t, "GET", "/api/v1/customers?limit=200", tok, nil).JSON(t, &list)
			for _, c := range list.Items {
				b.WriteString(c["id"].(string) + "|" + c["name"].(string) + "|" + c["phone"].(string) + "|" + c["updated_at"].(string) + "\n")
			}
			return b.String()
		}
		before := snapshot()
		raw := testkit.RawDB(t, a)
		rowsBefore := raw.Int(t, `SELECT COUNT(*) FROM customers`) + raw.Int(t, `SELECT COUNT(*) FROM blind_index`) + raw.Int(t, `SELECT COUNT(*) FROM data_keys`)

		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		cases := []struct {
			name, method, path string
			body               any
			status             int
			code, field        string
		}{
			{"malformed json", "POST", "/api/v1/customers", `{"name": "a",`, 400, "invalid", ""},
			{"not an object", "POST", "/api/v1/customers", `["a"]`, 400, "invalid", ""},
			{"empty body", "POST", "/api/v1/customers", ``, 400, "invalid", ""},
			{"trailing data", "POST", "/api/v1/customers", `{"name":"a"} {"name":"b"}`, 400, "invalid", ""},
			{"wrong type", "POST", "/api/v1/customers", `{"name": 42}`, 400, "invalid", "name"},
			{"wrong type tags", "POST", "/api/v1/customers", `{"name":"a","tags":"vip"}`, 400, "invalid", "tags"},
			{"unknown field", "POST", "/api/v1/customers", `{"name":"a","is_admin":true}`, 400, "invalid", "is_admin"},
			{"mass assignment id", "POST", "/api/v1/customers", `{"name":"a","id":"cus_01m84ztb756fxk47gxdc2xjanc"}`, 400, "invalid", "id"},
			{"mass assignment version", "PATCH", "/api/v1/customers/" + id, `{"version": 99}`, 400, "invalid", "version"},
			{"unknown address key", "POST", "/api/v1/customers", `{"name":"a","address":{"zip":"1"}}`, 400, "invalid", "address"},
			{"oversized", "POST", "/api/v1/customers", big, 413, "too_large", ""},
			{"missing name", "POST", "/api/v1/customers", `{"phone":"13800000009"}`, 400, "invalid", "name"},
			{"bad phone", "POST", "/api/v1/customers", `{"name":"a","phone":"12345"}`, 400, "invalid", "phone"},
			{"bad email", "POST", "/api/v1/customers", `{"name":"a","email":"not-an-email"}`, 400, "invalid", "email"},
			{"bad id number", "POST", "/api/v1/customers", `{"name":"a","id_number":"110105194912310029"}`, 400, "invalid", "id_number"},
			{"bad tax id", "POST", "/api/v1/customers", `{"name":"a","kind":"company","tax_id":"91350100M000100Y44"}`, 400, "invalid", "tax_id"},
			{"bad kind", "POST", "/api/v1/customers", `{"name":"a","kind":"robot"}`, 400, "invalid", "kind"},
			{"bad status", "POST", "/api/v1/customers", `{"name":"a","status":"vip"}`, 400, "invalid", "status"},
			{"control chars", "POST", "/api/v1/customers", `{"name":"a\u0000b"}`, 400, "invalid", "name"},
			{"duplicate phone", "POST", "/api/v1/customers", `{"name":"b","phone":"+86 138 0000 0001"}`, 409, "conflict", "phone"},
			{"duplicate email", "POST", "/api/v1/customers", `{"name":"b","email":"E@X.example.com"}`, 409, "conflict", "email"},
			{"duplicate id number", "POST", "/api/v1/customers", `{"name":"b","id_number":"11010519491231002x"}`, 409, "conflict", "id_number"},
			{"foreign id", "GET", "/api/v1/customers/usr_01m84ztas6f8qe2qrsjv15xa69", nil, 400, "invalid", "id"},
			{"malformed id", "GET", "/api/v1/customers/cus_123", nil, 400, "invalid", "id"},
			{"unknown id", "GET", "/api/v1/customers/cus_01m84ztb756fxk47gxdc2xjanc", nil, 404, "not_found", ""},
			{"patch unknown id", "PATCH", "/api/v1/customers/cus_01m84ztb756fxk47gxdc2xjanc", `{"name":"x"}`, 404, "not_found", ""},
			{"patch bad phone", "PATCH", "/api/v1/customers/" + id, `{"phone":"+86 1"}`, 400, "invalid", "phone"},
			{"patch empty name", "PATCH", "/api/v1/customers/" + id, `{"name":"   "}`, 400, "invalid", "name"},
			{"bad owner id", "PATCH", "/api/v1/customers/" + id, `{"owner_id":"cus_01m84ztb756fxk47gxdc2xjanc"}`, 400, "invalid", "owner_id"},
			{"unknown owner", "PATCH", "/api/v1/customers/" + id, `{"owner_id":"usr_01m84ztas6f8qe2qrsjv15xa69"}`, 400, "invalid", "owner_id"},
			{"bad cursor", "GET", "/api/v1/customers?cursor=!!", nil, 400, "invalid", "cursor"},
			{"bad limit", "GET", "/api/v1/customers?limit=100000", nil, 400, "invalid", "limit"},
			{"unknown filter", "GET", "/api/v1/customers?owner=me", nil, 400, "invalid", "owner"},
			{"bad updated_since", "GET", "/api/v1/customers?updated_since=yesterday", nil, 400, "invalid", "updated_since"},
			{"lookup bad phone", "GET", "/api/v1/customers?phone=abc", nil, 400, "invalid", "phone"},
			{"lookup plus filter", "GET", "/api/v1/customers?phone=13800000001&status=lead", nil, 400, "invalid", "phone"},
			{"search two fields", "POST", "/api/v1/customers/search", `{"phone":"13800000001","email":"e@x.example.com"}`, 400, "invalid", ""},
			{"delete bad cascade", "DELETE", "/api/v1/customers/" + id + "?cascade=yes", nil, 400, "invalid", "cascade"},
			{"no credentials", "GET", "/api/v1/customers", nil, 401, "unauthenticated", ""},
			{"unknown endpoint", "GET", "/api/v1/nothing", nil, 404, "not_found", ""},
		}
		for _, c := range cases {
			token := tok
			if c.name == "no credentials" {
				token = ""
			}
			got := s.Do(t, c.method, c.path, token, c.body)
			if got.Status != c.status || got.ErrorCode() != c.code || got.ErrorField() != c.field {
				t.Errorf("%s: got %d %s, want %d %s field %q", c.name, got.Status, clip(got.Body), c.status, c.code, c.field)
			}
		}
		if after := snapshot(); after != before {
			t.Errorf("stored customers changed:\nbefore %s\nafter  %s", before, after)
		}
		rowsAfter := raw.Int(t, `SELECT COUNT(*) FROM customers`) + raw.Int(t, `SELECT COUNT(*) FROM blind_index`) + raw.Int(t, `SELECT COUNT(*) FROM data_keys`)
		if rowsAfter != rowsBefore {
			t.Errorf("row count changed from %d to %d", rowsBefore, rowsAfter)
		}
	})
}

func clip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
