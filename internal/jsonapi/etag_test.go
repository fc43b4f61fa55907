package jsonapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/jsonapi"
	"github.com/custoscrm/custos/internal/testkit"
)

// versionedKind is one kind of record and a change that always changes it.
type versionedKind struct {
	name   string
	path   string // the record's URL
	change func(n int) map[string]any
}

func (w *world) versionedKinds(t *testing.T) []versionedKind {
	t.Helper()
	create := func(path string, body map[string]any) string {
		return w.id(t, w.must(t, "rep1", "POST", path, body, http.StatusCreated))
	}
	contact := create("/api/v1/customers/"+w.company1+"/contacts", map[string]any{"name": "王芳"})
	deal := create("/api/v1/deals", map[string]any{"customer_id": w.company1, "title": "冷链年度合同"})
	visit := create("/api/v1/visits", map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z"})
	note := create("/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "first"})
	task := create("/api/v1/tasks", map[string]any{"customer_id": w.company1, "title": "call back"})
	return []versionedKind{
		{"customer", "/api/v1/customers/" + w.person1, func(n int) map[string]any { return map[string]any{"industry": fmt.Sprintf("retail %d", n)} }},
		{"contact", "/api/v1/contacts/" + contact, func(n int) map[string]any { return map[string]any{"title": fmt.Sprintf("buyer %d", n)} }},
		{"deal", "/api/v1/deals/" + deal, func(n int) map[string]any { return map[string]any{"title": fmt.Sprintf("contract %d", n)} }},
		{"visit", "/api/v1/visits/" + visit, func(n int) map[string]any { return map[string]any{"notes": fmt.Sprintf("bring samples %d", n)} }},
		{"note", "/api/v1/notes/" + note, func(n int) map[string]any { return map[string]any{"body": fmt.Sprintf("note %d", n)} }},
		{"task", "/api/v1/tasks/" + task, func(n int) map[string]any { return map[string]any{"title": fmt.Sprintf("call back %d", n)} }},
	}
}

func ifMatch(v string) http.Header { return http.Header{"If-Match": {v}} }

// version reads a record's version as the API shows it and checks that its
// ETag says the same.
func (w *world) version(t *testing.T, path string) int {
	t.Helper()
	r := w.must(t, "rep1", "GET", path, nil, http.StatusOK)
	v := int(r.Map(t)["version"].(float64))
	if got, want := r.Header.Get("ETag"), fmt.Sprintf(`"%d"`, v); got != want {
		t.Fatalf("GET %s: ETag %q, version %d", path, got, v)
	}
	return v
}

// TestIfMatchOnEveryRecordKind: every record carries a version as its
// ETag; a PATCH with a stale If-Match is refused with 412 and changes
// nothing, one with the current version (or *, or in a list) goes
// through, one without If-Match applies to the latest version, and a
// malformed If-Match is a 400 that names the header and never repeats it.
func TestIfMatchOnEveryRecordKind(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		n := 0
		patch := func(k versionedKind, h http.Header) *testkit.Response {
			n++
			return w.s.DoWith(t, "PATCH", k.path, w.tok["rep1"], k.change(n), h)
		}
		for _, k := range w.versionedKinds(t) {
			if v := w.version(t, k.path); v != 1 {
				t.Fatalf("%s: a new record is at version %d", k.name, v)
			}
			r := patch(k, ifMatch(`"1"`))
			if r.Status != http.StatusOK || r.Header.Get("ETag") != `"2"` || r.Map(t)["version"] != 2.0 {
				t.Fatalf("%s: PATCH with the current version: %d %q %s", k.name, r.Status, r.Header.Get("ETag"), r.Body)
			}
			saved := w.must(t, "rep1", "GET", k.path, nil, http.StatusOK).Body

			// Stale, weak, foreign: refused, nothing changes.
			for _, stale := range []string{`"1"`, `W/"2"`, `"02"`, `"someone-else's"`, `""`} {
				r := patch(k, ifMatch(stale))
				if r.Status != http.StatusPreconditionFailed || r.ErrorCode() != "precondition_failed" || r.ErrorField() != "If-Match" {
					t.Fatalf("%s: If-Match %s: %d %s", k.name, stale, r.Status, r.Body)
				}
				if now := w.must(t, "rep1", "GET", k.path, nil, http.StatusOK).Body; string(now) != string(saved) {
					t.Fatalf("%s: a refused PATCH changed the record:\n%s\n%s", k.name, saved, now)
				}
			}
			// Malformed: 400 naming If-Match, never echoing it.
			for _, bad := range []string{`abc`, `"xyz`, `W/abc`, `"abc" "def"`, `*, "abc"`, `"a b"`, ``, `,`} {
				r := patch(k, ifMatch(bad))
				if r.Status != http.StatusBadRequest || r.ErrorField() != "If-Match" {
					t.Fatalf("%s: If-Match %q: %d %s", k.name, bad, r.Status, r.Body)
				}
				for _, s := range []string{"abc", "xyz", "def"} {
					if strings.Contains(string(r.Body), s) {
						t.Fatalf("%s: the error repeats the header: %s", k.name, r.Body)
					}
				}
			}
			if v := w.version(t, k.path); v != 2 {
				t.Fatalf("%s: refused PATCHes moved the version to %d", k.name, v)
			}

			// A list naming the current version, *, and no If-Match at all.
			for i, h := range []http.Header{ifMatch(`"9", "2"`), {"If-Match": {`"1"`, `"3"`}}, ifMatch("*"), nil} {
				r := patch(k, h)
				if want := fmt.Sprintf(`"%d"`, 3+i); r.Status != http.StatusOK || r.Header.Get("ETag") != want {
					t.Fatalf("%s: PATCH %v: %d %q %s", k.name, h, r.Status, r.Header.Get("ETag"), r.Body)
				}
			}
			if v := w.version(t, k.path); v != 6 {
				t.Fatalf("%s: at version %d after four changes", k.name, v)
			}
		}
	})
}

