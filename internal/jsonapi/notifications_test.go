package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/testkit"
)

// TestNotificationInbox: each user reads and marks their own
// notifications, newest first, unread ones on their own, by page; nobody
// reaches another's; the notifications hold ids and field names, never
// personal data.
func TestNotificationInbox(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newPoolWorld(t, d, nil)
		w.must(t, "manager", "POST", "/api/v1/customers/"+w.person1+"/reclaim", nil, http.StatusNoContent)
		w.must(t, "manager", "POST", "/api/v1/customers/"+w.company1+"/reclaim", nil, http.StatusNoContent)
		type page struct {
			Items []struct {
				ID       string            `json:"id"`
				Kind     string            `json:"kind"`
				RecordID string            `json:"record_id"`
				Params   map[string]string `json:"params"`
				ReadAt   *string           `json:"read_at"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		var all, first, second, unread page
		r := w.must(t, "rep1", "GET", "/api/v1/notifications", nil, http.StatusOK)
		r.JSON(t, &all)
		if len(all.Items) != 2 || all.Items[0].RecordID != w.company1 || all.Items[1].RecordID != w.person1 || all.Items[0].ReadAt != nil {
			t.Fatalf("rep1's inbox: %s", r.Body)
		}
		for _, secret := range []string{"张伟", "13800138000", "恒信"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("a notification holds %q: %s", secret, r.Body)
			}
		}
		w.must(t, "rep1", "GET", "/api/v1/notifications?limit=1", nil, http.StatusOK).JSON(t, &first)
		if len(first.Items) != 1 || first.NextCursor == nil {
			t.Fatalf("first page: %+v", first)
		}
		w.must(t, "rep1", "GET", "/api/v1/notifications?limit=1&cursor="+*first.NextCursor, nil, http.StatusOK).JSON(t, &second)
		if len(second.Items) != 1 || second.Items[0].ID != all.Items[1].ID || second.NextCursor != nil {
			t.Fatalf("second page: %+v", second)
		}

		// Marking read: one's own only; twice is fine.
		w.must(t, "rep2", "POST", "/api/v1/notifications/"+all.Items[0].ID+"/read", nil, http.StatusNotFound)
		w.must(t, "admin", "POST", "/api/v1/notifications/"+all.Items[0].ID+"/read", nil, http.StatusNotFound)
		w.must(t, "rep1", "POST", "/api/v1/notifications/"+all.Items[0].ID+"/read", nil, http.StatusNoContent)
		w.must(t, "rep1", "POST", "/api/v1/notifications/"+all.Items[0].ID+"/read", nil, http.StatusNoContent)
		w.must(t, "rep1", "GET", "/api/v1/notifications?unread=true", nil, http.StatusOK).JSON(t, &unread)
		if len(unread.Items) != 1 || unread.Items[0].ID != all.Items[1].ID {
			t.Fatalf("unread after marking one: %+v", unread)
		}
		w.must(t, "rep2", "GET", "/api/v1/notifications", nil, http.StatusOK).JSON(t, &unread)
		if len(unread.Items) != 0 {
			t.Fatalf("rep2 sees %+v", unread)
		}

		// Bad input names the parameter.
		for _, c := range []struct{ path, field string }{
			{"/api/v1/notifications?unread=yes", "unread"},
			{"/api/v1/notifications?cursor=bm90IGEgY3Vyc29y", "cursor"},
			{"/api/v1/notifications?limit=201", "limit"},
			{"/api/v1/notifications?kind=pool.returned", "kind"},
			{"/api/v1/notifications?unread=true&unread=false", "unread"},
		} {
			expectError(t, w.do(t, "rep1", "GET", c.path, nil), http.StatusBadRequest, c.field)
		}
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/notifications/cus_x/read", nil), http.StatusBadRequest, "id")
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/notifications/"+all.Items[1].ID+"/read", map[string]any{"read": true}), http.StatusBadRequest, "read")
		if n := w.count(t, "notifications", "read_at IS NULL"); n != 1 {
			t.Fatalf("%d unread notifications after bad input, want 1", n)
		}
	})
}
