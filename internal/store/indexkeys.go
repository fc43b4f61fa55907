package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// LoadIndexKeys unwraps the blind-index root keys in use into the store's
// index and sets the active one. On a fresh database it first records
// master key version kekVersion as active and creates index key version
// 1. A master key that does not unwrap the stored index key is reported
// as the wrong master key. Called again (the key refresh), it loads only
// versions it does not have yet and drops retired ones.
func (s *IndexKeys) LoadIndexKeys(ctx context.Context, kekVersion int) error {
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
func (s *IndexKeys) RefreshIndexKeys(ctx context.Context) error {
	// One refresh at a time: a refresh that read the keys before a
	// rotation retired one must not apply that stale state after a later
	// refresh dropped the key, or entries would be written under it again.
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	all, err := s.indexKeyWraps(ctx)
	if err != nil {
		return err
	}
	active := 0
	for _, r := range all {
		switch r.State {
		case domain.KeyRetired, domain.KeyDestroyed:
			s.index.RemoveVersion(r.Version)
			continue
		case domain.KeyActive:
			active = r.Version
		}
		if s.index.Has(r.Version) {
			continue
		}
		raw, err := s.vault.UnwrapNamed(ctx, vault.IndexKeyName(r.Version), r.KEKVersion, r.Wrapped)
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
func (s *DB) verifyKeys(ctx context.Context) error {
	if s.vault == nil {
		return nil
	}
	rows, err := s.query(ctx, `SELECT version, kek_version, wrapped FROM index_keys WHERE state <> ?`, domain.KeyDestroyed)
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
		raw, err := s.vault.UnwrapNamed(ctx, vault.IndexKeyName(v), kv, wrapped)
		if err != nil {
			return fmt.Errorf("the master key does not open this database (blind index key v%d under master key v%d): is this the right master key for this database? %w", v, kv, err)
		}
		clear(raw)
	}
	return rows.Err()
}

func (s *IndexKeys) bootstrapKeys(ctx context.Context, kekVersion int) error {
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
	kv, wrapped, err := s.vault.WrapNamed(ctx, vault.IndexKeyName(1), raw)
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
			kekVersion, domain.KeyActive, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO index_keys (version, kek_version, wrapped, state, created_at) VALUES (1, ?, ?, ?, ?)`,
			kv, wrapped, domain.KeyActive, now)
		return err
	})
}
