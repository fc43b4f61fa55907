package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestRecordEndpointsAuth tries every contact, deal, visit, note and task
// endpoint anonymously (401) and as the auditor, whose role has none of
// their functions (403), and checks nothing was written.
func TestRecordEndpointsAuth(t *testing.T) {
	w := newWorld(t, testkit.SQLite)
	now := time.Now()
	kinds := map[string]string{
		"/api/v1/customers/": domain.KindCustomer, "/api/v1/contacts/": domain.KindContact, "/api/v1/deals/": domain.KindDeal,
		"/api/v1/visits/": domain.KindVisit, "/api/v1/notes/": domain.KindNote, "/api/v1/tasks/": domain.KindTask,
	}
	tried := 0
	for _, rt := range w.a.API.Routes() {
		if !recordRoute(rt.Pattern) {
			continue
		}
		prefix, _, hasID := strings.Cut(rt.Pattern, "{id}")
		path := rt.Pattern
		if hasID {
			path = strings.Replace(path, "{id}", string(domain.NewIDAt(kinds[prefix], now)), 1)
		}
		var body any
		if rt.Method == "POST" || rt.Method == "PATCH" {
			body = "{}"
		}
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			if r := w.do(t, "", rt.Method, path, body); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous: %d %s", r.Status, r.Body)
			}
			if r := w.do(t, "auditor", rt.Method, path, body); r.Status != http.StatusForbidden {
				t.Errorf("auditor: %d %s", r.Status, r.Body)
			}
		})
		tried++
	}
	if tried != 27 {
		t.Fatalf("tried %d endpoints, want 27", tried)
	}
	for _, table := range []string{"contacts", "deals", "visits", "notes", "tasks"} {
		if n := w.count(t, table, ""); n != 0 {
			t.Errorf("%d rows in %s", n, table)
		}
	}
}

func recordRoute(pattern string) bool {
	for _, seg := range []string{"/contacts", "/deals", "/visits", "/notes", "/tasks"} {
		if strings.Contains(pattern, seg) {
			return true
		}
	}
	return false
}
