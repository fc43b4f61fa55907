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

//nolint:gosec // G101 false positive: column names, not a credential
const tokenColumns = `t.id, t.secret_hash, t.user_id, t.name, t.scopes, t.created_by, t.created_at, t.expires_at,
	t.last_used_at, t.revoked_at`

type tokenRow struct {
	id                   string
	secretHash           []byte
	userID, name, scopes string
	createdBy            string
	createdAt, expiresAt int64
	lastUsed, revokedAt  sql.NullInt64
}

func (r *tokenRow) dest() []any {
	return []any{&r.id, &r.secretHash, &r.userID, &r.name, &r.scopes, &r.createdBy, &r.createdAt, &r.expiresAt,
		&r.lastUsed, &r.revokedAt}
}

func (r *tokenRow) token() domain.APIToken {
	t := domain.APIToken{
		ID: domain.ID(r.id), SecretHash: r.secretHash, UserID: domain.ID(r.userID), Name: r.name,
		CreatedBy: domain.ID(r.createdBy), CreatedAt: fromMicros(nullInt(r.createdAt)),
		ExpiresAt: fromMicros(nullInt(r.expiresAt)), LastUsedAt: fromMicros(r.lastUsed), RevokedAt: fromMicros(r.revokedAt),
	}
	if r.scopes != "" {
		t.Scopes = strings.Split(r.scopes, ",")
	}
	return t
}

// CreateToken stores an API token (its secret only as a hash).
func (s *Sessions) CreateToken(ctx context.Context, t *domain.APIToken, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (id, secret_hash, user_id, name, scopes, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, string(t.ID), t.SecretHash, string(t.UserID), t.Name, strings.Join(t.Scopes, ","),
			string(t.CreatedBy), t.CreatedAt.UnixMicro(), t.ExpiresAt.UnixMicro()); err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("user_id", "no such user")
			}
			return fmt.Errorf("insert token: %w", err)
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetTokenUser returns a token with its user, the user's current role and
// territories, in one query (API token authentication).
func (s *Sessions) GetTokenUser(ctx context.Context, id domain.ID) (*domain.TokenUser, error) {
	var tr tokenRow
	err := s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.id = ?`, string(id)).Scan(tr.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("token")
	}
	if err != nil {
		return nil, fmt.Errorf("get token: %w", err)
	}
	tu := &domain.TokenUser{Token: tr.token()}
	tu.User, tu.Role, tu.Territories, err = s.authUser(ctx, string(tu.Token.UserID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("token")
	}
	if err != nil {
		return nil, fmt.Errorf("get token user: %w", err)
	}
	return tu, nil
}

// ListTokens returns a user's tokens (revoked and expired ones included),
// newest first.
func (s *Sessions) ListTokens(ctx context.Context, userID domain.ID) ([]*domain.APIToken, error) {
	rows, err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.user_id = ? ORDER BY t.created_at DESC, t.id DESC LIMIT 1000`,
		string(userID))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []*domain.APIToken
	for rows.Next() {
		var r tokenRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		t := r.token()
		t.SecretHash = nil
		out = append(out, &t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a live token.
func (s *Sessions) RevokeToken(ctx context.Context, id domain.ID, at time.Time, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UnixMicro(), string(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("token")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// TouchToken records a token's use.
func (s *Sessions) TouchToken(ctx context.Context, id domain.ID, at time.Time) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
			at.UnixMicro(), string(id), at.UnixMicro())
		return err
	})
}
