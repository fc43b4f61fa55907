package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// CreateCustomer stores a new customer (c.ID set by the caller) under a
// fresh data key, with its blind indexes and the audit event ev, in one
// transaction.
func (s *Customers) CreateCustomer(ctx context.Context, c *domain.Customer, evs ...*domain.AuditEvent) error {
	p, err := s.prepareCustomer(ctx, c)
	if err != nil {
		return err
	}
	wk, sc, entries := p.wk, p.sc, p.entries
	now := c.CreatedAt.UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if err := insertDataKey(ctx, tx, wk, now); err != nil {
			return fmt.Errorf("insert data key: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO customers (id, kind, dek_id, name_sealed, phone_sealed,
			email_sealed, street_sealed, id_type, id_number_sealed, tax_id_sealed, bank_account_sealed,
			province, city, district, company_sealed, industry, status, owner_id, team_id, created_at, updated_at, version, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
			string(c.ID), string(c.Kind), string(wk.ID), sc.name, sc.phone,
			sc.email, sc.street, string(c.IDType), sc.idNumber, sc.taxID, sc.bankAccount,
			c.Address.Province, c.Address.City, c.Address.District, sc.company, c.Industry, string(c.Status),
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

// GetCustomer returns a customer with the sealed fields of every class
// opened except those in skip (left empty), or a not-found error.
func (s *Customers) GetCustomer(ctx context.Context, id domain.ID, skip map[domain.FieldClass]bool) (*domain.Customer, error) {
	var r customerRow
	err := s.queryRow(ctx, `SELECT `+s.customerColumns()+`
		FROM customers c WHERE c.id = ?`, string(id)).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("customer")
	}
	if err != nil {
		return nil, fmt.Errorf("get customer: %w", err)
	}
	return s.openCustomer(ctx, &r, skip)
}

// UpdateCustomer writes c over the stored customer if it is still at
// version c.Version, re-sealing its fields and refreshing the blind indexes
// of changed fields, with the audit event ev, in one transaction. It bumps
// c.Version.
func (s *Customers) UpdateCustomer(ctx context.Context, c *domain.Customer, changed []string, evs ...*domain.AuditEvent) error {
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
		for _, ix := range reindexOnChange[f] {
			reindex[ix.Code] = true
		}
	}
	tagsChanged, ownerChanged := false, false
	for _, f := range changed {
		switch f {
		case "tags":
			tagsChanged = true
		case "owner_id":
			ownerChanged = true
		}
	}
	now := c.UpdatedAt.UnixMicro()
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE customers SET name_public = NULL, name_sealed = ?, phone_sealed = ?,
			email_sealed = ?, street_sealed = ?, id_type = ?, id_number_sealed = ?, tax_id_sealed = ?,
			bank_account_sealed = ?, province = ?, city = ?, district = ?, company = '', company_sealed = ?, industry = ?,
			status = ?, owner_id = ?, team_id = ?, updated_at = ?, tags = ?, version = version + 1
			WHERE id = ? AND version = ? AND erased_at IS NULL`,
			sc.name, sc.phone, sc.email, sc.street, string(c.IDType), sc.idNumber, sc.taxID,
			sc.bankAccount, c.Address.Province, c.Address.City, c.Address.District, sc.company, c.Industry,
			string(c.Status), nullString(c.OwnerID), nullString(c.TeamID), now, strings.Join(c.Tags, ","), string(c.ID), c.Version)
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("owner_id", "no such user or team")
			}
			return fmt.Errorf("update customer: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Stale("customer")
		}
		if tagsChanged {
			if _, err := tx.Exec(ctx, `DELETE FROM customer_tags WHERE customer_id = ?`, string(c.ID)); err != nil {
				return err
			}
			if err := insertTags(ctx, tx, c.ID, c.Tags); err != nil {
				return err
			}
		}
		if ownerChanged {
			// A new owner starts a new quiet spell (see the pool).
			if err := touchPoolClock(ctx, tx, c.ID, c.UpdatedAt); err != nil {
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

// reindexOnChange names the blind indexes a changed field's entries live
// in: an update rewrites those and leaves the others as they are.
var reindexOnChange = map[string][]vault.IndexField{
	"phone":     {vault.IndexPhone, vault.IndexPhoneSuffix},
	"email":     {vault.IndexEmail, vault.IndexEmailLocal},
	"id_number": {vault.IndexIDNumber},
	"tax_id":    {vault.IndexTaxID},
	"name":      {vault.IndexNameToken, vault.IndexNameGram, vault.IndexCompanyName},
	"kind":      {vault.IndexCompanyName},
}

// CustomerDependents counts the deals and visits that reference a
// customer.
func (s *Customers) CustomerDependents(ctx context.Context, id domain.ID) (deals, visits int, err error) {
	err = s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM deals WHERE customer_id = ?), (SELECT COUNT(*) FROM visits WHERE customer_id = ?)`,
		string(id), string(id)).Scan(&deals, &visits)
	return deals, visits, err
}

// DeleteCustomer removes a customer, its contacts, notes, tasks, tags,
// blind indexes and data key. With cascade it also removes its deals and
// visits; without, a customer that has any is refused with a conflict.
// The audit event ev is written in the same transaction.
func (s *Customers) DeleteCustomer(ctx context.Context, id domain.ID, cascade bool, evs ...*domain.AuditEvent) error {
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
