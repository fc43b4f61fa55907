package store

import (
	"context"
	"fmt"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// Imported contacts and deals carry their import's id (their provenance),
// so a failed or interrupted import is removed whole, as for customers.

var contactInsertColumns = []string{"id", "customer_id", "name_sealed", "phone_sealed", "email_sealed", "title_sealed",
	"created_at", "updated_at", "version", "import_id"}

// InsertContacts seals a batch of an import's contacts (ids, times and
// version set by the caller) under their customers' data keys and writes
// them in one transaction. A customer erased or deleted since the import
// checked it fails the batch with a conflict.
func (s *Activities) InsertContacts(ctx context.Context, importID domain.ID, batch []*domain.Contact) error {
	keys := s.keysOf()
	rows := make([][]any, 0, len(batch))
	for _, c := range batch {
		key, err := keys(ctx, c.CustomerID)
		if err != nil {
			return fmt.Errorf("contact of customer %s: %w", c.CustomerID, err)
		}
		rec := sealedRecord{key: key, table: tableContacts, id: c.ID}
		row := append([]any{string(c.ID), string(c.CustomerID)}, contactArgs(rec, c)...)
		rows = append(rows, append(row, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro(), c.Version, string(importID)))
	}
	return s.insertImported(ctx, "contacts", contactInsertColumns, rows)
}

var dealInsertColumns = []string{"id", "customer_id", "title", "title_sealed", "amount_minor", "currency", "stage", "expected_close",
	"owner_id", "created_at", "updated_at", "version", "import_id"}

// InsertDeals seals a batch of an import's deals (ids, times and version
// set by the caller; the title under the customer's data key) and writes
// them in one transaction. Imported deals are history, not a follow-up:
// they leave the customer's pool clock as it was.
func (s *Activities) InsertDeals(ctx context.Context, importID domain.ID, batch []*domain.Deal) error {
	keys := s.keysOf()
	rows := make([][]any, 0, len(batch))
	for _, d := range batch {
		key, err := keys(ctx, d.CustomerID)
		if err != nil {
			return fmt.Errorf("deal of customer %s: %w", d.CustomerID, err)
		}
		rec := sealedRecord{key: key, table: tableDeals, id: d.ID}
		row := append([]any{string(d.ID), string(d.CustomerID), ""}, dealArgs(rec, d)...)
		rows = append(rows, append(row, d.CreatedAt.UnixMicro(), d.UpdatedAt.UnixMicro(), d.Version, string(importID)))
	}
	return s.insertImported(ctx, "deals", dealInsertColumns, rows)
}

// keysOf returns a lookup of customers' data keys that opens each once.
func (s *Activities) keysOf() func(context.Context, domain.ID) (*vault.Key, error) {
	keys := map[domain.ID]*vault.Key{}
	return func(ctx context.Context, id domain.ID) (*vault.Key, error) {
		if key, ok := keys[id]; ok {
			return key, nil
		}
		key, err := s.customerKey(ctx, id)
		if err != nil {
			return nil, err
		}
		keys[id] = key
		return key, nil
	}
}

func (s *Activities) insertImported(ctx context.Context, table string, cols []string, rows [][]any) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if err := insertRows(ctx, tx, table, cols, rows); err != nil {
			if isForeignKeyViolation(err) {
				return domain.Conflict("", "a customer or owner of this batch no longer exists")
			}
			return fmt.Errorf("insert %s: %w", table, err)
		}
		return nil
	})
}

// RemoveImported deletes every contact and deal an import wrote.
func (s *Activities) RemoveImported(ctx context.Context, importID domain.ID) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		for _, q := range []string{`DELETE FROM contacts WHERE import_id = ?`, `DELETE FROM deals WHERE import_id = ?`} {
			if _, err := tx.Exec(ctx, q, string(importID)); err != nil {
				return fmt.Errorf("remove imported records: %w", err)
			}
		}
		return nil
	})
}
