package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// ThrottleStates returns the stored state of the given buckets (absent
// buckets are left out).
func (s *Factors) ThrottleStates(ctx context.Context, buckets ...string) ([]domain.ThrottleState, error) {
	if len(buckets) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(buckets)), ",")
	args := make([]any, len(buckets))
	for i, b := range buckets {
		args[i] = b
	}
	rows, err := s.query(ctx, `SELECT bucket, failures, last_failure, blocked_until FROM login_throttle WHERE bucket IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read throttle: %w", err)
	}
	defer rows.Close()
	var out []domain.ThrottleState
	for rows.Next() {
		var st domain.ThrottleState
		var last, blocked int64
		if err := rows.Scan(&st.Bucket, &st.Failures, &last, &blocked); err != nil {
			return nil, err
		}
		st.LastFailure, st.BlockedUntil = fromMicros(nullInt(last)), fromMicros(nullInt(blocked))
		out = append(out, st)
	}
	return out, rows.Err()
}

// RecordThrottleFailure counts one failed attempt in each bucket. next
// computes a bucket's new state from its current one (zero when absent),
// inside the transaction, so concurrent failures on any node all count.
// Buckets idle for a day are dropped on the way.
func (s *Factors) RecordThrottleFailure(ctx context.Context, now time.Time, next func(domain.ThrottleState) domain.ThrottleState, buckets ...string) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE last_failure < ?`, now.Add(-24*time.Hour).UnixMicro()); err != nil {
			return err
		}
		for _, b := range buckets {
			// Take the row lock first (insert or touch), then read it.
			if _, err := tx.Exec(ctx, `INSERT INTO login_throttle (bucket, failures, last_failure, blocked_until) VALUES (?, 0, ?, 0)
				ON CONFLICT (bucket) DO UPDATE SET bucket = excluded.bucket`, b, now.UnixMicro()); err != nil {
				return fmt.Errorf("throttle: %w", err)
			}
			cur := domain.ThrottleState{Bucket: b}
			var last, blocked int64
			err := tx.QueryRow(ctx, `SELECT failures, last_failure, blocked_until FROM login_throttle WHERE bucket = ?`, b).
				Scan(&cur.Failures, &last, &blocked)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			cur.LastFailure, cur.BlockedUntil = fromMicros(nullInt(last)), fromMicros(nullInt(blocked))
			st := next(cur)
			if _, err := tx.Exec(ctx, `UPDATE login_throttle SET failures = ?, last_failure = ?, blocked_until = ? WHERE bucket = ?`,
				st.Failures, st.LastFailure.UnixMicro(), st.BlockedUntil.UnixMicro(), b); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearThrottle forgets the given buckets (after a successful sign-in).
func (s *Factors) ClearThrottle(ctx context.Context, buckets ...string) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		for _, b := range buckets {
			if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE bucket = ?`, b); err != nil {
				return err
			}
		}
		return nil
	})
}
