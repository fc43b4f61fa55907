package jsonapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// checkInput refuses, for every route and before anything else reads the
// request, input that handlers would otherwise read only in part or
// rewritten: a query string url.ParseQuery cannot parse whole (it drops
// the pairs it cannot read, so a filter with a malformed percent-escape
// would silently vanish and widen a list), query names and values that
// are not valid UTF-8 once decoded, a parameter given twice (readers
// disagree on which one counts), any parameter at all on a route that
// takes none (takesQuery), and a User-Agent that is not valid UTF-8 (it
// is stored with sessions and shown in their list).
func checkInput(r *http.Request, takesQuery bool) error {
	if raw := r.URL.RawQuery; raw != "" {
		q, err := checkQueryString(raw)
		if err != nil {
			return err
		}
		if !takesQuery {
			if err := checkQuery(q); err != nil {
				return err
			}
		}
	}
	for _, v := range r.Header.Values("User-Agent") {
		if at := domain.InvalidUTF8At(v); at >= 0 {
			return domain.Invalid("User-Agent", "the User-Agent header is not valid UTF-8 (byte %d)", at)
		}
	}
	return nil
}

// takesQuery reports whether the route (method and pattern) reads query
// parameters; its handler refuses the ones it does not know (checkQuery).
// Every other route takes none and checkInput refuses any, so a filter
// sent where there is none is an error rather than ignored.
func takesQuery(route string) bool {
	switch route {
	case "GET /api/v1/customers", "GET /api/v1/customers/export", "DELETE /api/v1/customers/{id}",
		"GET /api/v1/customers/{id}/contacts", "GET /api/v1/deals", "GET /api/v1/visits",
		"GET /api/v1/notes", "GET /api/v1/tasks", "GET /api/v1/sessions", "GET /api/v1/tokens",
		"GET /api/v1/audit/proofs/inclusion", "GET /api/v1/audit/proofs/consistency",
		"GET /api/v1/audit/events", "GET /api/v1/audit/export", "POST /api/v1/imports/{kind}",
		"GET /api/v1/pool/customers", "GET /api/v1/notifications":
		return true
	}
	return false
}

// checkQueryString parses and validates a raw query string. url.ParseQuery
// is the authority (handlers read the query through it); when it fails,
// the error names the parameter and byte offset where it did.
func checkQueryString(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, queryError(raw)
	}
	for k, vs := range q {
		if at := domain.InvalidUTF8At(k); at >= 0 {
			return nil, domain.Invalid("query", "a query parameter name is not valid UTF-8 (byte %d of the decoded name)", at)
		}
		field, what := clip(k, 64), clip(k, 64)
		if k == "" {
			field, what = "query", "a query parameter without a name"
		}
		if len(vs) > 1 {
			return nil, domain.Invalid(field, "%s is given more than once", what)
		}
		for _, v := range vs {
			if at := domain.InvalidUTF8At(v); at >= 0 {
				return nil, domain.Invalid(field, "%s is not valid UTF-8 (byte %d of the decoded value)", what, at)
			}
		}
	}
	return q, nil
}

// queryError explains why url.ParseQuery refused raw, pair by pair as it
// reads them, naming the parameter when its name can be read.
func queryError(raw string) error {
	off := 0
	for rest := raw; rest != ""; {
		pair, next, _ := strings.Cut(rest, "&")
		if i := strings.IndexByte(pair, ';'); i >= 0 {
			return domain.Invalid("query", "the query string has a ';' at byte %d; separate parameters with '&' and escape ';' as %%3B", off+i)
		}
		k, v, hasValue := strings.Cut(pair, "=")
		if i := badEscape(k); i >= 0 {
			return domain.Invalid("query", "a query parameter name has a malformed percent-escape at byte %d", off+i)
		}
		if hasValue {
			if i := badEscape(v); i >= 0 {
				field := "query"
				if name, err := url.QueryUnescape(k); err == nil && domain.InvalidUTF8At(name) < 0 && name != "" {
					field = clip(name, 64)
				}
				return domain.Invalid(field, "%s has a malformed percent-escape at byte %d of the query string", field, off+len(k)+1+i)
			}
		}
		off += len(pair) + 1
		rest = next
	}
	// url.ParseQuery also refuses a query with too many parameters.
	return domain.Invalid("query", "the query string cannot be read")
}

// badEscape returns the offset of the first '%' in s not followed by two
// hexadecimal digits, or -1.
func badEscape(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return i
		}
		i += 2
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
