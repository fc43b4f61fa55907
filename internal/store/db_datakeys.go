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

// Reads open sealed fields with the owning customer's data key. The
// vault caches unwrapped keys, so a hot read needs neither the wrapped key
// nor an unwrap: only a miss reads data_keys. This is safe because erasure
// is visible on the customer row itself (erased_at, or no row once
// deleted), which every read checks before it uses a key.

// dataKey returns the unwrapped data key id: from the cache, or read and
// unwrapped. A destroyed or missing key is vault.ErrErased.
func (s *DB) dataKey(ctx context.Context, id domain.ID) (*vault.Key, error) {
	if k, ok := s.vault.Cached(id); ok {
		return k, nil
	}
	wk := vault.WrappedKey{ID: id}
	var kv sql.NullInt64
	err := s.queryRow(ctx, `SELECT kek_version, wrapped FROM data_keys WHERE id = ?`, string(id)).Scan(&kv, &wk.Wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vault.ErrErased
	}
	if err != nil {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	wk.KEKVersion = int(kv.Int64)
	return s.vault.Key(ctx, wk)
}

// warmDataKeys brings the data keys ids into the cache with one query for
// all the misses (a list page reads one key per row).
func (s *DB) warmDataKeys(ctx context.Context, ids []domain.ID) error {
	var missing []any
	seen := map[domain.ID]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if !s.vault.IsCached(id) {
			missing = append(missing, string(id))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := s.query(ctx, `SELECT id, kek_version, wrapped FROM data_keys WHERE wrapped IS NOT NULL AND id IN (?`+
		strings.Repeat(", ?", len(missing)-1)+`)`, missing...)
	if err != nil {
		return fmt.Errorf("read data keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var wk vault.WrappedKey
		var id string
		if err := rows.Scan(&id, &wk.KEKVersion, &wk.Wrapped); err != nil {
			return err
		}
		wk.ID = domain.ID(id)
		// A key whose erasure-tree leaf is punctured (a database copy made
		// before an erasure) stays out of the cache; its row reads as erased.
		// One that does not unwrap (tampered) is reported by the read
		// of its row, which stays unreadable; the rest of the page is not.
		if _, err := s.vault.Key(ctx, wk); err != nil && !errors.Is(err, vault.ErrErased) && !errors.Is(err, vault.ErrUnwrap) {
			return err
		}
	}
	return rows.Err()
}
