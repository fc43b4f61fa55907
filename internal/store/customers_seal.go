package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

const tableCustomers = "customers"

// Sealed customer columns and the field names bound into their ciphertext.
const (
	fName        = "name"
	fPhone       = "phone"
	fEmail       = "email"
	fStreet      = "address.street"
	fIDNumber    = "id_number"
	fTaxID       = "tax_id"
	fBankAccount = "bank_account"
	fCompany     = "company"
)

func (s *DB) customerColumns() string {
	return `c.id, c.kind, c.dek_id, c.name_public, c.name_sealed,
	c.phone_sealed, c.email_sealed, c.street_sealed, c.id_type, c.id_number_sealed, c.tax_id_sealed,
	c.bank_account_sealed, c.province, c.city, c.district, c.company, c.company_sealed, c.industry, c.status,
	c.owner_id, c.team_id, c.erased_at, c.created_at, c.updated_at, c.version, c.tags`
}

// customerRow is a customers row as stored. A company's name and a
// person's employer written before they were sealed are still in clear
// (name_public, company) until `custos data seal` moves them: both forms
// are read.
type customerRow struct {
	id, kind, dekID                             string
	namePublic                                  sql.NullString
	name, phone, email, street                  []byte
	idType                                      string
	idNumber, taxID, bankAccount                []byte
	province, city, district, company, industry string
	companySealed                               []byte
	status                                      string
	ownerID, teamID                             sql.NullString
	erasedAt, createdAt, updatedAt              sql.NullInt64
	version                                     int64
	tags                                        sql.NullString
}

func (r *customerRow) dest() []any {
	return []any{&r.id, &r.kind, &r.dekID, &r.namePublic, &r.name,
		&r.phone, &r.email, &r.street, &r.idType, &r.idNumber, &r.taxID,
		&r.bankAccount, &r.province, &r.city, &r.district, &r.company, &r.companySealed, &r.industry, &r.status,
		&r.ownerID, &r.teamID, &r.erasedAt, &r.createdAt, &r.updatedAt, &r.version, &r.tags}
}

// sealedColumn is one sealed column of a customers row with the class
// that decides whether it is opened.
type sealedColumn struct {
	name  string
	class domain.FieldClass
	ct    []byte
	dst   *string
}

// sealedColumns lists r's sealed columns for c. The name is contact data
// for a person and public for a company (opened unless the public class
// is skipped: openNone).
func (r *customerRow) sealedColumns(c *domain.Customer) []sealedColumn {
	cols := []sealedColumn{
		{fPhone, domain.ClassContact, r.phone, &c.Phone},
		{fEmail, domain.ClassContact, r.email, &c.Email},
		{fStreet, domain.ClassContact, r.street, &c.Address.Street},
		{fIDNumber, domain.ClassIdentity, r.idNumber, &c.IDNumber},
		{fTaxID, domain.ClassFinancial, r.taxID, &c.TaxID},
		{fBankAccount, domain.ClassFinancial, r.bankAccount, &c.BankAccount},
	}
	if !r.namePublic.Valid {
		cols = append(cols, sealedColumn{fName, domain.CustomerNameField(c.Kind).Class, r.name, &c.Name})
	}
	if r.companySealed != nil {
		cols = append(cols, sealedColumn{fCompany, domain.ClassPublic, r.companySealed, &c.Company})
	}
	return cols
}

