package jsonapi

import (
	"io"
	"net/http"
	"time"
)

// exportCustomers streams GET /api/v1/customers/export as CSV: every
// customer in the caller's scope matching the list filters, masked as the
// caller sees them.
func (api *API) exportCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkQuery(q, "owner_id", "status", "tag", "kind", "updated_since"); err != nil {
		api.writeError(w, r, err)
		return
	}
	f, err := customerFilter(q)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	opened, err := api.records.ExportCustomersCSV(r.Context(), f, func() io.Writer {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="custos-customers.csv"`)
		w.WriteHeader(http.StatusOK)
		return w
	}, func() { _ = rc.SetWriteDeadline(time.Now().Add(time.Minute)) })
	if err != nil {
		if !opened {
			api.writeError(w, r, err)
			return
		}
		// Headers are gone: abort the response so the client sees a
		// broken transfer, never a silently short export.
		api.log.Error("customer export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
}
