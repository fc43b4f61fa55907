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

// PendingShreds returns up to limit destroyed data keys whose leaves
// still need puncturing.
func (s *DataKeys) PendingShreds(ctx context.Context, limit int) ([]domain.PendingShred, error) {
	rows, err := s.query(ctx, `SELECT id, leaf FROM data_keys WHERE destroyed_at IS NOT NULL AND shredded_at IS NULL AND leaf IS NOT NULL LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read pending erasures: %w", err)
	}
	defer rows.Close()
	var out []domain.PendingShred
	for rows.Next() {
		var p domain.PendingShred
		var leaf int64
		if err := rows.Scan(&p.DataKeyID, &leaf); err != nil {
			return nil, err
		}
		p.Leaf = leafFrom(leaf)
		out = append(out, p)
	}
	return out, rows.Err()
}

// CountPendingShreds counts destroyed data keys not yet punctured.
func (s *DataKeys) CountPendingShreds(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM data_keys WHERE destroyed_at IS NOT NULL AND shredded_at IS NULL AND leaf IS NOT NULL`).Scan(&n)
	return n, err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// LiveKeysOnLeaves returns the live data keys whose leaf is one of leaves
// (another key that shares a leaf about to be punctured must move first).
func (s *DataKeys) LiveKeysOnLeaves(ctx context.Context, leaves []uint64) ([]vault.WrappedKey, error) {
	if len(leaves) == 0 {
		return nil, nil
	}
	args := make([]any, len(leaves))
	for i, l := range leaves {
		args[i] = leafValue(l)
	}
	rows, err := s.query(ctx, `SELECT id, kek_version, wrapped, leaf FROM data_keys WHERE wrapped IS NOT NULL AND leaf IN (`+placeholders(len(leaves))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read data keys by leaf: %w", err)
	}
	defer rows.Close()
	var out []vault.WrappedKey
	for rows.Next() {
		var wk vault.WrappedKey
		var leaf int64
		if err := rows.Scan(&wk.ID, &wk.KEKVersion, &wk.Wrapped, &leaf); err != nil {
			return nil, err
		}
		wk.Leaf = leafFrom(leaf)
		out = append(out, wk)
	}
	return out, rows.Err()
}

// ReplaceDataKey stores fresh (a data key moved to a new leaf) in place of
// old, if old is still what is stored.
func (s *DataKeys) ReplaceDataKey(ctx context.Context, old, fresh vault.WrappedKey) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE data_keys SET kek_version = ?, wrapped = ?, leaf = ? WHERE id = ? AND wrapped = ?`,
			fresh.KEKVersion, fresh.Wrapped, leafValue(fresh.Leaf), string(old.ID), old.Wrapped)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("", "data key %s changed meanwhile", old.ID)
		}
		return nil
	})
}

// MarkShredded records that the leaves of the given destroyed data keys
// are punctured, and deletes the rows of those no customer refers to any
// more (deleted customers); an erased customer keeps its row as the
// record of the destroyed key.
func (s *DataKeys) MarkShredded(ctx context.Context, ids []domain.ID) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UnixMicro()
	args := []any{now}
	for _, id := range ids {
		args = append(args, string(id))
	}
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE data_keys SET shredded_at = ? WHERE id IN (`+placeholders(len(ids))+`)`, args...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE id IN (`+placeholders(len(ids))+`)
			AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.dek_id = data_keys.id)`, args[1:]...)
		return err
	})
}

// DataKeyOfCustomer returns a customer's wrapped data key as stored.
func (s *DataKeys) DataKeyOfCustomer(ctx context.Context, id domain.ID) (vault.WrappedKey, error) {
	var wk vault.WrappedKey
	var leaf sql.NullInt64
	err := s.queryRow(ctx, `SELECT k.id, k.kek_version, k.wrapped, k.leaf FROM customers c JOIN data_keys k ON k.id = c.dek_id WHERE c.id = ?`,
		string(id)).Scan(&wk.ID, &wk.KEKVersion, &wk.Wrapped, &leaf)
	if errors.Is(err, sql.ErrNoRows) {
		return wk, domain.NotFound("customer")
	}
	wk.Leaf = leafFrom(leaf.Int64)
	return wk, err
}

// ReplaceDataKeyForTest overwrites a stored data key unconditionally.
// Only tests call it (to play a row restored from an old backup).
func (s *DataKeys) ReplaceDataKeyForTest(ctx context.Context, wk vault.WrappedKey) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE data_keys SET kek_version = ?, wrapped = ?, leaf = ? WHERE id = ?`,
			wk.KEKVersion, wk.Wrapped, leafValue(wk.Leaf), string(wk.ID))
		return err
	})
}

// Erasure-tree leaves are unsigned 64-bit numbers; both databases store
// them as signed 64-bit integers with the same bit pattern.
func leafValue(l uint64) int64 { return int64(l) } //nolint:gosec // bit pattern kept on purpose

func leafFrom(v int64) uint64 { return uint64(v) } //nolint:gosec // bit pattern kept on purpose

// insertDataKey stores a new wrapped data key.
func insertDataKey(ctx context.Context, tx *Tx, wk vault.WrappedKey, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO data_keys (id, kek_version, wrapped, leaf, created_at) VALUES (?, ?, ?, ?, ?)`,
		string(wk.ID), wk.KEKVersion, wk.Wrapped, leafValue(wk.Leaf), now)
	return err
}

// NoKeysYet reports whether the database holds no data key and no index
// key: a fresh installation.
func (s *DataKeys) NoKeysYet(ctx context.Context) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM data_keys) + (SELECT COUNT(*) FROM index_keys)`).Scan(&n)
	return n == 0, err
}

// InsertDataKeys stores wrapped data keys in bulk (imports and
// benchmarks), 500 rows per statement, in one transaction.
func (s *DataKeys) InsertDataKeys(ctx context.Context, wks []vault.WrappedKey) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		for start := 0; start < len(wks); start += rewrapChunk {
			end := min(start+rewrapChunk, len(wks))
			q := `INSERT INTO data_keys (id, kek_version, wrapped, leaf, created_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?),`, end-start), ",")
			args := make([]any, 0, 5*(end-start))
			for _, wk := range wks[start:end] {
				args = append(args, string(wk.ID), wk.KEKVersion, wk.Wrapped, leafValue(wk.Leaf), now)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("insert data keys: %w", err)
			}
		}
		return nil
	})
}
