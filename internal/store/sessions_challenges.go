package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// CreateChallenge stores a challenge (its secret only as a hash) and
// drops challenges that expired over an hour ago.
func (s *Sessions) CreateChallenge(ctx context.Context, c *domain.Challenge, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM auth_challenges WHERE expires_at < ?`, c.CreatedAt.Add(-time.Hour).UnixMicro()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth_challenges (id, secret_hash, kind, user_id, session_id, data, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, string(c.ID), c.SecretHash, c.Kind, string(c.UserID), nullString(c.SessionID), c.Data,
			c.CreatedAt.UnixMicro(), c.ExpiresAt.UnixMicro()); err != nil {
			return fmt.Errorf("insert challenge: %w", err)
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetChallenge returns a challenge by id.
func (s *Sessions) GetChallenge(ctx context.Context, id domain.ID) (*domain.Challenge, error) {
	c := &domain.Challenge{ID: id}
	var uid string
	var sid sql.NullString
	var created, expires int64
	var used sql.NullInt64
	err := s.queryRow(ctx, `SELECT secret_hash, kind, user_id, session_id, data, attempts, created_at, expires_at, used_at
		FROM auth_challenges WHERE id = ?`, string(id)).Scan(&c.SecretHash, &c.Kind, &uid, &sid, &c.Data, &c.Attempts,
		&created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("challenge")
	}
	if err != nil {
		return nil, fmt.Errorf("get challenge: %w", err)
	}
	c.UserID, c.SessionID = domain.ID(uid), domain.ID(sid.String)
	c.CreatedAt, c.ExpiresAt, c.UsedAt = fromMicros(nullInt(created)), fromMicros(nullInt(expires)), fromMicros(used)
	return c, nil
}

// FailChallenge counts a wrong answer to a challenge and returns the new
// count.
func (s *Sessions) FailChallenge(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) (int, error) {
	n := 0
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE auth_challenges SET attempts = attempts + 1 WHERE id = ?`, string(id)); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT attempts FROM auth_challenges WHERE id = ?`, string(id)).Scan(&n); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
	return n, err
}

// ConsumeChallenge marks an unused challenge as used; it reports false
// when it was used meanwhile (each challenge completes once).
func (s *Sessions) ConsumeChallenge(ctx context.Context, id domain.ID, at time.Time) (bool, error) {
	ok := false
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE auth_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL`, at.UnixMicro(), string(id))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}
