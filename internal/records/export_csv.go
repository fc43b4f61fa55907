package records

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// CustomerCSVColumns are the columns of the customer export file, in
// order: the one file format every way of exporting writes.
var CustomerCSVColumns = []string{"id", "kind", "name", "phone", "email", "province", "city", "district", "street",
	"id_type", "id_number", "tax_id", "bank_account", "company", "industry", "tags", "status", "owner_id", "team_id",
	"created_at", "updated_at", "masked", "erased", "unreadable"}

// customerCSVRecord is c as an export row, every cell neutralized against
// spreadsheet formula injection. An unreadable customer is its id and the
// reason, nothing else.
func customerCSVRecord(c *domain.Customer) []string {
	if c.Unreadable != "" {
		row := make([]string, len(CustomerCSVColumns))
		row[0], row[len(row)-1] = string(c.ID), string(c.Unreadable)
		return row
	}
	row := []string{string(c.ID), string(c.Kind), c.Name, c.Phone, c.Email, c.Address.Province, c.Address.City,
		c.Address.District, c.Address.Street, string(c.IDType), c.IDNumber, c.TaxID, c.BankAccount, c.Company,
		c.Industry, strings.Join(c.Tags, " "), string(c.Status), string(c.OwnerID), string(c.TeamID),
		c.CreatedAt.UTC().Format(time.RFC3339), c.UpdatedAt.UTC().Format(time.RFC3339), strings.Join(c.Masked, " "),
		strconv.FormatBool(c.Erased), ""}
	for i := range row {
		row[i] = domain.NeutralizeCSVCell(row[i])
	}
	return row
}

// ExportCustomersCSV writes ExportCustomers as the export file (a header
// row, then a row a customer). open is called once, before the first row
// is written — so that a refusal (forbidden, step_up_required) can still
// be answered as an error — and returns where the file goes; page is
// called before each page is written (to extend a write deadline). It
// reports whether open was called: an error after that leaves a file cut
// short, which the caller must not present as whole.
func (s *Service) ExportCustomersCSV(ctx context.Context, f domain.CustomerFilter, open func() io.Writer, page func()) (opened bool, err error) {
	var cw *csv.Writer
	begin := func() error {
		cw = csv.NewWriter(open())
		return cw.Write(CustomerCSVColumns)
	}
	_, err = s.ExportCustomers(ctx, f, func(items []*domain.Customer) error {
		if cw == nil {
			if err := begin(); err != nil {
				return err
			}
		}
		page()
		for _, c := range items {
			if err := cw.Write(customerCSVRecord(c)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return cw != nil, err
	}
	if cw == nil { // nothing in scope: the header row alone
		if err := begin(); err != nil {
			return true, err
		}
	}
	cw.Flush()
	return true, cw.Error()
}