// openCustomer decrypts a row into a customer, leaving the classes in skip
// sealed (and their fields empty). A customer whose data key does not
// unwrap or whose sealed field fails authentication is returned marked
// Unreadable, with nothing but what scope checks need: one damaged record
// never takes a page of others with it.
func (s *DB) openCustomer(ctx context.Context, r *customerRow, skip map[domain.FieldClass]bool) (*domain.Customer, error) {
	c := &domain.Customer{
		ID:     domain.ID(r.id),
		Kind:   domain.CustomerKind(r.kind),
		IDType: domain.IDType(r.idType),
		Address: domain.Address{
			Province: r.province, City: r.city, District: r.district,
		},
		Company:   r.company,
		Industry:  r.industry,
		Status:    domain.CustomerStatus(r.status),
		OwnerID:   domain.ID(r.ownerID.String),
		TeamID:    domain.ID(r.teamID.String),
		CreatedAt: fromMicros(r.createdAt),
		UpdatedAt: fromMicros(r.updatedAt),
		Version:   r.version,
		Tags:      []string{},
	}
	if r.tags.Valid && r.tags.String != "" {
		c.Tags = strings.Split(r.tags.String, ",")
		sort.Strings(c.Tags)
	}
	if r.namePublic.Valid {
		c.Name = r.namePublic.String
	}
	if r.erasedAt.Valid {
		c.Erased, c.IDType = true, ""
		return c, nil
	}
	cols := r.sealedColumns(c)
	need := false
	for _, f := range cols {
		if !skip[f.class] && f.ct != nil {
			need = true
			break
		}
	}
	if !need {
		return c, nil // nothing sealed to open: the data key is not needed
	}
	key, err := s.dataKey(ctx, domain.ID(r.dekID))
	if errors.Is(err, vault.ErrErased) {
		c.Erased, c.IDType = true, ""
		return c, nil
	}
	if errors.Is(err, vault.ErrUnwrap) {
		return unreadableCustomer(c, domain.UnreadableKey), nil
	}
	if err != nil {
		return nil, fmt.Errorf("customer %s: %w", r.id, err)
	}
	for _, f := range cols {
		if skip[f.class] {
			continue
		}
		v, err := key.Open(vault.Place{Table: tableCustomers, Record: c.ID, Field: f.name}, f.ct)
		if errors.Is(err, vault.ErrOpen) {
			return unreadableCustomer(c, domain.UnreadableField), nil
		}
		if err != nil {
			return nil, fmt.Errorf("customer %s field %s: %w", r.id, f.name, err)
		}
		*f.dst = v
	}
	return c, nil
}

// unreadableCustomer keeps of c only what scope checks need.
func unreadableCustomer(c *domain.Customer, why domain.UnreadableReason) *domain.Customer {
	return &domain.Customer{
		ID: c.ID, Kind: c.Kind, OwnerID: c.OwnerID, TeamID: c.TeamID,
		Address:    domain.Address{Province: c.Address.Province, City: c.Address.City},
		Tags:       []string{},
		Unreadable: why,
	}
}

// sealedCustomer holds a customer's column values ready for SQL. Every
// name (a person's or a company's) and the employer are sealed; the clear
// columns name_public and company are written empty.
type sealedCustomer struct {
	name, phone, email, street   []byte
	idNumber, taxID, bankAccount []byte
	company                      []byte
}

func sealCustomer(key *vault.Key, c *domain.Customer) sealedCustomer {
	p := func(field string) vault.Place {
		return vault.Place{Table: tableCustomers, Record: c.ID, Field: field}
	}
	return sealedCustomer{
		name:        key.Seal(p(fName), c.Name),
		phone:       key.Seal(p(fPhone), c.Phone),
		email:       key.Seal(p(fEmail), c.Email),
		street:      key.Seal(p(fStreet), c.Address.Street),
		idNumber:    key.Seal(p(fIDNumber), c.IDNumber),
		taxID:       key.Seal(p(fTaxID), c.TaxID),
		bankAccount: key.Seal(p(fBankAccount), c.BankAccount),
		company:     key.Seal(p(fCompany), c.Company),
	}
}

// lookupIndex is the blind index of each exact-lookup field.
var lookupIndex = map[domain.LookupField]vault.IndexField{
	domain.LookupPhone:    vault.IndexPhone,
	domain.LookupEmail:    vault.IndexEmail,
	domain.LookupIDNumber: vault.IndexIDNumber,
	domain.LookupTaxID:    vault.IndexTaxID,
}

// indexEntry is one blind-index row.
type indexEntry struct {
	field   vault.IndexField
	version int
	hash    []byte
}

// tiebreak is the last primary-key column of the entry's blind_index row:
// empty for identifier fields, so the key itself keeps them unique, and
// the customer id for name tokens, which many customers share.
func (e indexEntry) tiebreak(id domain.ID) string {
	if e.field.Unique {
		return ""
	}
	return string(id)
}

