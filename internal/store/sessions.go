package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// CreateSession stores a session with the audit events evs. When
// maxPerUser is positive, the user's oldest live sessions (by creation
// time, then id) beyond maxPerUser-1 are revoked in the same transaction,
// so at most maxPerUser stay alive; evicted, when set, makes an audit
// event for each. On PostgreSQL the user's row is locked first, so
// concurrent sign-ins on any node count each other.
func (s *Sessions) CreateSession(ctx context.Context, se *domain.Session, maxPerUser int, evicted func(id domain.ID) *domain.AuditEvent, evs ...*domain.AuditEvent) ([]domain.ID, error) {
	var out []domain.ID
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		out = out[:0]
		if err := lockUser(ctx, tx, se.UserID); err != nil {
			return err
		}
		now := se.CreatedAt.UnixMicro()
		if maxPerUser > 0 {
			live, err := liveSessionIDs(ctx, tx, se.UserID, now)
			if err != nil {
				return err
			}
			for i := maxPerUser - 1; i < len(live); i++ {
				if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ?`, now, live[i]); err != nil {
					return err
				}
				out = append(out, domain.ID(live[i]))
				if evicted != nil {
					if err := insertAudit(ctx, tx, evicted(domain.ID(live[i]))); err != nil {
						return err
					}
				}
			}
		}
		if err := insertSession(ctx, tx, se); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
	return out, err
}

func insertSession(ctx context.Context, tx *Tx, se *domain.Session) error {
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, secret_hash, user_id, created_at, last_seen_at, expires_at,
		auth_at, source_ip, user_agent, device_id, mfa) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(se.ID), se.SecretHash, string(se.UserID), se.CreatedAt.UnixMicro(), se.LastSeenAt.UnixMicro(), se.ExpiresAt.UnixMicro(),
		se.AuthAt.UnixMicro(), se.SourceIP, se.UserAgent, nullString(se.DeviceID), boolInt(se.MFA))
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// RotateSession replaces live session oldID with se (a step-up: new
// secret, fresh authentication time) in one transaction: the old token
// stops working as the new one starts. se keeps the old session's
// creation time and absolute expiry, so stepping up never extends a
// session's lifetime. A revoked, expired or unknown old session is not
// found.
func (s *Sessions) RotateSession(ctx context.Context, oldID domain.ID, se *domain.Session, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var created, expires int64
		var device sql.NullString
		err := tx.QueryRow(ctx, `SELECT created_at, expires_at, device_id FROM sessions
			WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
			string(oldID), string(se.UserID), se.AuthAt.UnixMicro()).Scan(&created, &expires, &device)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("session")
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ?`, se.AuthAt.UnixMicro(), string(oldID)); err != nil {
			return err
		}
		se.CreatedAt, se.ExpiresAt, se.DeviceID = fromMicros(nullInt(created)), fromMicros(nullInt(expires)), domain.ID(device.String)
		if err := insertSession(ctx, tx, se); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// MarkSessionAuthenticated records that the user just proved who they are
// in session id (with a second factor when mfa is set).
func (s *Sessions) MarkSessionAuthenticated(ctx context.Context, id domain.ID, at time.Time, mfa bool, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sessions SET auth_at = ?, mfa = ? WHERE id = ? AND revoked_at IS NULL`,
			at.UnixMicro(), boolInt(mfa), string(id)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetSessionUser returns a session with its user, for authenticating a
// request. It reads both in one query so every request sees the user's
// current role and status.
func (s *Sessions) GetSessionUser(ctx context.Context, id domain.ID) (*domain.SessionUser, error) {
	var su domain.SessionUser
	var sid, uid string
	var created, lastSeen, expires, authAt, revoked sql.NullInt64
	var device sql.NullString
	var mfa int64
	err := s.queryRow(ctx, `SELECT id, secret_hash, user_id, created_at, last_seen_at, expires_at,
		auth_at, source_ip, user_agent, device_id, revoked_at, mfa FROM sessions WHERE id = ?`, string(id)).
		Scan(&sid, &su.Session.SecretHash, &uid, &created, &lastSeen, &expires, &authAt,
			&su.Session.SourceIP, &su.Session.UserAgent, &device, &revoked, &mfa)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("session")
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	su.User, su.Role, su.Territories, err = s.authUser(ctx, uid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("session")
	}
	if err != nil {
		return nil, fmt.Errorf("get session user: %w", err)
	}
	su.Session.ID = domain.ID(sid)
	su.Session.UserID = domain.ID(uid)
	su.Session.CreatedAt = fromMicros(created)
	su.Session.LastSeenAt = fromMicros(lastSeen)
	su.Session.ExpiresAt = fromMicros(expires)
	su.Session.AuthAt = fromMicros(authAt)
	su.Session.RevokedAt = fromMicros(revoked)
	su.Session.DeviceID = domain.ID(device.String)
	su.Session.MFA = mfa != 0
	return &su, nil
}

// TouchSessions records activity on sessions (for the idle timeout): the
// last-seen time of each session in seen moves forward to its time, never
// back, all in one transaction. Rows are updated in id order, so two nodes
// touching the same sessions never deadlock.
func (s *Sessions) TouchSessions(ctx context.Context, seen map[domain.ID]time.Time) error {
	ids := slices.Sorted(maps.Keys(seen))
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		for _, id := range ids {
			at := seen[id].UnixMicro()
			if _, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`,
				at, string(id), at); err != nil {
				return fmt.Errorf("touch session: %w", err)
			}
		}
		return nil
	})
}

// RevokeSession ends a session with the audit event ev.
func (s *Sessions) RevokeSession(ctx context.Context, id domain.ID, at time.Time, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UnixMicro(), string(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("session")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// RevokeUserSessions ends every live session of a user.
func (s *Sessions) RevokeUserSessions(ctx context.Context, userID domain.ID, at time.Time, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
			at.UnixMicro(), string(userID)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// ListSessions returns a user's live sessions, newest first.
func (s *Sessions) ListSessions(ctx context.Context, userID domain.ID, now time.Time) ([]*domain.Session, error) {
	rows, err := s.query(ctx, `SELECT id, created_at, last_seen_at, expires_at, auth_at, source_ip, user_agent, device_id, mfa
		FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id DESC`,
		string(userID), now.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*domain.Session
	for rows.Next() {
		var se domain.Session
		var id string
		var created, lastSeen, expires, authAt sql.NullInt64
		var device sql.NullString
		var mfa int64
		if err := rows.Scan(&id, &created, &lastSeen, &expires, &authAt, &se.SourceIP, &se.UserAgent, &device, &mfa); err != nil {
			return nil, err
		}
		se.ID, se.UserID = domain.ID(id), userID
		se.CreatedAt, se.LastSeenAt = fromMicros(created), fromMicros(lastSeen)
		se.ExpiresAt, se.AuthAt = fromMicros(expires), fromMicros(authAt)
		se.DeviceID = domain.ID(device.String)
		se.MFA = mfa != 0
		out = append(out, &se)
	}
	return out, rows.Err()
}

// liveSessionIDs lists a user's unrevoked, unexpired sessions, newest
// first.
func liveSessionIDs(ctx context.Context, tx *Tx, userID domain.ID, now int64) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, string(userID), now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var live []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		live = append(live, id)
	}
	return live, rows.Err()
}
