package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

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
)

func (s *Store) customerColumns() string {
	return `c.id, c.kind, c.dek_id, c.name_public, c.name_sealed,
	c.phone_sealed, c.email_sealed, c.street_sealed, c.id_type, c.id_number_sealed, c.tax_id_sealed,
	c.bank_account_sealed, c.province, c.city, c.district, c.company, c.industry, c.status,
	c.owner_id, c.team_id, c.erased_at, c.created_at, c.updated_at, c.version, c.tags`
}

type customerRow struct {
	id, kind, dekID                             string
	namePublic                                  sql.NullString
	name, phone, email, street                  []byte
	idType                                      string
	idNumber, taxID, bankAccount                []byte
	province, city, district, company, industry string
	status                                      string
	ownerID, teamID                             sql.NullString
	erasedAt, createdAt, updatedAt              sql.NullInt64
	version                                     int64
	tags                                        sql.NullString
}

func (r *customerRow) dest() []any {
	return []any{&r.id, &r.kind, &r.dekID, &r.namePublic, &r.name,
		&r.phone, &r.email, &r.street, &r.idType, &r.idNumber, &r.taxID,
		&r.bankAccount, &r.province, &r.city, &r.district, &r.company, &r.industry, &r.status,
		&r.ownerID, &r.teamID, &r.erasedAt, &r.createdAt, &r.updatedAt, &r.version, &r.tags}
}