// insertIndexEntrySQL inserts one blind_index row; a taken identifier
// inserts nothing.
const insertIndexEntrySQL = `INSERT INTO blind_index (field, key_version, hash, tiebreak, customer_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

// customerIndexEntries computes the blind-index rows of c for every loaded
// index key version (during a key rotation both old and new are written).
// A version the key refresh drops meanwhile (retired by a rotation) needs
// no entries and is skipped.
func (s *DB) customerIndexEntries(c *domain.Customer) ([]indexEntry, error) {
	var out []indexEntry
	for _, v := range s.index.Versions() {
		es, err := s.customerIndexEntriesFor(c, []int{v})
		if errors.Is(err, vault.ErrIndexVersionNotLoaded) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// searchIndex is the blind index of each partial-search token kind.
var searchIndex = map[domain.SearchIndex]vault.IndexField{
	domain.SearchSurname:     vault.IndexNameToken,
	domain.SearchNameGram:    vault.IndexNameGram,
	domain.SearchPhoneSuffix: vault.IndexPhoneSuffix,
	domain.SearchEmailLocal:  vault.IndexEmailLocal,
}

// customerIndexEntriesFor computes the blind-index rows of c under the
// given index key versions: its identifiers and its partial-search tokens
// (domain.CustomerSearchTokens). Two tokens whose truncated tags collide
// yield one row.
func (s *DB) customerIndexEntriesFor(c *domain.Customer, versions []int) ([]indexEntry, error) {
	var out []indexEntry
	toks := domain.CustomerSearchTokens(c)
	for _, v := range versions {
		for _, kv := range []struct {
			f vault.IndexField
			v string
		}{
			{vault.IndexPhone, c.Phone},
			{vault.IndexEmail, c.Email},
			{vault.IndexIDNumber, c.IDNumber},
			{vault.IndexTaxID, c.TaxID},
		} {
			if kv.v == "" {
				continue
			}
			h, err := s.index.Compute(v, kv.f, kv.v)
			if err != nil {
				return nil, err
			}
			out = append(out, indexEntry{field: kv.f, version: v, hash: h})
		}
		if key := domain.CompanyNameKey(c.Name); c.Kind == domain.CustomerCompany && key != "" {
			h, err := s.index.Compute(v, vault.IndexCompanyName, key)
			if err != nil {
				return nil, err
			}
			out = append(out, indexEntry{field: vault.IndexCompanyName, version: v, hash: h})
		}
		seen := map[[2]uint32]bool{}
		for _, t := range toks {
			f := searchIndex[t.Index]
			h, err := s.index.Compute(v, f, t.Token)
			if err != nil {
				return nil, err
			}
			k := [2]uint32{uint32(f.Code), tagKey(h)} //nolint:gosec // small field codes
			if !seen[k] {
				seen[k] = true
				out = append(out, indexEntry{field: f, version: v, hash: h})
			}
		}
	}
	return out, nil
}

// tagKey packs a truncated tag (at most 4 bytes) into a map key.
func tagKey(h []byte) uint32 {
	var k uint32
	for _, b := range h {
		k = k<<8 | uint32(b)
	}
	return k | uint32(len(h))<<28 //nolint:gosec // len ≤ 4
}

// insertIndexEntries writes blind-index rows. A unique field whose value
// is already taken by another customer yields a conflict naming the field.
func insertIndexEntries(ctx context.Context, tx *Tx, id domain.ID, entries []indexEntry) error {
	for _, e := range entries {
		res, err := tx.Exec(ctx, insertIndexEntrySQL, e.field.Code, e.version, e.hash, e.tiebreak(id), string(id))
		if err != nil {
			return fmt.Errorf("insert blind index: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 && e.field.Unique {
			return domain.Conflict(e.field.Name, "another customer already has this %s", strings.ReplaceAll(e.field.Name, "_", " "))
		}
	}
	return nil
}

func insertTags(ctx context.Context, tx *Tx, id domain.ID, tags []string) error {
	for _, t := range tags {
		if _, err := tx.Exec(ctx, `INSERT INTO customer_tags (customer_id, tag) VALUES (?, ?)`, string(id), t); err != nil {
			return fmt.Errorf("insert tag: %w", err)
		}
	}
	return nil
}

// preparedCustomer is a customer sealed and indexed, ready to insert: the
// crypto work of a create, done before the writer is taken.
type preparedCustomer struct {
	c       *domain.Customer
	wk      vault.WrappedKey
	sc      sealedCustomer
	entries []indexEntry
}

// prepareCustomer seals c under a fresh data key and computes its blind
// indexes. Safe to call from many goroutines.
func (s *DB) prepareCustomer(ctx context.Context, c *domain.Customer) (*preparedCustomer, error) {
	key, wk, err := s.vault.NewKey(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := s.customerIndexEntries(c)
	if err != nil {
		return nil, err
	}
	return &preparedCustomer{c: c, wk: wk, sc: sealCustomer(key, c), entries: entries}, nil
}

// prepareCustomers prepares a batch on every CPU.
func (s *DB) prepareCustomers(ctx context.Context, cs []*domain.Customer) ([]*preparedCustomer, error) {
	out := make([]*preparedCustomer, len(cs))
	workers := min(runtime.GOMAXPROCS(0), (len(cs)+63)/64)
	if workers <= 1 {
		for i, c := range cs {
			p, err := s.prepareCustomer(ctx, c)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(cs); i += workers {
				p, err := s.prepareCustomer(ctx, cs[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = p
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
