package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// sealedTable names the sealed columns of a table and the field each is
// bound to in its associated data.
type sealedTable struct {
	kind, table string
	columns     []string // sealed columns, in the order of fields
	fields      []string
}

// sealedTables are every table holding values sealed under a customer's
// data key, the customers first.
var sealedTables = []sealedTable{
	{"customer", tableCustomers,
		[]string{"name_sealed", "phone_sealed", "email_sealed", "street_sealed", "id_number_sealed", "tax_id_sealed", "bank_account_sealed", "company_sealed"},
		[]string{fName, fPhone, fEmail, fStreet, fIDNumber, fTaxID, fBankAccount, fCompany}},
	{"contact", tableContacts, []string{"name_sealed", "phone_sealed", "email_sealed", "title_sealed"}, []string{fName, fPhone, fEmail, fTitle}},
	{"deal", tableDeals, []string{"title_sealed"}, []string{fTitle}},
	{"visit", "visits", []string{"checkin_loc_sealed", "checkout_loc_sealed", "notes_sealed", "checkout_notes_sealed"}, []string{fCheckInLoc, fCheckOutLoc, fNotes, fCheckOutNotes}},
	{"note", "notes", []string{"body_sealed"}, []string{fBody}},
	{"task", "tasks", []string{"title_sealed"}, []string{fTitle}},
}

// integrityPage is how many records one read of the check takes.
const integrityPage = 1000

// CheckIntegrity opens every sealed value of every customer not erased and
// of every record that hangs off one, and calls fn for each record whose
// data key does not unwrap or whose sealed field fails authentication. It
// returns how many records it checked. Values are opened and dropped;
// nothing leaves but ids, field names and reasons.
func (s *Customers) CheckIntegrity(ctx context.Context, fn func(domain.IntegrityProblem) error) (int64, error) {
	var checked int64
	for _, t := range sealedTables {
		n, err := s.checkTable(ctx, t, fn)
		checked += n
		if err != nil {
			return checked, fmt.Errorf("check %s: %w", t.table, err)
		}
	}
	return checked, nil
}

func (s *Customers) checkTable(ctx context.Context, t sealedTable, fn func(domain.IntegrityProblem) error) (int64, error) {
	customerOf := "x.customer_id"
	join := ` JOIN customers c ON c.id = x.customer_id`
	if t.table == tableCustomers {
		customerOf, join = "x.id", ""
	}
	erased := "c.erased_at"
	if join == "" {
		erased = "x.erased_at"
	}
	dek := "c.dek_id"
	if join == "" {
		dek = "x.dek_id"
	}
	query := `SELECT x.id, ` + customerOf + `, ` + dek + `, x.` + strings.Join(t.columns, ", x.") + ` FROM ` + t.table + ` x` + join +
		` WHERE ` + erased + ` IS NULL AND x.id > ? ORDER BY x.id LIMIT ?`
	var checked int64
	after := ""
	for {
		type row struct {
			id, customer, dek string
			sealed            [][]byte
		}
		rows, err := queryAll(ctx, s.DB, func(sc scanner) (row, error) {
			r := row{sealed: make([][]byte, len(t.columns))}
			dest := []any{&r.id, &r.customer, &r.dek}
			for i := range r.sealed {
				dest = append(dest, &r.sealed[i])
			}
			return r, sc.Scan(dest...)
		}, query, after, integrityPage)
		if err != nil {
			return checked, err
		}
		for _, r := range rows {
			checked++
			p := domain.IntegrityProblem{Kind: t.kind, ID: domain.ID(r.id), Customer: domain.ID(r.customer)}
			key, err := s.dataKey(ctx, domain.ID(r.dek))
			switch {
			case errors.Is(err, vault.ErrErased):
				continue
			case errors.Is(err, vault.ErrUnwrap):
				p.Reason = domain.UnreadableKey
				if err := fn(p); err != nil {
					return checked, err
				}
				continue
			case err != nil:
				return checked, err
			}
			for i, ct := range r.sealed {
				if len(ct) == 0 {
					continue
				}
				if _, err := key.Open(vault.Place{Table: t.table, Record: p.ID, Field: t.fields[i]}, ct); err != nil {
					p.Field, p.Reason = t.fields[i], domain.UnreadableField
					if err := fn(p); err != nil {
						return checked, err
					}
					break
				}
			}
		}
		if len(rows) < integrityPage {
			return checked, nil
		}
		after = rows[len(rows)-1].id
		if err := ctx.Err(); err != nil {
			return checked, err
		}
	}
}
