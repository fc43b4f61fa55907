package store

import (
	"context"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// BeginIndexRotation stores a new blind-index key (version to, wrapped
// under master key kekVersion) in the building state and opens a rotation
// record, in one transaction. Processes that refresh their keys start
// writing entries under it at once; searches keep using the active key.
func (s *IndexKeys) BeginIndexRotation(ctx context.Context, to, kekVersion int, wrapped []byte, total int64, evs ...*domain.AuditEvent) (*domain.Rotation, error) {
	now := s.now().UnixMicro()
	var rot *domain.Rotation
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var from, newest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(CASE WHEN state = 'active' THEN version END), 0), COALESCE(MAX(version), 0) FROM index_keys`).Scan(&from, &newest); err != nil {
			return err
		}
		if to <= newest {
			return domain.Conflict("", "index key version %d is not newer than version %d", to, newest)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO index_keys (version, kek_version, wrapped, state, created_at) VALUES (?, ?, ?, ?, ?)`,
			to, kekVersion, wrapped, domain.KeyBuilding, now); err != nil {
			return err
		}
		var err error
		if rot, err = insertRotation(ctx, tx, domain.RotationIndex, from, to, domain.PhaseBuild, total, now); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
	return rot, err
}

// NewestIndexKeyVersion returns the highest index key version.
func (s *IndexKeys) NewestIndexKeyVersion(ctx context.Context) (int, error) {
	var v int
	err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM index_keys`).Scan(&v)
	return v, err
}

// CountLiveCustomers counts customers not erased.
func (s *IndexKeys) CountLiveCustomers(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM customers WHERE erased_at IS NULL`).Scan(&n)
	return n, err
}

// CustomersAfter returns up to limit live customers with ids above after,
// in id order, with their fields opened (for an index rebuild).
func (s *IndexKeys) CustomersAfter(ctx context.Context, after domain.ID, limit int) ([]*domain.Customer, error) {
	rows, err := s.query(ctx, `SELECT `+s.customerColumns()+`
		FROM customers c
		WHERE c.id > ? AND c.erased_at IS NULL ORDER BY c.id LIMIT ?`, string(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	defer rows.Close()
	var out []*domain.Customer
	for rows.Next() {
		var r customerRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		c, err := s.openCustomer(ctx, &r, nil)
		if err != nil {
			return nil, err
		}
		if !c.Erased {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// WriteIndexEntries writes the entries of cs under index key version v.
// A customer changed since it was read (its version moved) is skipped and
// returned as stale, to be read again; the change itself wrote entries
// under every version its process had loaded.
func (s *IndexKeys) WriteIndexEntries(ctx context.Context, v int, cs []*domain.Customer) (stale []*domain.Customer, err error) {
	entries := make([][]indexEntry, len(cs))
	for i, c := range cs {
		if entries[i], err = s.customerIndexEntriesFor(c, []int{v}); err != nil {
			return nil, err
		}
	}
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		stale = stale[:0]
		for i, c := range cs {
			var ver int64
			err := tx.QueryRow(ctx, `SELECT version FROM customers WHERE id = ? AND erased_at IS NULL`, string(c.ID)).Scan(&ver)
			if err != nil || ver != c.Version {
				stale = append(stale, c)
				continue
			}
			for _, e := range entries[i] {
				if _, err := tx.Exec(ctx, insertIndexEntrySQL, e.field.Code, e.version, e.hash, e.tiebreak(c.ID), string(c.ID)); err != nil {
					return fmt.Errorf("insert blind index: %w", err)
				}
			}
		}
		return nil
	})
	return stale, err
}

// ActivateIndexKey makes index key version to active and the previously
// active one retiring (still written, no longer searched).
func (s *IndexKeys) ActivateIndexKey(ctx context.Context, to int) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE index_keys SET state = ? WHERE state = ? AND version <> ?`, domain.KeyRetiring, domain.KeyActive, to); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE index_keys SET state = ? WHERE version = ?`, domain.KeyActive, to)
		return err
	})
}

// RetireIndexKeys marks retiring index keys retired: processes stop
// writing entries under them at their next key refresh.
func (s *IndexKeys) RetireIndexKeys(ctx context.Context) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE index_keys SET state = ? WHERE state = ?`, domain.KeyRetired, domain.KeyRetiring)
		return err
	})
}

// DeleteIndexEntries deletes up to limit entries under index key version
// v and returns how many it deleted.
func (s *IndexKeys) DeleteIndexEntries(ctx context.Context, v, limit int) (int64, error) {
	var n int64
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM blind_index WHERE key_version = ? AND customer_id IN
			(SELECT customer_id FROM blind_index WHERE key_version = ? LIMIT ?)`, v, v, limit)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}

// FinishIndexRotation destroys the retired index keys (their wrapped form
// is overwritten) and closes the rotation, with evs audited.
func (s *IndexKeys) FinishIndexRotation(ctx context.Context, r *domain.Rotation, evs ...*domain.AuditEvent) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE index_keys SET state = ?, wrapped = ? WHERE state = ?`, domain.KeyDestroyed, []byte{}, domain.KeyRetired); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE key_rotations SET phase = ?, done = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
			domain.PhaseDone, r.Done, now, now, r.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// IndexKeyCreated returns when each index key version was created.
func (s *IndexKeys) IndexKeyCreated(ctx context.Context) (map[int]time.Time, error) {
	rows, err := s.query(ctx, `SELECT version, created_at FROM index_keys`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]time.Time{}
	for rows.Next() {
		var v int
		var t int64
		if err := rows.Scan(&v, &t); err != nil {
			return nil, err
		}
		out[v] = time.UnixMicro(t).UTC()
	}
	return out, rows.Err()
}
