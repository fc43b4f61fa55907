package attack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// HostileInput is one malformed request and the answer Custos should
// give: one of Want, with error.field naming Field when Field is set.
type HostileInput struct {
	Name    string
	Body    []byte            // nil: keep the route's own body
	Path    string            // "" keep the route's own path
	Headers map[string]string // extra headers
	Want    []int
	Field   string
}

// stringField picks the body field to inject into: a free-text field if
// there is one, else the first string field (sorted), else "".
func stringField(obj map[string]any) string {
	for _, f := range []string{"name", "title", "body", "notes", "display_name", "email", "phone", "reason", "field", "code", "password"} {
		if _, ok := obj[f].(string); ok {
			return f
		}
	}
	keys := make([]string, 0, len(obj))
	for k, v := range obj {
		if _, ok := v.(string); ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// replaceValue re-encodes obj with field's value replaced by raw JSON
// bytes (which may be invalid on purpose).
func replaceValue(obj map[string]any, field string, raw []byte) []byte {
	marker := "\x00ATTACK-PLACEHOLDER\x00"
	cp := make(map[string]any, len(obj))
	for k, v := range obj {
		cp[k] = v
	}
	cp[field] = marker
	b, _ := json.Marshal(cp)
	enc, _ := json.Marshal(marker)
	return bytes.Replace(b, enc, raw, 1)
}

// BodyCases returns the hostile bodies for a route whose valid body is
// base (a JSON object, or nil for routes that take none).
func BodyCases(base []byte, maxBody int64) []HostileInput {
	bad := []int{http.StatusBadRequest}
	var cases []HostileInput
	pad := strings.Repeat("A", int(maxBody)+1)
	cases = append(cases, HostileInput{Name: "oversized body (max-body-bytes + 16)", Body: []byte(`{"x":"` + pad + `"}`),
		Want: []int{http.StatusRequestEntityTooLarge}})
	depth := int(min(maxBody/2-16, 200000))
	nested := `{"x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
	cases = append(cases, HostileInput{Name: fmt.Sprintf("JSON nested %d deep", depth), Body: []byte(nested), Want: bad})
	cases = append(cases, HostileInput{Name: "raw NUL byte in the body", Body: []byte("{\"x\x00\":1}"), Want: bad})
	var obj map[string]any
	if len(base) == 0 || json.Unmarshal(base, &obj) != nil || len(obj) == 0 {
		return cases
	}
	// {"name":"A","name":"B"}: a string field again with another valid
	// value (else the first key again with its own value), so that only
	// the duplicate can be the reason to refuse it.
	dupKey := stringField(obj)
	var dupVal []byte
	if dupKey != "" {
		dupVal, _ = json.Marshal(obj[dupKey].(string) + " B")
	} else {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dupKey = keys[0]
		dupVal, _ = json.Marshal(obj[dupKey])
	}
	sameVal, _ := json.Marshal(obj[dupKey])
	open := bytes.TrimSuffix(bytes.TrimSpace(base), []byte("}"))
	dup := append(append([]byte(nil), open...), []byte(fmt.Sprintf(`,%q:%s}`, dupKey, dupVal))...)
	cases = append(cases, HostileInput{Name: "duplicate key " + dupKey, Body: dup, Want: bad, Field: dupKey})
	// {"name":…,"NAME":…}: the same key in upper case, same value (Go's
	// decoder matches keys without regard to case).
	upper := append(append([]byte(nil), open...), []byte(fmt.Sprintf(`,%q:%s}`, strings.ToUpper(dupKey), sameVal))...)
	cases = append(cases, HostileInput{Name: "same key in upper case " + strings.ToUpper(dupKey), Body: upper, Want: bad, Field: strings.ToUpper(dupKey)})
	f := stringField(obj)
	if f == "" {
		return cases
	}
	s, _ := obj[f].(string)
	q, _ := json.Marshal(s)
	inner := q[1 : len(q)-1]
	with := func(raw string) []byte {
		return replaceValue(obj, f, []byte(`"`+string(inner)+raw+`"`))
	}
	cases = append(cases,
		HostileInput{Name: "escaped NUL (\\u0000) in " + f, Body: with(`\u0000`), Want: bad, Field: f},
		HostileInput{Name: "invalid UTF-8 bytes (\\xff\\xfe) in " + f, Body: with("\xff\xfe"), Want: bad, Field: f},
		HostileInput{Name: "lone surrogate (\\ud800) in " + f, Body: with(`\ud800`), Want: bad, Field: f},
		HostileInput{Name: "overlong UTF-8 (\\xc0\\xaf) in " + f, Body: with("\xc0\xaf"), Want: bad, Field: f},
	)
	return cases
}

// QueryCases returns hostile query strings and headers for a route at
// path taking query parameter param.
func QueryCases(path, param string) []HostileInput {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	bad := []int{http.StatusBadRequest}
	tooBig := []int{http.StatusBadRequest, http.StatusRequestURITooLong, http.StatusRequestHeaderFieldsTooLarge}
	return []HostileInput{
		{Name: "malformed percent-escape in " + param, Path: path + sep + param + "=inactive%zz", Want: bad, Field: param},
		{Name: "truncated percent-escape in " + param, Path: path + sep + param + "=abc%4", Want: bad, Field: param},
		{Name: "NUL (%00) in " + param, Path: path + sep + param + "=a%00b", Want: bad, Field: param},
		{Name: "invalid UTF-8 (%ff%fe) in " + param, Path: path + sep + param + "=%ff%fe", Want: bad, Field: param},
		{Name: "same parameter twice", Path: path + sep + param + "=a&" + param + "=b", Want: bad, Field: param},
		{Name: "huge query string (100 KiB)", Path: path + sep + param + "=" + strings.Repeat("a", 100<<10), Want: tooBig},
	}
}

// HeaderCases returns hostile headers.
func HeaderCases() []HostileInput {
	return []HostileInput{
		{Name: "huge header (100 KiB)", Headers: map[string]string{"X-Attack-Filler": strings.Repeat("a", 100<<10)},
			Want: []int{http.StatusRequestHeaderFieldsTooLarge}},
		{Name: "many headers (2,000)", Headers: manyHeaders(2000), Want: []int{http.StatusRequestHeaderFieldsTooLarge}},
	}
}

func manyHeaders(n int) map[string]string {
	h := make(map[string]string, n)
	for i := 0; i < n; i++ {
		h[fmt.Sprintf("X-Attack-%d", i)] = strings.Repeat("b", 40)
	}
	return h
}

// runHostile sends the catalogue to every route that takes a body or a
// query, as a caller the route accepted in the matrix.
func (e *env) runHostile(ctx context.Context, p *PartResult, srv *Server, w *World) {
	recipes := Recipes()
	c := NewClient(srv.URL, 2)
	routes := APIRoutes()
	tried, wrong, accepted, unclear, changed := 0, 0, 0, 0, 0
	for _, rt := range routes {
		rc := recipes[rt.Key()]
		if rc == nil {
			continue
		}
		takesBody := rt.Method == "POST" || rt.Method == "PATCH" || rt.Method == "PUT"
		if !takesBody && len(rc.Query) == 0 {
			continue
		}
		role, rel := successRole(w, rc)
		if role == "" {
			p.note("%s: no role succeeds on it; skipped", rt.Key())
			continue
		}
		cell := Cell{Route: rt, Role: role, Rel: rel}
		if len(rc.Variants) > 0 {
			cell.Variant = rc.Variants[0]
		}
		// Each input is sent on a freshly built request (creates need
		// fresh unique values, destructive routes fresh records); the
		// body cases are derived from that request's own body.
		probe, err := rc.Build(ctx, w, cell)
		if err != nil {
			p.fail("%s: could not build a valid request: %v", rt.Key(), err)
			continue
		}
		// Uploads are not JSON: their hostile bodies are the import
		// tests' (bad encodings, huge lines, over the limit).
		takesBody = takesBody && probe.Body != nil && probe.ContentType == ""
		var cases []HostileInput
		nBody := 0
		if takesBody {
			base, _ := json.Marshal(probe.Body)
			cases = append(cases, BodyCases(base, e.opts.MaxBodyBytes)...)
			nBody = len(cases)
		}
		if len(rc.Query) > 0 {
			params := make([]string, 0, len(rc.Query))
			for k := range rc.Query {
				params = append(params, k)
			}
			sort.Strings(params)
			param := params[0]
			for _, pref := range []string{"status", "customer_id", "q", "limit", "seq", "from", "cascade", "user_id"} {
				if _, ok := rc.Query[pref]; ok {
					param = pref
					break
				}
			}
			cases = append(cases, QueryCases("", param)...)
			cases = append(cases, HeaderCases()...)
		}
		for i, hc := range cases {
			req, err := rc.Build(ctx, w, cell)
			if err != nil {
				p.fail("%s: could not build a valid request: %v", rt.Key(), err)
				break
			}
			if i < nBody {
				base, _ := json.Marshal(req.Body)
				if fresh := BodyCases(base, e.opts.MaxBodyBytes); len(fresh) == nBody {
					hc = fresh[i]
				}
			}
			tok := req.Token
			if tok == "" {
				tok = w.Actors[role].Token
			}
			if rt.Public {
				tok = ""
			}
			raw := Raw{Method: rt.Method, Path: req.Path + hc.Path, Token: tok, Headers: hc.Headers}
			switch {
			case hc.Body != nil:
				raw.Body = hc.Body
			case req.ContentType != "":
				raw.Body, _ = req.Body.([]byte)
				if _, ok := raw.Headers["Content-Type"]; !ok {
					raw.Headers = maps.Clone(raw.Headers)
					if raw.Headers == nil {
						raw.Headers = map[string]string{}
					}
					raw.Headers["Content-Type"] = req.ContentType
				}
			case req.Body != nil:
				raw.Body, _ = json.Marshal(req.Body)
			}
			var before *Response
			if rt.Method == "PATCH" || rt.Method == "PUT" {
				before, _ = c.Do(ctx, "GET", req.Path, tok, nil)
			}
			r, err := c.DoRaw(ctx, raw)
			tried++
			p.Checks++
			what := fmt.Sprintf("%s as %s, %s", rt.Key(), role, hc.Name)
			if err != nil {
				wrong++
				p.fail("%s: no answer: %v", what, err)
				continue
			}
			switch {
			case r.Status < 300 || r.Status >= 500:
				accepted++
				p.fail("%s: accepted wrongly with %d (want %v): %s", what, r.Status, hc.Want, clipBytes(r.Body, 120))
			case !slices.Contains(hc.Want, r.Status):
				wrong++
				p.fail("%s: status %d, want %v: %s", what, r.Status, hc.Want, clipBytes(r.Body, 120))
			case r.Status != http.StatusRequestHeaderFieldsTooLarge && r.ErrorCode() == "":
				// (431 comes from Go's HTTP server before any handler runs.)
				unclear++
				p.fail("%s: %d without a JSON error body: %s", what, r.Status, clipBytes(r.Body, 120))
			case hc.Field != "" && r.ErrorField() == "":
				unclear++
				p.fail("%s: %d, but the error names no field (want %q): %s", what, r.Status, hc.Field, clipBytes(r.Body, 160))
			}
			if before != nil && before.Status == http.StatusOK && r.Status >= 300 {
				after, err := c.Do(ctx, "GET", req.Path, tok, nil)
				if err == nil && !bytes.Equal(stripVolatile(before.Body), stripVolatile(after.Body)) {
					changed++
					p.fail("%s: refused with %d but the record changed", what, r.Status)
				}
			}
		}
	}
	p.fig("inputs tried / accepted wrongly", "%d / %d", tried, accepted)
	p.fig("wrong 4xx status / unclear error", "%d / %d", wrong, unclear)
	p.fig("records changed by a refused input", "%d", changed)
}

// stripVolatile removes nothing today: GET answers of an unchanged record
// are byte for byte equal. It exists so a future volatile field has one
// place to go.
func stripVolatile(b []byte) []byte { return b }