// open decrypts a row into a customer.
func (s *Store) openCustomer(ctx context.Context, r *customerRow, skip map[domain.FieldClass]bool) (*domain.Customer, error) {
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
	key, err := s.dataKey(ctx, domain.ID(r.dekID))
	if errors.Is(err, vault.ErrErased) {
		c.Erased, c.IDType = true, ""
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("customer %s: %w", r.id, err)
	}
	open := func(field string, ct []byte) (string, error) {
		v, err := key.Open(vault.Place{Table: tableCustomers, Record: c.ID, Field: field}, ct)
		if err != nil {
			return "", fmt.Errorf("customer %s field %s: %w", r.id, field, err)
		}
		return v, nil
	}
	for _, f := range [...]struct {
		name  string
		class domain.FieldClass
		ct    []byte
		dst   *string
	}{
		{fPhone, domain.ClassContact, r.phone, &c.Phone},
		{fEmail, domain.ClassContact, r.email, &c.Email},
		{fStreet, domain.ClassContact, r.street, &c.Address.Street},
		{fIDNumber, domain.ClassIdentity, r.idNumber, &c.IDNumber},
		{fTaxID, domain.ClassFinancial, r.taxID, &c.TaxID},
		{fBankAccount, domain.ClassFinancial, r.bankAccount, &c.BankAccount},
	} {
		if skip[f.class] {
			continue
		}
		if *f.dst, err = open(f.name, f.ct); err != nil {
			return nil, err
		}
	}
	if !r.namePublic.Valid && !skip[domain.ClassContact] {
		if c.Name, err = open(fName, r.name); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// sealedCustomer holds a customer's column values ready for SQL.
type sealedCustomer struct {
	namePublic                   any
	name, phone, email, street   []byte
	idNumber, taxID, bankAccount []byte
}

func sealCustomer(key *vault.Key, c *domain.Customer) sealedCustomer {
	p := func(field string) vault.Place {
		return vault.Place{Table: tableCustomers, Record: c.ID, Field: field}
	}
	sc := sealedCustomer{
		phone:       key.Seal(p(fPhone), c.Phone),
		email:       key.Seal(p(fEmail), c.Email),
		street:      key.Seal(p(fStreet), c.Address.Street),
		idNumber:    key.Seal(p(fIDNumber), c.IDNumber),
		taxID:       key.Seal(p(fTaxID), c.TaxID),
		bankAccount: key.Seal(p(fBankAccount), c.BankAccount),
	}
	if c.Kind == domain.CustomerCompany {
		sc.namePublic = c.Name
	} else {
		sc.name = key.Seal(p(fName), c.Name)
	}
	return sc
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
func (s *Store) customerIndexEntries(c *domain.Customer) ([]indexEntry, error) {
	return s.customerIndexEntriesFor(c, s.index.Versions())
}

// customerIndexEntriesFor computes the blind-index rows of c under the
// given index key versions.
func (s *Store) customerIndexEntriesFor(c *domain.Customer, versions []int) ([]indexEntry, error) {
	var out []indexEntry
	for _, v := range versions {
		add := func(f vault.IndexField, value string) error {
			if value == "" {
				return nil
			}
			h, err := s.index.Compute(v, f, value)
			if err != nil {
				return err
			}
			out = append(out, indexEntry{field: f, version: v, hash: h})
			return nil
		}
		for _, kv := range []struct {
			f vault.IndexField
			v string
		}{
			{vault.IndexPhone, c.Phone},
			{vault.IndexEmail, c.Email},
			{vault.IndexIDNumber, c.IDNumber},
			{vault.IndexTaxID, c.TaxID},
		} {
			if err := add(kv.f, kv.v); err != nil {
				return nil, err
			}
		}
		seen := map[string]bool{}
		for _, tok := range domain.NameTokens(c.Name) {
			h, err := s.index.Compute(v, vault.IndexNameToken, tok)
			if err != nil {
				return nil, err
			}
			if !seen[string(h)] {
				seen[string(h)] = true
				out = append(out, indexEntry{field: vault.IndexNameToken, version: v, hash: h})
			}
		}
	}
	return out, nil
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

// CreateCustomer stores a new customer (c.ID set by the caller) under a
// fresh data key, with its blind indexes and the audit event ev, in one
// transaction.
func (s *Store) CreateCustomer(ctx context.Context, c *domain.Customer, evs ...*domain.AuditEvent) error {
	p, err := s.PrepareCustomer(ctx, c)
	if err != nil {
		return err
	}
	wk, sc, entries := p.wk, p.sc, p.entries
	now := c.CreatedAt.UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if err := insertDataKey(ctx, tx, wk, now); err != nil {
			return fmt.Errorf("insert data key: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO customers (id, kind, dek_id, name_public, name_sealed, phone_sealed,
			email_sealed, street_sealed, id_type, id_number_sealed, tax_id_sealed, bank_account_sealed,
			province, city, district, company, industry, status, owner_id, team_id, created_at, updated_at, version, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
			string(c.ID), string(c.Kind), string(wk.ID), sc.namePublic, sc.name, sc.phone,
			sc.email, sc.street, string(c.IDType), sc.idNumber, sc.taxID, sc.bankAccount,
			c.Address.Province, c.Address.City, c.Address.District, c.Company, c.Industry, string(c.Status),
			nullString(c.OwnerID), nullString(c.TeamID), now, now, strings.Join(c.Tags, ","))
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("owner_id", "no such user or team")
			}
			return fmt.Errorf("insert customer: %w", err)
		}
		if err := insertTags(ctx, tx, c.ID, c.Tags); err != nil {
			return err
		}
		if err := insertIndexEntries(ctx, tx, c.ID, entries); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetCustomer returns a customer with its fields opened, or a not-found
// error.
func (s *Store) GetCustomer(ctx context.Context, id domain.ID) (*domain.Customer, error) {
	var r customerRow
	err := s.queryRow(ctx, `SELECT `+s.customerColumns()+`
		FROM customers c WHERE c.id = ?`, string(id)).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("customer")
	}
	if err != nil {
		return nil, fmt.Errorf("get customer: %w", err)
	}
	return s.openCustomer(ctx, &r, nil)
}

// UpdateCustomer writes c over the stored customer if it is still at
// version c.Version, re-sealing its fields and refreshing the blind indexes
// of changed fields, with the audit event ev, in one transaction. It bumps
// c.Version.
func (s *Store) UpdateCustomer(ctx context.Context, c *domain.Customer, changed []string, evs ...*domain.AuditEvent) error {
	var dekID string
	err := s.queryRow(ctx, `SELECT dek_id FROM customers WHERE id = ?`, string(c.ID)).Scan(&dekID)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound("customer")
	}
	if err != nil {
		return fmt.Errorf("read data key: %w", err)
	}
	key, err := s.dataKey(ctx, domain.ID(dekID))
	if err != nil {
		return err
	}
	sc := sealCustomer(key, c)
	entries, err := s.customerIndexEntries(c)
	if err != nil {
		return err
	}
	reindex := map[int]bool{}
	for _, f := range changed {
		switch f {
		case "phone":
			reindex[vault.IndexPhone.Code] = true
		case "email":
			reindex[vault.IndexEmail.Code] = true
		case "id_number":
			reindex[vault.IndexIDNumber.Code] = true
		case "tax_id":
			reindex[vault.IndexTaxID.Code] = true
		case "name":
			reindex[vault.IndexNameToken.Code] = true
		}
	}
	tagsChanged := false
	for _, f := range changed {
		if f == "tags" {
			tagsChanged = true
		}
	}
	now := c.UpdatedAt.UnixMicro()
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE customers SET name_public = ?, name_sealed = ?, phone_sealed = ?,
			email_sealed = ?, street_sealed = ?, id_type = ?, id_number_sealed = ?, tax_id_sealed = ?,
			bank_account_sealed = ?, province = ?, city = ?, district = ?, company = ?, industry = ?,
			status = ?, owner_id = ?, team_id = ?, updated_at = ?, tags = ?, version = version + 1
			WHERE id = ? AND version = ? AND erased_at IS NULL`,
			sc.namePublic, sc.name, sc.phone, sc.email, sc.street, string(c.IDType), sc.idNumber, sc.taxID,
			sc.bankAccount, c.Address.Province, c.Address.City, c.Address.District, c.Company, c.Industry,
			string(c.Status), nullString(c.OwnerID), nullString(c.TeamID), now, strings.Join(c.Tags, ","), string(c.ID), c.Version)
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("owner_id", "no such user or team")
			}
			return fmt.Errorf("update customer: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("", "the customer was changed by someone else; reload and try again")
		}
		if tagsChanged {
			if _, err := tx.Exec(ctx, `DELETE FROM customer_tags WHERE customer_id = ?`, string(c.ID)); err != nil {
				return err
			}
			if err := insertTags(ctx, tx, c.ID, c.Tags); err != nil {
				return err
			}
		}
		var fresh []indexEntry
		for code := range reindex {
			if _, err := tx.Exec(ctx, `DELETE FROM blind_index WHERE customer_id = ? AND field = ?`, string(c.ID), code); err != nil {
				return err
			}
		}
		for _, e := range entries {
			if reindex[e.field.Code] {
				fresh = append(fresh, e)
			}
		}
		if err := insertIndexEntries(ctx, tx, c.ID, fresh); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
	if err == nil {
		c.Version++
	}
	return err
}

// CustomerDependents counts the deals and visits that reference a
// customer.
func (s *Store) CustomerDependents(ctx context.Context, id domain.ID) (deals, visits int, err error) {
	err = s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM deals WHERE customer_id = ?), (SELECT COUNT(*) FROM visits WHERE customer_id = ?)`,
		string(id), string(id)).Scan(&deals, &visits)
	return deals, visits, err
}

// DeleteCustomer removes a customer, its contacts, notes, tasks, tags,
// blind indexes and data key. With cascade it also removes its deals and
// visits; without, a customer that has any is refused with a conflict.
// The audit event ev is written in the same transaction.
func (s *Store) DeleteCustomer(ctx context.Context, id domain.ID, cascade bool, evs ...*domain.AuditEvent) error {
	var dekID string
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT dek_id FROM customers WHERE id = ?`, string(id)).Scan(&dekID)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("customer")
		}
		if err != nil {
			return err
		}
		if !cascade {
			var deals, visits int
			if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM deals WHERE customer_id = ?), (SELECT COUNT(*) FROM visits WHERE customer_id = ?)`,
				string(id), string(id)).Scan(&deals, &visits); err != nil {
				return err
			}
			if deals > 0 || visits > 0 {
				return domain.Conflict("", "the customer has %d deals and %d visits; delete them first or delete with cascade=true", deals, visits)
			}
		}
		for _, q := range []string{
			`DELETE FROM tasks WHERE customer_id = ?`,
			`DELETE FROM notes WHERE customer_id = ?`,
			`DELETE FROM visits WHERE customer_id = ?`,
			`DELETE FROM deals WHERE customer_id = ?`,
			`DELETE FROM contacts WHERE customer_id = ?`,
			`DELETE FROM customer_tags WHERE customer_id = ?`,
			`DELETE FROM blind_index WHERE customer_id = ?`,
			`DELETE FROM customers WHERE id = ?`,
		} {
			if _, err := tx.Exec(ctx, q, string(id)); err != nil {
				return fmt.Errorf("delete customer: %w", err)
			}
		}
		// The data key is destroyed, not deleted: its erasure-tree leaf is
		// punctured next (see PendingShreds), so backups lose it too.
		if _, err := tx.Exec(ctx, `UPDATE data_keys SET wrapped = NULL, destroyed_at = ? WHERE id = ?`, s.now().UnixMicro(), dekID); err != nil {
			return fmt.Errorf("destroy data key: %w", err)
		}
		s.vault.Forget(domain.ID(dekID))
		return insertAudit(ctx, tx, evs...)
	})
}

