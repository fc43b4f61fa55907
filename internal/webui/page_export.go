package webui

import (
	"io"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Export: roles with customers.export download their scope's customers
// as CSV, masked as they see them. The records service asks for a fresh
// authentication (step-up) and records every page on the audit log
// before it is written; the page only streams what the service hands on.

func (u *UI) exportRoutes() []route {
	return []route{
		{"GET /export", u.signedIn(u.exportPage)},
		{"POST /export", u.signedIn(u.exportDownload)},
	}
}

// exportStatuses are the customer statuses the form can narrow to.
var exportStatuses = []domain.CustomerStatus{domain.StatusLead, domain.StatusProspect, domain.StatusActive, domain.StatusInactive}

type exportView struct {
	base
	Statuses []domain.CustomerStatus
}

// exportPage is the export form. A role without customers.export is
// refused here as the service would refuse the download.
func (u *UI) exportPage(rq *request) {
	if !rq.actor.Role.Can(domain.FnCustomersExport) {
		u.failed(rq, domain.Forbidden("your role may not export customers"))
		return
	}
	u.render(rq, http.StatusOK, "export", &exportView{base: u.newBase(rq, "export.title"), Statuses: exportStatuses})
}

// exportDownload streams the CSV file. Step-up first when the session's
// proof is stale (the person comes back to the form and downloads
// again); an error before the first row is a page, one midway breaks the
// transfer so a short file is never taken for a whole one.
func (u *UI) exportDownload(rq *request) {
	var f domain.CustomerFilter
	if st := domain.CustomerStatus(rq.r.PostForm.Get("status")); st != "" {
		if !domain.ValidCustomerStatus(st) {
			u.failed(rq, domain.Invalid("status", "unknown status"))
			return
		}
		f.Status = st
	}
	w := rq.w
	rc := http.NewResponseController(w)
	opened, err := u.records.ExportCustomersCSV(rq.ctx, f, func() io.Writer {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="custos-customers.csv"`)
		w.WriteHeader(http.StatusOK)
		return w
	}, func() { _ = rc.SetWriteDeadline(time.Now().Add(time.Minute)) })
	if err != nil {
		if opened {
			u.log.Error("customer export failed midway", "request_id", domain.RequestInfoFrom(rq.ctx).RequestID, "err", err)
			panic(http.ErrAbortHandler)
		}
		if stepUpNeeded(rq, err, "/export?done=stepped_up") {
			return
		}
		u.failed(rq, err)
	}
}
