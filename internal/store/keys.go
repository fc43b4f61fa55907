package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

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

// LoadIndexKeys unwraps every blind-index root key into the store's index.
// On a fresh database it first records master key version kekVersion as
// active and creates index key version 1. A master key that does not
// unwrap the stored index key is reported as the wrong master key.
func (s *Store) LoadIndexKeys(ctx context.Context, kekVersion int) error {
	if s.vault == nil || s.index == nil {
		return errors.New("store: no vault or blind index configured")
	}
	if err := s.bootstrapKeys(ctx, kekVersion); err != nil {
		return err
	}
	rows, err := s.query(ctx, `SELECT version, kek_version, wrapped, state FROM index_keys ORDER BY version`)
	if err != nil {
		return fmt.Errorf("read index keys: %w", err)
	}
	defer rows.Close()
	active := 0
	for rows.Next() {
		var v, kv int
		var wrapped []byte
		var state string
		if err := rows.Scan(&v, &kv, &wrapped, &state); err != nil {
			return err
		}
		raw, err := s.vault.UnwrapNamed(ctx, indexKeyName(v), kv, wrapped)
		if err != nil {
			return fmt.Errorf("blind index key v%d does not unwrap under master key v%d: is this the right master key for this database? %w", v, kv, err)
		}
		if err := s.index.AddVersion(v, raw); err != nil {
			return err
		}
		clear(raw)
		if state == KeyActive {
			active = v
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if active == 0 {
		return errors.New("store: no active blind index key")
	}
	s.index.SetActive(active)
	return nil
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
	_, err := tx.Exec(ctx, `INSERT INTO data_keys (id, kek_version, wrapped, created_at) VALUES (?, ?, ?, ?)`,
		string(wk.ID), wk.KEKVersion, wk.Wrapped, now)
	return err
}
