package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Take takes one token from bucket, which holds up to r.Burst tokens and
// refills at r's rate; the bucket lives in the database, so every node
// draws from the same one. It reports whether a token was there and, when
// not, how long until one will be. A new bucket starts full.
func (s *RateLimits) Take(ctx context.Context, bucket string, r domain.Rate) (ok bool, retryAfter time.Duration, err error) {
	if r.Burst <= 0 || r.PerSecond() <= 0 {
		return false, time.Hour, nil
	}
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		now := s.now()
		burst := float64(r.Burst)
		if _, err := tx.Exec(ctx, `INSERT INTO rate_limits (bucket, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			bucket, burst, now.UnixMicro()); err != nil {
			return err
		}
		var tokens float64
		var updated int64
		err := tx.QueryRow(ctx, `SELECT tokens, updated_at FROM rate_limits WHERE bucket = ?`+lock, bucket).Scan(&tokens, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return errors.New("store: rate limit bucket vanished")
		}
		if err != nil {
			return err
		}
		elapsed := max(0, now.Sub(time.UnixMicro(updated)).Seconds())
		tokens = min(burst, tokens+elapsed*r.PerSecond())
		ok = tokens >= 1
		if ok {
			tokens--
			retryAfter = 0
		} else {
			retryAfter = time.Duration(math.Ceil((1-tokens)/r.PerSecond()*1e3)) * time.Millisecond
		}
		_, err = tx.Exec(ctx, `UPDATE rate_limits SET tokens = ?, updated_at = ? WHERE bucket = ?`, tokens, now.UnixMicro(), bucket)
		return err
	})
	return ok, retryAfter, err
}

// Available reports whether bucket holds a token now, without taking it,
// and when not, how long until it will. A bucket never drawn from is
// full.
func (s *RateLimits) Available(ctx context.Context, bucket string, r domain.Rate) (ok bool, retryAfter time.Duration, err error) {
	if r.Burst <= 0 || r.PerSecond() <= 0 {
		return false, time.Hour, nil
	}
	var tokens float64
	var updated int64
	err = s.queryRow(ctx, `SELECT tokens, updated_at FROM rate_limits WHERE bucket = ?`, bucket).Scan(&tokens, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	elapsed := max(0, s.now().Sub(time.UnixMicro(updated)).Seconds())
	tokens = min(float64(r.Burst), tokens+elapsed*r.PerSecond())
	if tokens >= 1 {
		return true, 0, nil
	}
	return false, time.Duration(math.Ceil((1-tokens)/r.PerSecond()*1e3)) * time.Millisecond, nil
}