// scopeClause returns the SQL condition (on alias c) and arguments that
// restrict customers to a record scope.
func scopeClause(sc domain.RecordScope) (string, []any) {
	switch {
	case sc.Nothing:
		return "1 = 0", nil
	case sc.OwnerID != "":
		return "c.owner_id = ?", []any{string(sc.OwnerID)}
	case sc.TeamID != "":
		return "c.team_id = ?", []any{string(sc.TeamID)}
	case len(sc.Territories) > 0:
		ph := make([]string, len(sc.Territories))
		args := make([]any, len(sc.Territories))
		for i, t := range sc.Territories {
			ph[i] = "?"
			args[i] = string(t)
		}
		return "EXISTS (SELECT 1 FROM territory_regions tr WHERE tr.territory_id IN (" + strings.Join(ph, ",") +
			") AND tr.province = c.province AND (tr.city = '' OR tr.city = c.city))", args
	}
	return "1 = 1", nil
}

// ListCustomers returns a page of customers matching f, newest first.
func (s *Store) ListCustomers(ctx context.Context, f domain.CustomerFilter) (domain.Page[*domain.Customer], error) {
	var page domain.Page[*domain.Customer]
	limit := f.Limit
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.DefaultPageSize
	}
	where := []string{}
	args := []any{}
	sc, sargs := scopeClause(f.Scope)
	where = append(where, sc)
	args = append(args, sargs...)
	if f.OwnerID != "" {
		where = append(where, "c.owner_id = ?")
		args = append(args, string(f.OwnerID))
	}
	if f.Status != "" {
		where = append(where, "c.status = ?")
		args = append(args, string(f.Status))
	}
	if f.Kind != "" {
		where = append(where, "c.kind = ?")
		args = append(args, string(f.Kind))
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM customer_tags t2 WHERE t2.customer_id = c.id AND t2.tag = ?)")
		args = append(args, f.Tag)
	}
	if !f.UpdatedSince.IsZero() {
		where = append(where, "c.updated_at >= ?")
		args = append(args, f.UpdatedSince.UnixMicro())
	}
	if f.Name != "" {
		toks := domain.NameQueryTokens(f.Name)
		if len(toks) == 0 {
			return page, nil
		}
		v := s.index.Active()
		ph := make([]string, len(toks))
		for i, t := range toks {
			h, err := s.index.Compute(v, vault.IndexNameToken, t)
			if err != nil {
				return page, err
			}
			ph[i] = "?"
			args = append(args, h)
		}
		where = append(where, "c.id IN (SELECT customer_id FROM blind_index WHERE field = "+
			fmt.Sprint(vault.IndexNameToken.Code)+" AND key_version = "+fmt.Sprint(v)+" AND hash IN ("+strings.Join(ph, ",")+"))")
	}
	cursor := f.Cursor
	// Name search confirms matches by decrypting: blind-index buckets hold
	// other names too. Keep reading until the page is full.
	for {
		qargs := append([]any(nil), args...)
		qwhere := append([]string(nil), where...)
		if cursor != "" {
			qwhere = append(qwhere, "c.id < ?")
			qargs = append(qargs, string(cursor))
		}
		qargs = append(qargs, limit+1)
		batch, err := s.queryCustomers(ctx, f.Skip, `SELECT `+s.customerColumns()+`
			FROM customers c
			WHERE `+strings.Join(qwhere, " AND ")+` ORDER BY c.id DESC LIMIT ?`, qargs...)
		if err != nil {
			return page, fmt.Errorf("list customers: %w", err)
		}
		more := len(batch) > limit
		if more {
			batch = batch[:limit]
		}
		for _, c := range batch {
			cursor = c.ID
			if f.Name != "" && !domain.NameMatches(c.Name, f.Name) {
				continue
			}
			page.Items = append(page.Items, c)
			if len(page.Items) == limit {
				break
			}
		}
		if len(page.Items) == limit {
			if more || cursor != batch[len(batch)-1].ID {
				page.NextCursor = string(cursor)
			}
			return page, nil
		}
		if !more {
			return page, nil
		}
	}
}

