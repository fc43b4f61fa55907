package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// MasterKeys lists the master key versions with what each wraps.
func (s *MasterKeys) MasterKeys(ctx context.Context) ([]domain.MasterKeyInfo, error) {
	out, err := s.masterKeyRows(ctx)
	if err != nil {
		return nil, err
	}
	count := func(q string) (map[int]int64, error) {
		rows, err := s.query(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		m := map[int]int64{}
		for rows.Next() {
			var v int
			var n int64
			if err := rows.Scan(&v, &n); err != nil {
				return nil, err
			}
			m[v] = n
		}
		return m, rows.Err()
	}
	dks, err := count(`SELECT kek_version, COUNT(*) FROM data_keys WHERE wrapped IS NOT NULL GROUP BY kek_version`)
	if err != nil {
		return nil, fmt.Errorf("count data keys: %w", err)
	}
	iks, err := count(`SELECT kek_version, COUNT(*) FROM index_keys WHERE state <> 'destroyed' GROUP BY kek_version`)
	if err != nil {
		return nil, fmt.Errorf("count index keys: %w", err)
	}
	for i := range out {
		out[i].DataKeys, out[i].IndexKeys = dks[out[i].Version], iks[out[i].Version]
	}
	return out, nil
}

func (s *MasterKeys) masterKeyRows(ctx context.Context) ([]domain.MasterKeyInfo, error) {
	rows, err := s.query(ctx, `SELECT version, state, created_at, retired_at FROM master_keys ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read master keys: %w", err)
	}
	defer rows.Close()
	var out []domain.MasterKeyInfo
	for rows.Next() {
		var m domain.MasterKeyInfo
		var created int64
		var retired sql.NullInt64
		if err := rows.Scan(&m.Version, &m.State, &created, &retired); err != nil {
			return nil, err
		}
		m.CreatedAt, m.RetiredAt = time.UnixMicro(created).UTC(), fromMicros(retired)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ActiveMasterVersion returns the master key version new keys are wrapped
// with.
func (s *MasterKeys) ActiveMasterVersion(ctx context.Context) (int, error) {
	var v int
	err := s.queryRow(ctx, `SELECT version FROM master_keys WHERE state = ?`, domain.KeyActive).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errors.New("store: no active master key version")
	}
	return v, err
}

const rotationColumns = `id, kind, from_version, to_version, phase, total, done, cursor, started_at, updated_at, finished_at`

func scanRotation(sc interface{ Scan(...any) error }) (*domain.Rotation, error) {
	var r domain.Rotation
	var started, updated int64
	var finished sql.NullInt64
	if err := sc.Scan(&r.ID, &r.Kind, &r.From, &r.To, &r.Phase, &r.Total, &r.Done, &r.Cursor, &started, &updated, &finished); err != nil {
		return nil, err
	}
	r.StartedAt, r.UpdatedAt, r.FinishedAt = time.UnixMicro(started).UTC(), time.UnixMicro(updated).UTC(), fromMicros(finished)
	return &r, nil
}

// OpenRotation returns the unfinished rotation of kind, or nil.
func (s *MasterKeys) OpenRotation(ctx context.Context, kind domain.RotationKind) (*domain.Rotation, error) {
	r, err := scanRotation(s.queryRow(ctx, `SELECT `+rotationColumns+` FROM key_rotations
		WHERE kind = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1`, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

// LastRotation returns the newest rotation of kind (finished or not), or
// nil.
func (s *MasterKeys) LastRotation(ctx context.Context, kind domain.RotationKind) (*domain.Rotation, error) {
	r, err := scanRotation(s.queryRow(ctx, `SELECT `+rotationColumns+` FROM key_rotations
		WHERE kind = ? ORDER BY id DESC LIMIT 1`, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return r, err
}

func insertRotation(ctx context.Context, tx *Tx, kind domain.RotationKind, from, to int, phase domain.RotationPhase, total, now int64) (*domain.Rotation, error) {
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO key_rotations (kind, from_version, to_version, phase, total, done, cursor, started_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 0, '', ?, ?) RETURNING id`, kind, from, to, phase, total, now, now).Scan(&id); err != nil {
		return nil, fmt.Errorf("record rotation: %w", err)
	}
	return &domain.Rotation{ID: id, Kind: kind, From: from, To: to, Phase: phase, Total: total,
		StartedAt: time.UnixMicro(now).UTC(), UpdatedAt: time.UnixMicro(now).UTC()}, nil
}

// UpdateRotation records a rotation's progress.
func (s *MasterKeys) UpdateRotation(ctx context.Context, r *domain.Rotation) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE key_rotations SET phase = ?, total = ?, done = ?, cursor = ?, updated_at = ? WHERE id = ?`,
			r.Phase, r.Total, r.Done, r.Cursor, now, r.ID)
		return err
	})
}

// BeginMasterRotation records master key version to as active and every
// other active version as retiring, and opens a rotation record, in one
// transaction. evs are audited with it.
func (s *MasterKeys) BeginMasterRotation(ctx context.Context, to int, total int64, evs ...*domain.AuditEvent) (*domain.Rotation, error) {
	now := s.now().UnixMicro()
	var rot *domain.Rotation
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var from, newest int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(CASE WHEN state = 'active' THEN version END), 0), COALESCE(MAX(version), 0) FROM master_keys`).Scan(&from, &newest); err != nil {
			return err
		}
		if to <= newest {
			return domain.Conflict("", "master key version %d is not newer than version %d", to, newest)
		}
		if _, err := tx.Exec(ctx, `UPDATE master_keys SET state = ? WHERE state = ?`, domain.KeyRetiring, domain.KeyActive); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO master_keys (version, state, created_at) VALUES (?, ?, ?)`, to, domain.KeyActive, now); err != nil {
			return err
		}
		var err error
		if rot, err = insertRotation(ctx, tx, domain.RotationMaster, from, to, domain.PhaseRewrap, total, now); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
	return rot, err
}

// CountDataKeysBelow counts live data keys wrapped under a version older
// than v.
func (s *MasterKeys) CountDataKeysBelow(ctx context.Context, v int) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM data_keys WHERE kek_version < ? AND wrapped IS NOT NULL`, v).Scan(&n)
	return n, err
}

