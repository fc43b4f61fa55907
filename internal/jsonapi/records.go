package jsonapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Handlers for records with the usual shape: create from a JSON input,
// get, patch and delete by the {id} path value of one id kind, and lists
// filtered by query parameters. Endpoints that take no query parameters
// refuse any, like every list refuses unknown ones.

func createHandler[I, T any, J recordJSON](api *API, create func(context.Context, *I) (T, error), toJSON func(T) J, location func(T) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkQuery(r.URL.Query()); err != nil {
			api.writeError(w, r, err)
			return
		}
		var in I
		if err := decodeJSON(r, &in); err != nil {
			api.writeError(w, r, err)
			return
		}
		x, err := create(r.Context(), &in)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		w.Header().Set("Location", location(x))
		writeRecord(w, http.StatusCreated, toJSON(x))
	}
}

func getHandler[T any, J recordJSON](api *API, kind string, get func(context.Context, domain.ID) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := recordID(r, kind)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		x, err := get(r.Context(), id)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		writeRecord(w, http.StatusOK, toJSON(x))
	}
}

// actionHandler serves a change of one record that takes a JSON body
// (PATCH, check-in, check-out) and honours If-Match.
func actionHandler[P, T any, J recordJSON](api *API, kind string, act func(context.Context, domain.ID, *P, domain.Precondition) (T, error), toJSON func(T) J) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := recordID(r, kind)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		pre, err := ifMatch(r)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		var p P
		if err := decodeJSON(r, &p); err != nil {
			api.writeError(w, r, err)
			return
		}
		x, err := act(r.Context(), id, &p, pre)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		writeRecord(w, http.StatusOK, toJSON(x))
	}
}

func deleteHandler(api *API, kind string, del func(context.Context, domain.ID) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := recordID(r, kind)
		if err != nil {
			api.writeError(w, r, err)
			return
		}
		if err := del(r.Context(), id); err != nil {
			api.writeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// recordID parses the {id} path value of kind on an endpoint that takes
// no query parameters.
func recordID(r *http.Request, kind string) (domain.ID, error) {
	if err := checkQuery(r.URL.Query()); err != nil {
		return "", err
	}
	return pathID(r, kind)
}

// listQuery holds what every record list takes: cursor, limit and
// updated_since, and the remaining parameters.
type listQuery struct {
	q      url.Values
	cursor domain.ID
	limit  int
	since  time.Time
}

// parseList reads a list's query, refusing parameters other than cursor,
// limit, updated_since and those in filters.
func parseList(r *http.Request, kind string, filters ...string) (listQuery, error) {
	lq := listQuery{q: r.URL.Query()}
	if err := checkQuery(lq.q, append([]string{"cursor", "limit", "updated_since"}, filters...)...); err != nil {
		return lq, err
	}
	var err error
	if lq.cursor, lq.limit, err = pageParams(r, kind); err != nil {
		return lq, err
	}
	lq.since, err = queryTime(lq.q, "updated_since")
	return lq, err
}

// id parses an optional id filter of kind.
func (lq listQuery) id(name, kind string, err *error) domain.ID {
	if *err != nil {
		return ""
	}
	var id domain.ID
	id, *err = queryID(lq.q, name, kind)
	return id
}

// enum parses an optional filter that must satisfy valid.
func (lq listQuery) enum(name string, valid func(string) bool, msg string, err *error) string {
	v := lq.q.Get(name)
	if *err != nil || v == "" {
		return ""
	}
	if !valid(v) {
		*err = domain.Invalid(name, "%s", msg)
		return ""
	}
	return v
}

// writePage answers a list page as {"items": [...], "next_cursor": ...}.
func writePage[T, J any](w http.ResponseWriter, page domain.Page[T], toJSON func(T) J) {
	items := make([]J, len(page.Items))
	for i, x := range page.Items {
		items[i] = toJSON(x)
	}
	writeJSON(w, http.StatusOK, listJSON[J]{Items: items, NextCursor: encodeCursor(page.NextCursor)})
}

// optTime shows an optional time: absent when zero.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
