package jsonapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
)

// customerCSVColumns are the columns of a customer export, in order.
var customerCSVColumns = []string{"id", "kind", "name", "phone", "email", "province", "city", "district", "street",
	"id_type", "id_number", "tax_id", "bank_account", "company", "industry", "tags", "status", "owner_id", "team_id",
	"created_at", "updated_at", "masked", "erased", "unreadable"}

// customerCSVRecord is c as an export row, every cell neutralized against
// spreadsheet formula injection. An unreadable customer is its id and the
// reason, nothing else.
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
	var cw *csv.Writer
	begin := func() error { // the first page, or an empty export, opens the file
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="custos-customers.csv"`)
		w.WriteHeader(http.StatusOK)
		cw = csv.NewWriter(w)
		return cw.Write(customerCSVColumns)
	}
	_, err = api.records.ExportCustomers(r.Context(), f, func(page []*domain.Customer) error {
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
		if cw == nil {
			api.writeError(w, r, err)
			return
		}
		// Headers are gone: abort the response so the client sees a
		// broken transfer, never a silently short export.
		api.log.Error("customer export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
	if cw == nil { // nothing in scope: the header row alone
		_ = begin()
	}
	cw.Flush()
}