// DataKeysBelow returns, in id order, up to limit live data keys with ids
// above after that are wrapped under a version older than v.
func (s *MasterKeys) DataKeysBelow(ctx context.Context, v int, after domain.ID, limit int) ([]vault.WrappedKey, error) {
	rows, err := s.query(ctx, `SELECT id, kek_version, wrapped FROM data_keys
		WHERE id > ? AND kek_version < ? AND wrapped IS NOT NULL ORDER BY id LIMIT ?`, string(after), v, limit)
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	defer rows.Close()
	out := make([]vault.WrappedKey, 0, limit)
	for rows.Next() {
		var wk vault.WrappedKey
		if err := rows.Scan(&wk.ID, &wk.KEKVersion, &wk.Wrapped); err != nil {
			return nil, err
		}
		out = append(out, wk)
	}
	return out, rows.Err()
}

// rewrapChunk bounds the rows of one UPDATE (3 parameters each).
const rewrapChunk = 500

// SaveRewrapped stores rewrapped data keys (all under version to). Each
// row changes only if it still holds the version it was read with and
// was not destroyed meanwhile, so a concurrent erasure wins and running
// the same batch twice is harmless. It returns how many rows changed.
func (s *MasterKeys) SaveRewrapped(ctx context.Context, old, fresh []vault.WrappedKey) (int64, error) {
	if len(old) != len(fresh) {
		return 0, errors.New("store: rewrap batch mismatch")
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	to := fresh[0].KEKVersion
	blob := s.blobType()
	var total int64
	if s.dialect == SQLite {
		// SQLite: one prepared statement per row inside the transaction
		// is a primary-key update each, cheaper than a join.
		err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			total = 0
			st, err := tx.tx.PrepareContext(ctx, `UPDATE data_keys SET kek_version = ?, wrapped = ?
				WHERE id = ? AND kek_version = ? AND wrapped IS NOT NULL`)
			if err != nil {
				return err
			}
			defer st.Close()
			for i := range fresh {
				res, err := st.ExecContext(ctx, to, fresh[i].Wrapped, string(fresh[i].ID), old[i].KEKVersion)
				if err != nil {
					return fmt.Errorf("save rewrapped data keys: %w", err)
				}
				n, _ := res.RowsAffected()
				total += n
			}
			return nil
		})
		return total, err
	}
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		total = 0
		for start := 0; start < len(fresh); start += rewrapChunk {
			end := min(start+rewrapChunk, len(fresh))
			var b strings.Builder
			b.WriteString(`WITH v(id, old, w) AS (VALUES `)
			args := make([]any, 0, 3*(end-start)+1)
			for i := start; i < end; i++ {
				if i > start {
					b.WriteByte(',')
				}
				b.WriteString(`(?, CAST(? AS BIGINT), CAST(? AS ` + blob + `))`)
				args = append(args, string(fresh[i].ID), old[i].KEKVersion, fresh[i].Wrapped)
			}
			b.WriteString(`) UPDATE data_keys SET kek_version = ?, wrapped = v.w FROM v
				WHERE data_keys.id = v.id AND data_keys.kek_version = v.old AND data_keys.wrapped IS NOT NULL`)
			args = append(args, to)
			res, err := tx.Exec(ctx, b.String(), args...)
			if err != nil {
				return fmt.Errorf("save rewrapped data keys: %w", err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	return total, err
}

func (s *DB) blobType() string {
	if s.dialect == Postgres {
		return "BYTEA"
	}
	return "BLOB"
}

// IndexKeyWraps lists the blind-index root keys as stored, to rewrap them
// under a new master key version.
func (s *MasterKeys) IndexKeyWraps(ctx context.Context) ([]domain.WrappedSecret, error) {
	return s.indexKeyWraps(ctx)
}

// indexKeyWraps lists the blind-index root keys as stored.
func (s *DB) indexKeyWraps(ctx context.Context) ([]domain.WrappedSecret, error) {
	return queryAll(ctx, s, func(sc scanner) (k domain.WrappedSecret, err error) {
		return k, sc.Scan(&k.Version, &k.KEKVersion, &k.Wrapped, &k.State)
	}, `SELECT version, kek_version, wrapped, state FROM index_keys ORDER BY version`)
}

// SaveIndexKeyWrap stores index key v rewrapped under master key version
// to, if it is still wrapped under from.
func (s *MasterKeys) SaveIndexKeyWrap(ctx context.Context, v, from, to int, wrapped []byte) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE index_keys SET kek_version = ?, wrapped = ? WHERE version = ? AND kek_version = ?`, to, wrapped, v, from)
		return err
	})
}

// FinishMasterRotation marks every retiring master key version retired
// and closes the rotation, with evs audited in the same transaction.
func (s *MasterKeys) FinishMasterRotation(ctx context.Context, r *domain.Rotation, evs ...*domain.AuditEvent) error {
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE master_keys SET state = ?, retired_at = ? WHERE state = ?`, domain.KeyRetired, now, domain.KeyRetiring); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE key_rotations SET phase = ?, done = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
			domain.PhaseDone, r.Done, now, now, r.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// MasterKeyReferences counts what is still wrapped under master key
// version v: live data keys, and named secrets (index keys not destroyed,
// audit checkpoint keys).
func (s *MasterKeys) MasterKeyReferences(ctx context.Context, v int) (dataKeys, indexKeys int64, err error) {
	err = s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM data_keys WHERE kek_version = ? AND wrapped IS NOT NULL),
		(SELECT COUNT(*) FROM index_keys WHERE kek_version = ? AND state <> 'destroyed')
		+ (SELECT COUNT(*) FROM audit_signing_keys WHERE kek_version = ?)`, v, v, v).Scan(&dataKeys, &indexKeys)
	return dataKeys, indexKeys, err
}

// AuditSigningKeys lists the sealed checkpoint signing keys.
func (s *MasterKeys) AuditSigningKeys(ctx context.Context) ([]domain.WrappedSecret, error) {
	return queryAll(ctx, s.DB, func(sc scanner) (k domain.WrappedSecret, err error) {
		return k, sc.Scan(&k.Version, &k.KEKVersion, &k.Wrapped)
	}, `SELECT version, kek_version, wrapped FROM audit_signing_keys ORDER BY version`)
}

// SaveAuditSigningKeyWrap stores checkpoint key v rewrapped under master
// key version to, if it is still wrapped under from.
func (s *MasterKeys) SaveAuditSigningKeyWrap(ctx context.Context, v, from, to int, wrapped []byte) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE audit_signing_keys SET kek_version = ?, wrapped = ? WHERE version = ? AND kek_version = ?`, to, wrapped, v, from)
		return err
	})
}

// MarkMasterKeyDestroyed records that version v was destroyed in the
// provider; only a retired version can be.
func (s *MasterKeys) MarkMasterKeyDestroyed(ctx context.Context, v int, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE master_keys SET state = ? WHERE version = ? AND state = ?`, domain.KeyDestroyed, v, domain.KeyRetired)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("version", "master key version %d is not retired", v)
		}
		return insertAudit(ctx, tx, evs...)
	})
}
