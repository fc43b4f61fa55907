package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/custoscrm/custos/internal/domain"
)

// EraseCustomer crypto-shreds a customer in one transaction: its data key
// is destroyed (the wrapped form deleted; its erasure-tree leaf is queued
// for puncturing, see PendingShreds), its sealed and identifying columns,
// tags, blind indexes, contacts, notes and tasks are deleted, its visits
// keep their times and status but lose their sealed locations and notes,
// and its deals keep their amount, stage and dates but lose their title,
// attached to a customer record that now holds no personal data. evs are audited in the same transaction. An
// erased customer cannot be erased again (conflict).
func (s *Customers) EraseCustomer(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	now := s.now().UnixMicro()
	var dekID string
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var erased sql.NullInt64
		err := tx.QueryRow(ctx, `SELECT dek_id, erased_at FROM customers WHERE id = ?`, string(id)).Scan(&dekID, &erased)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("customer")
		}
		if err != nil {
			return err
		}
		if erased.Valid {
			return domain.Conflict("", "the customer has already been erased")
		}
		if _, err := tx.Exec(ctx, `UPDATE data_keys SET wrapped = NULL, destroyed_at = ? WHERE id = ?`, now, dekID); err != nil {
			return fmt.Errorf("destroy data key: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET name_public = NULL, name_sealed = NULL, phone_sealed = NULL,
			email_sealed = NULL, street_sealed = NULL, id_type = '', id_number_sealed = NULL, tax_id_sealed = NULL,
			bank_account_sealed = NULL, district = '', company = '', company_sealed = NULL, tags = '', erased_at = ?, updated_at = ?, version = version + 1
			WHERE id = ?`, now, now, string(id)); err != nil {
			return fmt.Errorf("erase customer: %w", err)
		}
		for _, q := range []string{
			`DELETE FROM customer_tags WHERE customer_id = ?`,
			`DELETE FROM blind_index WHERE customer_id = ?`,
			`DELETE FROM contacts WHERE customer_id = ?`,
			`DELETE FROM notes WHERE customer_id = ?`,
			`DELETE FROM tasks WHERE customer_id = ?`,
			`UPDATE visits SET checkin_loc_sealed = NULL, checkout_loc_sealed = NULL, notes_sealed = NULL, checkout_notes_sealed = NULL WHERE customer_id = ?`,
			`UPDATE deals SET title = '', title_sealed = NULL WHERE customer_id = ?`,
		} {
			if _, err := tx.Exec(ctx, q, string(id)); err != nil {
				return fmt.Errorf("erase customer: %w", err)
			}
		}
		return insertAudit(ctx, tx, evs...)
	})
	if err == nil {
		s.vault.Forget(domain.ID(dekID))
	}
	return err
}
