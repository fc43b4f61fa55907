package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// TOTP secrets are sealed like customer fields: under a data key of their
// own (wrapped by the master key, rotated with the others), bound by
// associated data to the table, the user and the field, so a secret copied
// to another user's row does not open.
const tableTOTP = "mfa_totp"

func totpPlace(userID domain.ID) vault.Place {
	return vault.Place{Table: tableTOTP, Record: userID, Field: "secret"}
}

// BeginTOTP stores an unconfirmed TOTP secret for a user, replacing an
// earlier unconfirmed one. A user with a confirmed TOTP gets a conflict:
// they remove it first.
func (s *Factors) BeginTOTP(ctx context.Context, userID domain.ID, secret string, now time.Time, evs ...*domain.AuditEvent) error {
	key, wk, err := s.vault.NewKey(ctx)
	if err != nil {
		return err
	}
	sealed := key.Seal(totpPlace(userID), secret)
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if err := lockUser(ctx, tx, userID); err != nil {
			return err
		}
		var confirmed sql.NullInt64
		var oldKey string
		err := tx.QueryRow(ctx, `SELECT confirmed_at, dek_id FROM mfa_totp WHERE user_id = ?`, string(userID)).Scan(&confirmed, &oldKey)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case confirmed.Valid:
			return domain.Conflict("", "an authenticator app is already enrolled; remove it first")
		default:
			if err := deleteTOTPRow(ctx, tx, userID, oldKey); err != nil {
				return err
			}
			s.vault.Forget(domain.ID(oldKey))
		}
		if err := insertDataKey(ctx, tx, wk, now.UnixMicro()); err != nil {
			return fmt.Errorf("insert data key: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mfa_totp (user_id, dek_id, secret_sealed, created_at) VALUES (?, ?, ?, ?)`,
			string(userID), string(wk.ID), sealed, now.UnixMicro()); err != nil {
			return fmt.Errorf("insert totp: %w", err)
		}
		return insertAudit(ctx, tx, evs...)
	})
}

func deleteTOTPRow(ctx context.Context, tx *Tx, userID domain.ID, dekID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM mfa_totp WHERE user_id = ?`, string(userID)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE id = ?`, dekID)
	return err
}

// GetTOTP returns a user's TOTP enrollment with its secret opened.
func (s *Factors) GetTOTP(ctx context.Context, userID domain.ID) (*domain.TOTP, error) {
	var wk vault.WrappedKey
	var dekID string
	var sealed []byte
	var confirmed sql.NullInt64
	var created int64
	t := &domain.TOTP{UserID: userID}
	err := s.queryRow(ctx, `SELECT m.dek_id, k.kek_version, k.wrapped, m.secret_sealed, m.confirmed_at, m.last_step, m.created_at
		FROM mfa_totp m JOIN data_keys k ON k.id = m.dek_id WHERE m.user_id = ?`, string(userID)).
		Scan(&dekID, &wk.KEKVersion, &wk.Wrapped, &sealed, &confirmed, &t.LastStep, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("authenticator app")
	}
	if err != nil {
		return nil, fmt.Errorf("get totp: %w", err)
	}
	wk.ID = domain.ID(dekID)
	key, err := s.vault.Key(ctx, wk)
	if err != nil {
		return nil, err
	}
	if t.Secret, err = key.Open(totpPlace(userID), sealed); err != nil {
		return nil, fmt.Errorf("totp secret of %s: %w", userID, err)
	}
	t.Confirmed = confirmed.Valid
	t.CreatedAt = fromMicros(nullInt(created))
	return t, nil
}

// ConfirmTOTP confirms a user's pending TOTP with the step of the code
// that proved it (that code is then used up), marks the user as having a
// second factor, and, when recoveryHashes is non-nil, replaces their
// recovery codes, in one transaction.
func (s *Factors) ConfirmTOTP(ctx context.Context, userID domain.ID, step int64, now time.Time, recoveryHashes [][]byte, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE mfa_totp SET confirmed_at = ?, last_step = ?
			WHERE user_id = ? AND confirmed_at IS NULL AND last_step < ?`, now.UnixMicro(), step, string(userID), step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("", "there is no authenticator app waiting for confirmation")
		}
		if recoveryHashes != nil {
			if err := replaceRecoveryCodes(ctx, tx, userID, recoveryHashes, now); err != nil {
				return err
			}
		}
		if err := recomputeMFA(ctx, tx, userID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// UseTOTPStep marks the TOTP step of an accepted code as used. It reports
// false when that step or a later one was already used (a replayed code),
// atomically, so two requests racing with one code cannot both win.
func (s *Factors) UseTOTPStep(ctx context.Context, userID domain.ID, step int64) (bool, error) {
	ok := false
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?`,
			step, string(userID), step)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// DeleteTOTP removes a user's TOTP (and its data key).
