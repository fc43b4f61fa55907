package jsonapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
)

// listJSON is every list response: {"items": [...], "next_cursor": ...}.
// next_cursor is null on the last page.
type listJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Cursors are opaque to clients: base64url of the last id on the page.
func encodeCursor(id string) *string {
	if id == "" {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(id))
	return &s
}

func decodeCursor(s, kind string) (domain.ID, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !domain.ValidID(kind, string(b)) {
		return "", domain.Invalid("cursor", "the cursor is not one this list returned")
	}
	return domain.ID(b), nil
}

// pageParams reads cursor and limit (1..200, default 50).
func pageParams(r *http.Request, kind string) (domain.ID, int, error) {
	q := r.URL.Query()
	cursor, err := decodeCursor(q.Get("cursor"), kind)
	if err != nil {
		return "", 0, err
	}
	limit := domain.DefaultPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > domain.MaxPageSize {
			return "", 0, domain.Invalid("limit", "limit must be a whole number from 1 to %d", domain.MaxPageSize)
		}
		limit = n
	}
	return cursor, limit, nil
}

// queryTime parses an RFC 3339 time query parameter.
func queryTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, domain.Invalid(name, "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z", name)
	}
	return t, nil
}

// queryID parses an optional id query parameter of kind.
func queryID(q url.Values, name, kind string) (domain.ID, error) {
	v := q.Get(name)
	if v == "" {
		return "", nil
	}
	return domain.ParseID(kind, name, v)
}

// checkQuery refuses query parameters the endpoint does not know, so a
// misspelt filter is an error rather than a silently wider result.
func checkQuery(q url.Values, allowed ...string) error {
	for k, vs := range q {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			if k == "" {
				return domain.Invalid("query", "the query has a parameter without a name")
			}
			k = clip(k, 64)
			return domain.Invalid(k, "unknown query parameter %q", k)
		}
		if len(vs) > 1 {
			return domain.Invalid(k, "%s is given more than once", k)
		}
	}
	return nil
}

// clip shortens caller-supplied names echoed in error messages to at
// most n bytes, never splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
