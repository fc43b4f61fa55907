package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/vault"
)

// Master key and blind-index key states.
const (
	KeyActive    = "active"
	KeyRetiring  = "retiring"
	KeyRetired   = "retired"
	KeyDestroyed = "destroyed"
)

func indexKeyName(v int) string { return "blind-index-root/" + strconv.Itoa(v) }

// IndexKeyName is the name a blind-index root key is wrapped under.
func IndexKeyName(v int) string { return indexKeyName(v) }

// Index key states beyond the master key states: a new index key is
// "building" while its entries are written for every customer.
const KeyBuilding = "building"

// LoadIndexKeys unwraps the blind-index root keys in use into the store's
// index and sets the active one. On a fresh database it first records
// master key version kekVersion as active and creates index key version
// 1. A master key that does not unwrap the stored index key is reported
// as the wrong master key. Called again (the key refresh), it loads only
// versions it does not have yet and drops retired ones.
func (s *Store) LoadIndexKeys(ctx context.Context, kekVersion int) error {
	if s.vault == nil || s.index == nil {
		return errors.New("store: no vault or blind index configured")
	}
	if err := s.bootstrapKeys(ctx, kekVersion); err != nil {
		return err
	}
	return s.RefreshIndexKeys(ctx)
}

// RefreshIndexKeys re-reads the index keys: new versions (a rotation
// begun by another process) are loaded, retired ones dropped, and the
// active one follows the database.
func (s *Store) RefreshIndexKeys(ctx context.Context) error {
	all, err := s.IndexKeys(ctx)
	if err != nil {
		return err
	}
	active := 0
	for _, r := range all {
		switch r.State {
		case KeyRetired, KeyDestroyed:
			s.index.RemoveVersion(r.Version)
			continue
		case KeyActive:
			active = r.Version
		}
		if s.index.Has(r.Version) {
			continue
		}
		raw, err := s.vault.UnwrapNamed(ctx, indexKeyName(r.Version), r.KEKVersion, r.Wrapped)
		if err != nil {
			return fmt.Errorf("blind index key v%d does not unwrap under master key v%d: is this the right master key for this database? %w", r.Version, r.KEKVersion, err)
		}
		err = s.index.AddVersion(r.Version, raw)
		clear(raw)
		if err != nil {
			return err
		}
	}
	if active == 0 {
		return errors.New("store: no active blind index key")
	}
	s.index.SetActive(active)
	return nil
}

// verifyKeys checks, before anything is written, that the master key
// opens this database's index keys: the wrong key file, passphrase or
// token is refused with the database untouched. A fresh database has
// nothing to check.
func (s *Store) verifyKeys(ctx context.Context) error {
	if s.vault == nil {
		return nil
	}
	rows, err := s.query(ctx, `SELECT version, kek_version, wrapped FROM index_keys WHERE state <> ?`, KeyDestroyed)
	if err != nil {
		return nil // no schema yet
	}
	defer rows.Close()
	for rows.Next() {
		var v, kv int
		var wrapped []byte
		if err := rows.Scan(&v, &kv, &wrapped); err != nil {
			return err
		}
		raw, err := s.vault.UnwrapNamed(ctx, indexKeyName(v), kv, wrapped)
		if err != nil {
			return fmt.Errorf("the master key does not open this database (blind index key v%d under master key v%d): is this the right master key for this database? %w", v, kv, err)
		}
		clear(raw)
	}
	return rows.Err()
}

func (s *Store) bootstrapKeys(ctx context.Context, kekVersion int) error {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM index_keys`).Scan(&n); err != nil {
		return fmt.Errorf("read index keys: %w", err)
	}
	if n > 0 {
		return nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	kv, wrapped, err := s.vault.WrapNamed(ctx, indexKeyName(1), raw)
	clear(raw)
	if err != nil {
		return fmt.Errorf("wrap blind index key: %w", err)
	}
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM index_keys`).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO master_keys (version, state, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			kekVersion, KeyActive, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO index_keys (version, kek_version, wrapped, state, created_at) VALUES (1, ?, ?, ?, ?)`,
			kv, wrapped, KeyActive, now)
		return err
	})
}

// insertDataKey stores a new wrapped data key.
func insertDataKey(ctx context.Context, tx *Tx, wk vault.WrappedKey, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO data_keys (id, kek_version, wrapped, leaf, created_at) VALUES (?, ?, ?, ?, ?)`,
		string(wk.ID), wk.KEKVersion, wk.Wrapped, leafValue(wk.Leaf), now)
	return err
}

// NoKeysYet reports whether the database holds no data key and no index
// key: a fresh installation.
func (s *Store) NoKeysYet(ctx context.Context) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM data_keys) + (SELECT COUNT(*) FROM index_keys)`).Scan(&n)
	return n == 0, err
}

// InsertDataKeys stores wrapped data keys in bulk (imports and
// benchmarks), 500 rows per statement, in one transaction.
func (s *Store) InsertDataKeys(ctx context.Context, wks []vault.WrappedKey) error {
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