// TestIfMatchWhereNotHonoured: a route that would not honour If-Match
// refuses it rather than ignore it.
func TestIfMatchWhereNotHonoured(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		note := w.id(t, w.must(t, "rep1", "POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "x"}, http.StatusCreated))
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/notes/" + note, nil},
			{"DELETE", "/api/v1/notes/" + note, nil},
			{"POST", "/api/v1/notes", map[string]any{"customer_id": w.company1, "body": "y"}},
			{"PATCH", "/api/v1/users/" + string(w.ids["rep2"]), map[string]any{"display_name": "Rep Two"}},
		} {
			tok := w.tok["rep1"]
			if c.method == "PATCH" {
				tok = w.tok["admin"]
			}
			r := w.s.DoWith(t, c.method, c.path, tok, c.body, ifMatch(`"1"`))
			if r.Status != http.StatusBadRequest || r.ErrorField() != "If-Match" {
				t.Fatalf("%s %s with If-Match: %d %s", c.method, c.path, r.Status, r.Body)
			}
		}
		if n := w.count(t, "notes", ""); n != 1 {
			t.Fatalf("%d notes: a refused request changed something", n)
		}
	})
}

// TestIfMatchOnCheckInAndOut: check-in and check-out are changes of the
// visit and honour If-Match too.
func TestIfMatchOnCheckInAndOut(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		path := "/api/v1/visits/" + w.id(t, w.must(t, "rep1", "POST", "/api/v1/visits",
			map[string]any{"customer_id": w.company1, "planned_at": "2026-06-01T02:00:00Z"}, http.StatusCreated))
		w.must(t, "rep1", "PATCH", path, map[string]any{"notes": "bring samples"}, http.StatusOK) // version 2
		here := map[string]any{"lat": 22.5, "lng": 114.0}
		r := w.s.DoWith(t, "POST", path+"/check-in", w.tok["rep1"], here, ifMatch(`"1"`))
		if r.Status != http.StatusPreconditionFailed {
			t.Fatalf("stale check-in: %d %s", r.Status, r.Body)
		}
		if s := w.visitState(t, strings.TrimPrefix(path, "/api/v1/visits/")); s != "planned" {
			t.Fatalf("after a stale check-in: %s", s)
		}
		r = w.s.DoWith(t, "POST", path+"/check-in", w.tok["rep1"], here, ifMatch(`"2"`))
		if r.Status != http.StatusOK || r.Header.Get("ETag") != `"3"` {
			t.Fatalf("check-in: %d %s", r.Status, r.Body)
		}
		r = w.s.DoWith(t, "POST", path+"/check-out", w.tok["rep1"], map[string]any{"lat": 22.5, "lng": 114.0, "notes": "done"}, ifMatch(`"2"`))
		if r.Status != http.StatusPreconditionFailed {
			t.Fatalf("stale check-out: %d %s", r.Status, r.Body)
		}
	})
}

// TestConcurrentPatches: many PATCHes of one customer at once. Without
// If-Match every one is applied (a change that loses a race is made again
// on the fresh record); with the same If-Match exactly one wins and the
// others get 412.
func TestConcurrentPatches(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		w := newWorld(t, d)
		path := "/api/v1/customers/" + w.person1
		const n = 8
		run := func(prefix string, h http.Header) map[int]int {
			var mu sync.Mutex
			var wg sync.WaitGroup
			statuses := map[int]int{}
			for i := range n {
				wg.Go(func() {
					r := w.s.DoWith(t, "PATCH", path, w.tok["rep1"], map[string]any{"industry": fmt.Sprintf("%s%d", prefix, i)}, h)
					mu.Lock()
					statuses[r.Status]++
					mu.Unlock()
				})
			}
			wg.Wait()
			return statuses
		}
		if st := run("a", nil); st[http.StatusOK] != n {
			t.Fatalf("unconditional PATCHes: %v", st)
		}
		v := w.version(t, path)
		if v != 1+n {
			t.Fatalf("at version %d after %d changes", v, n)
		}
		if st := run("b", ifMatch(fmt.Sprintf(`"%d"`, v))); st[http.StatusOK] != 1 || st[http.StatusPreconditionFailed] != n-1 {
			t.Fatalf("conditional PATCHes: %v", st)
		}
	})
}

// FuzzParseIfMatch: any header value parses or is refused naming If-Match
// in plain ASCII; a parsed one names only versions Custos could issue,
// each written in the value as it would issue it.
func FuzzParseIfMatch(f *testing.F) {
	for _, s := range []string{`"1"`, `*`, `W/"2"`, `"1", "2"`, ` , "3" ,`, `"a`, `abc`, `""`, `"01"`, `"9223372036854775808"`, "\"\x80\"", `*, "1"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		pre, err := jsonapi.ParseIfMatch(v)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "If-Match") {
				t.Fatalf("error %q does not name If-Match", msg)
			}
			for i := 0; i < len(msg); i++ {
				if msg[i] >= 0x80 {
					t.Fatalf("error %q is not plain ASCII", msg)
				}
			}
			return
		}
		if pre.IsZero() {
			t.Fatalf("%q parsed to no precondition", v)
		}
		for _, ver := range pre.Versions {
			if ver < 1 || !strings.Contains(v, fmt.Sprintf(`"%d"`, ver)) {
				t.Fatalf("%q names version %d", v, ver)
			}
		}
	})
}
