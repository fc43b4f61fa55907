package webui

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/audit"
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

// customerCSVColumns are the columns of a customer export, in order: the
// same file the API's export writes.
var customerCSVColumns = []string{"id", "kind", "name", "phone", "email", "province", "city", "district", "street",
	"id_type", "id_number", "tax_id", "bank_account", "company", "industry", "tags", "status", "owner_id", "team_id",
	"created_at", "updated_at", "masked", "erased", "unreadable"}

// customerCSVRecord is c as an export row, every cell neutralized against
// spreadsheet formula injection.
func customerCSVRecord(c *domain.Customer) []string {
	if c.Unreadable != "" {
		row := make([]string, len(customerCSVColumns))
		row[0], row[len(row)-1] = string(c.ID), string(c.Unreadable)
		return row
	}
	row := []string{string(c.ID), string(c.Kind), c.Name, c.Phone, c.Email, c.Address.Province, c.Address.City,
		c.Address.District, c.Address.Street, string(c.IDType), c.IDNumber, c.TaxID, c.BankAccount, c.Company,
		c.Industry, strings.Join(c.Tags, " "), string(c.Status), string(c.OwnerID), string(c.TeamID),
		c.CreatedAt.UTC().Format(time.RFC3339), c.UpdatedAt.UTC().Format(time.RFC3339), strings.Join(c.Masked, " "),
		strconv.FormatBool(c.Erased), ""}
	for i := range row {
		row[i] = audit.NeutralizeCSVCell(row[i])
	}
	return row
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
	var cw *csv.Writer
	begin := func() error {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="custos-customers.csv"`)
		w.WriteHeader(http.StatusOK)
		cw = csv.NewWriter(w)
		return cw.Write(customerCSVColumns)
	}
	rc := http.NewResponseController(w)
	_, err := u.records.ExportCustomers(rq.ctx, f, func(page []*domain.Customer) error {
		if cw == nil {
			if err := begin(); err != nil {
				return err
			}
		}
		_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		for _, c := range page {
			if err := cw.Write(customerCSVRecord(c)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		if cw != nil {
			u.log.Error("customer export failed midway", "request_id", domain.RequestInfoFrom(rq.ctx).RequestID, "err", err)
			panic(http.ErrAbortHandler)
		}
		if stepUpNeeded(rq, err, "/export?done=stepped_up") {
			return
		}
		u.failed(rq, err)
		return
	}
	if cw == nil {
		_ = begin()
	}
	cw.Flush()
}
