package jsonapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// Optimistic concurrency. Every record carries a version (1, then one
// more with every change). Responses that return one record carry it as a
// strong entity tag, ETag: "7" — the version in quotes, the same number as
// the body's "version" — and a change sent with If-Match: "7" is made only
// if the record is still at version 7; otherwise it is refused with 412
// precondition_failed and nothing changes. The tag names the record's
// state, which every reader's view of it (masked or not) is derived from;
// it is not a hash of the bytes one reader was shown.
//
// If-Match is honoured on the routes in honoursIfMatch; every other route
// refuses it (400), so a client never believes a change was conditional
// when it was not.

// maxIfMatchTags bounds the entity tags one If-Match may list.
const maxIfMatchTags = 64

// recordJSON is a record as the API shows it, with its version.
type recordJSON interface {
	version() int64
}

// etagOf is the entity tag of a record at version v.
func etagOf(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// writeRecord writes one record with its ETag.
func writeRecord(w http.ResponseWriter, status int, v recordJSON) {
	w.Header().Set("ETag", etagOf(v.version()))
	writeJSON(w, status, v)
}

// honoursIfMatch reports whether the route (method and pattern) makes its
// change conditional on If-Match.
func honoursIfMatch(route string) bool {
	switch route {
	case "PATCH /api/v1/customers/{id}", "PATCH /api/v1/contacts/{id}", "PATCH /api/v1/deals/{id}",
		"PATCH /api/v1/visits/{id}", "PATCH /api/v1/notes/{id}", "PATCH /api/v1/tasks/{id}",
		"POST /api/v1/visits/{id}/check-in", "POST /api/v1/visits/{id}/check-out":
		return true
	}
	return false
}

// checkIfMatch refuses If-Match on a route that does not honour it.
func checkIfMatch(r *http.Request, honoured bool) error {
	if !honoured && len(r.Header.Values("If-Match")) > 0 {
		return domain.Invalid("If-Match", "this request does not take If-Match; it is honoured on PATCH of a record and on visit check-in and check-out")
	}
	return nil
}

// ifMatch reads the request's If-Match header fields (several fields are
// one comma-separated list) into a precondition; no header demands
// nothing.
func ifMatch(r *http.Request) (domain.Precondition, error) {
	vals := r.Header.Values("If-Match")
	if len(vals) == 0 {
		return domain.Precondition{}, nil
	}
	return ParseIfMatch(strings.Join(vals, ","))
}

// ParseIfMatch parses an If-Match field value (RFC 9110, section 13.1.1):
// "*", or a comma-separated list of entity tags, each an optional W/ and
// a quoted string of visible ASCII (or obs-text) without quotes. Empty
// list elements are allowed, as the list syntax says; at least one tag
// is required. A tag Custos may have issued — the decimal form of a
// version — names that version; any other well-formed tag (a weak one,
// which never matches under the strong comparison If-Match uses, or one
// of another server) names none. Malformed values are refused naming
// If-Match and a byte offset, never repeating the value.
func ParseIfMatch(v string) (domain.Precondition, error) {
	var pre domain.Precondition
	if strings.TrimSpace(v) == "*" {
		pre.Any = true
		return pre, nil
	}
	tags := 0
	for i := 0; i < len(v); {
		switch c := v[i]; {
		case c == ' ' || c == '\t' || c == ',':
			i++
			continue
		case c == '*':
			return pre, malformedIfMatch(i, "* must stand alone")
		}
		start := i
		weak := false
		if strings.HasPrefix(v[i:], "W/") {
			weak = true
			i += 2
		}
		if i >= len(v) || v[i] != '"' {
			return pre, malformedIfMatch(i, "an entity tag is a quoted string (\"7\")")
		}
		i++
		open := i
		for i < len(v) && v[i] != '"' {
			if c := v[i]; c < 0x21 || c == 0x7f {
				return pre, malformedIfMatch(i, "an entity tag holds visible characters only")
			}
			i++
		}
		if i >= len(v) {
			return pre, malformedIfMatch(start, "an entity tag is not closed with a quote")
		}
		opaque := v[open:i]
		i++
		// After a tag: optional whitespace, then a comma or the end.
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i < len(v) && v[i] != ',' {
			return pre, malformedIfMatch(i, "entity tags are separated by commas")
		}
		tags++
		if tags > maxIfMatchTags {
			return pre, malformedIfMatch(start, "more than 64 entity tags")
		}
		if n, ok := issuedVersion(opaque); ok && !weak {
			pre.Versions = append(pre.Versions, n)
		}
	}
	if tags == 0 {
		return pre, malformedIfMatch(0, "give an entity tag (\"7\") or *")
	}
	if len(pre.Versions) == 0 {
		pre.Unmatchable = true
	}
	return pre, nil
}

// issuedVersion returns the version an opaque tag names, if it is one
// Custos issues: a positive decimal number without leading zeros.
func issuedVersion(opaque string) (int64, bool) {
	n, err := strconv.ParseInt(opaque, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != opaque {
		return 0, false
	}
	return n, true
}

func malformedIfMatch(at int, why string) error {
	return domain.Invalid("If-Match", "If-Match is malformed at byte %d: %s", at, why)
}
