package jsonapi_test

import (
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/testkit"
)

// TestEveryRouteRefusesUnreadableQueries sends each route's request from
// the endpoint table (as the administrator) with a query string that
// url.ParseQuery reads only in part, with one that is not UTF-8 once
// decoded, and with a parameter no route takes. Each is a 400 naming the
// parameter: a query Custos cannot read whole never reaches a handler,
// which would otherwise see fewer filters than were sent.
func TestEveryRouteRefusesUnreadableQueries(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newFixture(t, d)
		rows := map[string]endpointRow{}
		for _, row := range endpointTable {
			rows[row.route] = row
		}
		for _, rt := range f.a.API.Routes() {
			route := rt.Method + " " + rt.Pattern
			row, ok := rows[route]
			if !ok {
				continue // TestEveryEndpointEveryActor reports it
			}
			for _, c := range []struct{ query, field string }{
				{"limit=10%zz", "limit"},
				{"limit=%ff", "limit"},
				{"%zz=1", "query"},
				{"a=1;b=2", "query"},
				{"bogus_filter=1", "bogus_filter"},
				{"bogus_filter=1&bogus_filter=2", "bogus_filter"},
			} {
				f.t = t
				req := row.req(f, admin)
				tok := req.token
				if tok == "" {
					tok = f.tokens[admin]
				}
				sep := "?"
				if strings.Contains(req.path, "?") {
					sep = "&"
				}
				got := f.s.Do(t, rt.Method, req.path+sep+c.query, tok, req.body)
				if got.Status != 400 || got.ErrorCode() != "invalid" || got.ErrorField() != c.field {
					t.Errorf("%s ?%s: %d %s, want 400 invalid field %q", route, c.query, got.Status, clip(got.Body), c.field)
				}
			}
		}
	})
}