// FindCustomers returns the customers in scope whose field equals value
// (already normalized), confirming each blind-index match by decrypting.
func (s *Store) FindCustomers(ctx context.Context, field domain.LookupField, value string, scope domain.RecordScope) ([]*domain.Customer, error) {
	var f vault.IndexField
	switch field {
	case domain.LookupPhone:
		f = vault.IndexPhone
	case domain.LookupEmail:
		f = vault.IndexEmail
	case domain.LookupIDNumber:
		f = vault.IndexIDNumber
	case domain.LookupTaxID:
		f = vault.IndexTaxID
	default:
		return nil, domain.Invalid(string(field), "cannot look customers up by %s", field)
	}
	v := s.index.Active()
	h, err := s.index.Compute(v, f, value)
	if err != nil {
		return nil, err
	}
	sc, sargs := scopeClause(scope)
	args := append([]any{f.Code, v, h}, sargs...)
	found, err := s.queryCustomers(ctx, nil, `SELECT `+s.customerColumns()+`
		FROM customers c
		WHERE c.id IN (SELECT b.customer_id FROM blind_index b WHERE b.field = ? AND b.key_version = ? AND b.hash = ?)
		AND `+sc+` ORDER BY c.id DESC LIMIT 100`, args...)
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	// A blind-index tag is a truncated HMAC: confirm each match.
	out := found[:0]
	for _, c := range found {
		var got string
		switch field {
		case domain.LookupPhone:
			got = c.Phone
		case domain.LookupEmail:
			got = c.Email
		case domain.LookupIDNumber:
			got = c.IDNumber
		case domain.LookupTaxID:
			got = c.TaxID
		}
		if got == value {
			out = append(out, c)
		}
	}
	return out, nil
}

// queryCustomers runs a query selecting customerColumns and opens each row.
func (s *Store) queryCustomers(ctx context.Context, skip map[domain.FieldClass]bool, query string, args ...any) ([]*domain.Customer, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var raw []customerRow
	for rows.Next() {
		var r customerRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]domain.ID, len(raw))
	for i := range raw {
		keys[i] = domain.ID(raw[i].dekID)
	}
	if err := s.warmDataKeys(ctx, keys); err != nil {
		return nil, err
	}
	out := make([]*domain.Customer, 0, len(raw))
	for i := range raw {
		c, err := s.openCustomer(ctx, &raw[i], skip)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