func (s *Factors) DeleteTOTP(ctx context.Context, userID domain.ID, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var dekID string
		err := tx.QueryRow(ctx, `SELECT dek_id FROM mfa_totp WHERE user_id = ?`, string(userID)).Scan(&dekID)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("authenticator app")
		}
		if err != nil {
			return err
		}
		if err := deleteTOTPRow(ctx, tx, userID, dekID); err != nil {
			return err
		}
		s.vault.Forget(domain.ID(dekID))
		if err := recomputeMFA(ctx, tx, userID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// recomputeMFA sets users.mfa_enabled from the user's confirmed factors;
// without any, their recovery codes go too.
func recomputeMFA(ctx context.Context, tx *Tx, userID domain.ID) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM mfa_totp WHERE user_id = ? AND confirmed_at IS NOT NULL) +
		(SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = ?)`, string(userID), string(userID)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, string(userID)); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE users SET mfa_enabled = ? WHERE id = ?`, boolInt(n > 0), string(userID))
	return err
}

func replaceRecoveryCodes(ctx context.Context, tx *Tx, userID domain.ID, hashes [][]byte, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, string(userID)); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.Exec(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			string(userID), h, now.UnixMicro()); err != nil {
			return fmt.Errorf("insert recovery code: %w", err)
		}
	}
	return nil
}

// ReplaceRecoveryCodes replaces a user's recovery codes (stored hashed).
// A user without a second factor has none: conflict.
func (s *Factors) ReplaceRecoveryCodes(ctx context.Context, userID domain.ID, hashes [][]byte, now time.Time, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var enabled int64
		if err := tx.QueryRow(ctx, `SELECT mfa_enabled FROM users WHERE id = ?`, string(userID)).Scan(&enabled); err != nil {
			return err
		}
		if enabled == 0 {
			return domain.Conflict("", "enroll a second factor first")
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, hashes, now); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// RecoveryCodeHashes returns the hashes of a user's unused recovery codes.
func (s *Factors) RecoveryCodeHashes(ctx context.Context, userID domain.ID) ([][]byte, error) {
	rows, err := s.query(ctx, `SELECT code_hash FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL`, string(userID))
	if err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// UseRecoveryCode marks an unused recovery code as used; it reports false
// when the code was used meanwhile.
func (s *Factors) UseRecoveryCode(ctx context.Context, userID domain.ID, hash []byte, at time.Time) (bool, error) {
	ok := false
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE mfa_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
			at.UnixMicro(), string(userID), hash)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// CreatePasskey stores a registered WebAuthn credential and marks the user
// as having a second factor; recoveryHashes, when non-nil, replace their
// recovery codes. A credential id already registered is a conflict.
func (s *Factors) CreatePasskey(ctx context.Context, pk *domain.Passkey, recoveryHashes [][]byte, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO webauthn_credentials (id, user_id, credential_id, name, credential, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, string(pk.ID), string(pk.UserID), pk.CredentialID, pk.Name,
			string(pk.Credential), pk.CreatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert passkey: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("credential", "this authenticator is already registered")
		}
		if recoveryHashes != nil {
			if err := replaceRecoveryCodes(ctx, tx, pk.UserID, recoveryHashes, pk.CreatedAt); err != nil {
				return err
			}
		}
		if err := recomputeMFA(ctx, tx, pk.UserID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// ListPasskeys returns a user's passkeys, oldest first.
func (s *Factors) ListPasskeys(ctx context.Context, userID domain.ID) ([]*domain.Passkey, error) {
	rows, err := s.query(ctx, `SELECT id, credential_id, name, credential, created_at, last_used_at
		FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id`, string(userID))
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	var out []*domain.Passkey
	for rows.Next() {
		pk := &domain.Passkey{UserID: userID}
		var id, cred string
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&id, &pk.CredentialID, &pk.Name, &cred, &created, &used); err != nil {
			return nil, err
		}
		pk.ID, pk.Credential = domain.ID(id), []byte(cred)
		pk.CreatedAt, pk.LastUsedAt = fromMicros(nullInt(created)), fromMicros(used)
		out = append(out, pk)
	}
	return out, rows.Err()
}

// UpdatePasskeyUse stores a passkey's credential record after a sign-in
// (its signature counter moves) and when it was used.
func (s *Factors) UpdatePasskeyUse(ctx context.Context, id domain.ID, credential []byte, at time.Time) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE webauthn_credentials SET credential = ?, last_used_at = ? WHERE id = ?`,
			string(credential), at.UnixMicro(), string(id))
		return err
	})
}

// DeletePasskey removes one of a user's passkeys.
func (s *Factors) DeletePasskey(ctx context.Context, userID, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ?`, string(id), string(userID))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("passkey")
		}
		if err := recomputeMFA(ctx, tx, userID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// ResetMFA removes every second factor and recovery code of a user (an
// administrator's reset for a user who lost their authenticator).
func (s *Factors) ResetMFA(ctx context.Context, userID domain.ID, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var dekID string
		err := tx.QueryRow(ctx, `SELECT dek_id FROM mfa_totp WHERE user_id = ?`, string(userID)).Scan(&dekID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil {
			if err := deleteTOTPRow(ctx, tx, userID, dekID); err != nil {
				return err
			}
			s.vault.Forget(domain.ID(dekID))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webauthn_credentials WHERE user_id = ?`, string(userID)); err != nil {
			return err
		}
		if err := recomputeMFA(ctx, tx, userID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}
