package jsonapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/testkit"
)

func TestNotes(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		r := w.must(t, "rep1", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "客户偏好上午送货。\nPrefers morning deliveries."}, http.StatusCreated)
		n := r.Map(t)
		id := n["id"].(string)
		if n["author_id"] != string(w.ids["rep1"]) || !strings.HasPrefix(n["body"].(string), "客户偏好") {
			t.Fatalf("create: %s", r.Body)
		}
		other := w.id(t, w.must(t, "rep2", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company2, "body": "Northwind: call before noon"}, http.StatusCreated))
		w.must(t, "rep1", "PATCH", "/api/v1/notes/"+id, map[string]any{"body": "Updated"}, http.StatusOK)
		if g := w.must(t, "rep1", "GET", "/api/v1/notes/"+id, nil, http.StatusOK).Map(t); g["body"] != "Updated" {
			t.Fatalf("get: %v", g)
		}
		// Lists: the rep sees their own customers' notes, service sees all.
		if got := listAll(t, w, "rep1", "/api/v1/notes?", 1); len(got) != 1 || got[0] != id {
			t.Fatalf("rep1 notes: %v", got)
		}
		if got := listAll(t, w, "service", "/api/v1/notes?", 1); len(got) != 2 || got[0] != other {
			t.Fatalf("service notes: %v", got)
		}
		if got := listAll(t, w, "service", "/api/v1/notes?customer_id="+w.company2, 5); len(got) != 1 || got[0] != other {
			t.Fatalf("filtered notes: %v", got)
		}
		// Scope: rep2 reaches none of rep1's notes and changes nothing.
		w.must(t, "rep2", "GET", "/api/v1/notes/"+id, nil, http.StatusNotFound)
		w.must(t, "rep2", "PATCH", "/api/v1/notes/"+id, map[string]any{"body": "hijacked"}, http.StatusNotFound)
		w.must(t, "rep2", "DELETE", "/api/v1/notes/"+id, nil, http.StatusNotFound)
		// The administrator sees note bodies masked and may not write them.
		if a := w.must(t, "admin", "GET", "/api/v1/notes/"+id, nil, http.StatusOK).Map(t); a["body"] != "****" {
			t.Fatalf("admin view: %v", a)
		}
		expectError(t, w.do(t, "admin", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "x"}), 403, "body")
		expectError(t, w.do(t, "admin", "PATCH", "/api/v1/notes/"+id, map[string]any{"body": "x"}), 403, "body")
		// Finance reads notes but has no notes.write.
		w.must(t, "finance", "PATCH", "/api/v1/notes/"+id, map[string]any{"body": "x"}, http.StatusForbidden)
		for _, tc := range []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"empty body", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": " "}, "body"},
			{"too long", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": strings.Repeat("字", 10001)}, "body"},
			{"bidi control", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "a\u202eb"}, "body"},
			{"task id as note", "GET", "/api/v1/notes/tsk_01jq0000000000000000000000", nil, "id"},
			{"author is not input", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "x", "author_id": string(w.ids["rep2"])}, "author_id"},
			{"unknown filter", "GET", "/api/v1/notes?assignee_id=" + string(w.ids["rep1"]), nil, "assignee_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectError(t, w.do(t, "rep1", tc.method, tc.path, tc.body), 400, tc.field)
			})
		}
		if g := w.must(t, "rep1", "GET", "/api/v1/notes/"+id, nil, http.StatusOK).Map(t); g["body"] != "Updated" || w.count(t, "notes", "") != 2 {
			t.Fatalf("stored notes changed: %v", g)
		}
		w.must(t, "rep1", "DELETE", "/api/v1/notes/"+id, nil, http.StatusNoContent)
		if w.count(t, "notes", "id = ?", id) != 0 {
			t.Fatal("note still stored after delete")
		}
	})
}

func TestTasks(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		r := w.must(t, "rep1", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": "发送报价单", "due_at": "2026-06-01T09:00:00+08:00"}, http.StatusCreated)
		tk := r.Map(t)
		id := tk["id"].(string)
		if tk["status"] != "open" || tk["assignee_id"] != string(w.ids["rep1"]) || tk["due_at"] != "2026-06-01T01:00:00Z" {
			t.Fatalf("create: %s", r.Body)
		}
		done := w.id(t, w.must(t, "rep1", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.person1, "title": "Call back", "status": "done"}, http.StatusCreated))
		mgr := w.id(t, w.must(t, "manager", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company2, "title": "Review pricing", "assignee_id": string(w.ids["rep2"])}, http.StatusCreated))
		expectError(t, w.do(t, "rep1", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": "x", "assignee_id": string(w.ids["rep2"])}), 403, "assignee_id")

		for _, tc := range []struct {
			who, query string
			want       []string
		}{
			{"manager", "", []string{mgr, done, id}},
			{"manager", "status=open", []string{mgr, id}},
			{"manager", "assignee_id=" + string(w.ids["rep2"]), []string{mgr}},
			{"manager", "customer_id=" + w.person1, []string{done}},
			{"rep1", "", []string{done, id}},
			{"rep2", "", []string{mgr}},
		} {
			got := listAll(t, w, tc.who, "/api/v1/tasks?"+tc.query, 2)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s ?%s: got %v, want %v", tc.who, tc.query, got, tc.want)
			}
		}
		p := w.must(t, "rep1", "PATCH", "/api/v1/tasks/"+id, map[string]any{"status": "done", "due_at": ""}, http.StatusOK).Map(t)
		if p["status"] != "done" || p["due_at"] != nil {
			t.Fatalf("patch: %v", p)
		}
		w.must(t, "rep2", "PATCH", "/api/v1/tasks/"+id, map[string]any{"status": "open"}, http.StatusNotFound)
		w.must(t, "finance", "PATCH", "/api/v1/tasks/"+id, map[string]any{"status": "open"}, http.StatusForbidden)
		for _, tc := range []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"no title", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1}, "title"},
			{"bad status", "POST", "/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": "x", "status": "waiting"}, "status"},
			{"bad due", "PATCH", "/api/v1/tasks/" + id, map[string]any{"due_at": "2026-13-01T00:00:00Z"}, "due_at"},
			{"due wrong type", "PATCH", "/api/v1/tasks/" + id, map[string]any{"due_at": 1700000000}, "due_at"},
			{"bad status filter", "GET", "/api/v1/tasks?status=closed", nil, "status"},
			{"note id as task", "DELETE", "/api/v1/tasks/not_01jq0000000000000000000000", nil, "id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectError(t, w.do(t, "rep1", tc.method, tc.path, tc.body), 400, tc.field)
			})
		}
		var status string
		w.row(t, "SELECT status FROM tasks WHERE id = ?", []any{id}, &status)
		if status != "done" || w.count(t, "tasks", "") != 3 || w.count(t, "tasks", "due_at IS NULL") != 3 {
			t.Fatalf("stored tasks changed: %s", status)
		}
	})
}
