package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// AcquireLease takes the lease name for holder until now+ttl, if it is
// free, expired, or already holder's. Otherwise it returns a
// *domain.LeaseHeldError.
func (s *Leases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	now := s.now()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var cur string
		var acquired, expires int64
		err := tx.QueryRow(ctx, `SELECT holder, acquired_at, expires_at FROM key_leases WHERE name = ?`, name).Scan(&cur, &acquired, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO key_leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)`,
				name, holder, now.UnixMicro(), now.Add(ttl).UnixMicro())
			return err
		case err != nil:
			return err
		case cur != holder && expires > now.UnixMicro():
			return &domain.LeaseHeldError{Name: name, Holder: cur, Since: time.UnixMicro(acquired), Expires: time.UnixMicro(expires)}
		}
		if cur != holder {
			acquired = now.UnixMicro()
		}
		_, err = tx.Exec(ctx, `UPDATE key_leases SET holder = ?, acquired_at = ?, expires_at = ? WHERE name = ?`,
			holder, acquired, now.Add(ttl).UnixMicro(), name)
		return err
	})
}

// RenewLease extends holder's lease; domain.ErrLeaseLost if it is no longer
// holder's.
func (s *Leases) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	now := s.now()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE key_leases SET expires_at = ? WHERE name = ? AND holder = ?`,
			now.Add(ttl).UnixMicro(), name, holder)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrLeaseLost
		}
		return nil
	})
}

// ReleaseLease gives up holder's lease (no-op if it is not holder's).
func (s *Leases) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM key_leases WHERE name = ? AND holder = ?`, name, holder)
		return err
	})
}

// Leases lists the leases in the table (expired ones included).
func (s *Leases) Leases(ctx context.Context) ([]domain.Lease, error) {
	rows, err := s.query(ctx, `SELECT name, holder, acquired_at, expires_at FROM key_leases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	defer rows.Close()
	var out []domain.Lease
	for rows.Next() {
		var l domain.Lease
		var a, e int64
		if err := rows.Scan(&l.Name, &l.Holder, &a, &e); err != nil {
			return nil, err
		}
		l.Since, l.ExpiresAt = time.UnixMicro(a).UTC(), time.UnixMicro(e).UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}
