package demo

import (
	"encoding/csv"
	"io"
	"strings"
)

// CSVHeader is the column order WriteCSV writes, as `custos import
// customers` reads it.
var CSVHeader = []string{"kind", "name", "phone", "email", "province", "city", "district", "street",
	"id_type", "id_number", "tax_id", "bank_account", "company", "industry", "tags", "status"}

// WriteCSV writes customers from..to-1 of generator g as an import file.
func (g *Generator) WriteCSV(w io.Writer, from, to int) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	rec := make([]string, len(CSVHeader))
	for i := from; i < to; i++ {
		in := g.Customer(i)
		a := in.Address
		rec[0], rec[1], rec[2], rec[3] = string(in.Kind), in.Name, in.Phone, in.Email
		rec[4], rec[5], rec[6], rec[7] = a.Province, a.City, a.District, a.Street
		rec[8], rec[9], rec[10], rec[11] = string(in.IDType), in.IDNumber, in.TaxID, in.BankAccount
		rec[12], rec[13], rec[14], rec[15] = in.Company, in.Industry, strings.Join(in.Tags, ";"), string(in.Status)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
