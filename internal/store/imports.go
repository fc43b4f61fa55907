package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// Imports records bulk imports as they run (state, phase, rows done,
// problems), so any node can answer how far one is, and keeps the report
// of an import's refused rows: the rows as the file had them, so
// personal data, sealed in chunks under a data key of the import's own
// (bound to the import and the chunk's place, so chunks cannot be moved
// or reordered) and erased by destroying that key.

const tableImportReports = "import_reports"

const importColumns = `id, kind, state, phase, actor, encoding, rows_total, rows_done, problems, rows_invalid,
	message, report_bytes, started_at, finished_at`

// CreateImport records a running import.
func (s *Imports) CreateImport(ctx context.Context, imp *domain.Import) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO imports (id, kind, state, phase, actor, encoding, rows_total, heartbeat_at, started_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, string(imp.ID), string(imp.Kind), string(imp.State), imp.Phase,
			string(imp.Actor), imp.Encoding, imp.RowsTotal, imp.StartedAt.UnixMicro(), imp.StartedAt.UnixMicro())
		return err
	})
}

// ImportProgress stores a running import's phase and counts, and shows it
// alive (stale running imports are cleaned up, see StaleImports).
func (s *Imports) ImportProgress(ctx context.Context, imp *domain.Import, now time.Time) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE imports SET phase = ?, rows_done = ?, problems = ?, rows_invalid = ?, heartbeat_at = ?
			WHERE id = ? AND state = ?`, imp.Phase, imp.RowsDone, imp.Problems, imp.RowsInvalid, now.UnixMicro(),
			string(imp.ID), string(domain.ImportRunning))
		return err
	})
}

// EndImport stores an import's final state, message and counts with its
// audit events.
func (s *Imports) EndImport(ctx context.Context, imp *domain.Import, now time.Time, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE imports SET state = ?, message = ?, rows_done = ?, problems = ?, rows_invalid = ?,
			finished_at = ? WHERE id = ?`, string(imp.State), imp.Message, imp.RowsDone, imp.Problems, imp.RowsInvalid,
			now.UnixMicro(), string(imp.ID))
		if err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetImport returns an import, or not found.
func (s *Imports) GetImport(ctx context.Context, id domain.ID) (*domain.Import, error) {
	var (
		imp                          domain.Import
		id2, kind, state, actor      string
		startedAt, finishedAt        sql.NullInt64
		rowsTotal, rowsDone          int64
		problems, invalid, repLength int64
	)
	err := s.queryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE id = ?`, string(id)).Scan(&id2, &kind, &state,
		&imp.Phase, &actor, &imp.Encoding, &rowsTotal, &rowsDone, &problems, &invalid, &imp.Message, &repLength,
		&startedAt, &finishedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("import")
	}
	if err != nil {
		return nil, fmt.Errorf("get import: %w", err)
	}
	imp.ID, imp.Kind, imp.State, imp.Actor = domain.ID(id2), domain.ImportKind(kind), domain.ImportState(state), domain.ID(actor)
	imp.RowsTotal, imp.RowsDone, imp.Problems, imp.RowsInvalid = int(rowsTotal), int(rowsDone), int(problems), int(invalid)
	imp.ReportBytes, imp.StartedAt, imp.FinishedAt = repLength, fromMicros(startedAt), fromMicros(finishedAt)
	if imp.State == domain.ImportDone {
		imp.RowsDone = imp.RowsTotal
	}
	return &imp, nil
}

// reportPlace binds a report chunk to its import and its place in the
// report.
func reportPlace(id domain.ID, seq int) vault.Place {
	return vault.Place{Table: tableImportReports, Record: id, Field: "chunk/" + strconv.Itoa(seq)}
}

// AppendImportReport seals chunk seq of an import's report and stores it.
// The first chunk creates the report's data key.
func (s *Imports) AppendImportReport(ctx context.Context, id domain.ID, seq int, chunk []byte) error {
	var dek sql.NullString
	err := s.queryRow(ctx, `SELECT report_dek_id FROM imports WHERE id = ?`, string(id)).Scan(&dek)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound("import")
	}
	if err != nil {
		return fmt.Errorf("read import: %w", err)
	}
	var key *vault.Key
	var fresh *vault.WrappedKey
	if dek.Valid {
		if key, err = s.dataKey(ctx, domain.ID(dek.String)); err != nil {
			return err
		}
	} else {
		k, wk, err := s.vault.NewKey(ctx)
		if err != nil {
			return err
		}
		key, fresh = k, &wk
	}
	sealed := key.Seal(reportPlace(id, seq), string(chunk))
	now := s.now().UnixMicro()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if fresh != nil {
			if err := insertDataKey(ctx, tx, *fresh, now); err != nil {
				return fmt.Errorf("insert data key: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE imports SET report_dek_id = ? WHERE id = ?`, string(fresh.ID), string(id)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO import_reports (import_id, seq, chunk) VALUES (?, ?, ?)`, string(id), seq, sealed); err != nil {
			return fmt.Errorf("store report: %w", err)
		}
		_, err := tx.Exec(ctx, `UPDATE imports SET report_bytes = report_bytes + ? WHERE id = ?`, len(chunk), string(id))
		return err
	})
}

// ReadImportReport opens an import's report chunks in order and hands
// each to fn.
func (s *Imports) ReadImportReport(ctx context.Context, id domain.ID, fn func(chunk []byte) error) error {
	var dek sql.NullString
	err := s.queryRow(ctx, `SELECT report_dek_id FROM imports WHERE id = ?`, string(id)).Scan(&dek)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !dek.Valid) {
		return domain.NotFound("import report")
	}
	if err != nil {
		return fmt.Errorf("read import: %w", err)
	}
	key, err := s.dataKey(ctx, domain.ID(dek.String))
	if errors.Is(err, vault.ErrErased) {
		return domain.NotFound("import report")
	}
	if err != nil {
		return err
	}
	for seq := 0; ; seq++ {
		var sealed []byte
		err := s.queryRow(ctx, `SELECT chunk FROM import_reports WHERE import_id = ? AND seq = ?`, string(id), seq).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read report: %w", err)
		}
		plain, err := key.Open(reportPlace(id, seq), sealed)
		if err != nil {
			return domain.Unreadable("import report", domain.UnreadableField)
		}
		if err := fn([]byte(plain)); err != nil {
			return err
		}
	}
}

type expiredReport struct{ id, dek string }

// expiredReports lists the imports whose reports expire, with their keys.
func (s *Imports) expiredReports(ctx context.Context, before time.Time) ([]expiredReport, error) {
	rows, err := s.query(ctx, `SELECT id, report_dek_id FROM imports WHERE report_dek_id IS NOT NULL
		AND finished_at IS NOT NULL AND finished_at < ?`, before.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("find expired reports: %w", err)
	}
	defer rows.Close()
	var list []expiredReport
	for rows.Next() {
		var e expiredReport
		if err := rows.Scan(&e.id, &e.dek); err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// ExpireImportReports erases the reports of imports that ended before
// before: their chunks are deleted and their data keys destroyed (the
// erasure tree is punctured next, so backups lose them too). It returns
// how many it erased.
func (s *Imports) ExpireImportReports(ctx context.Context, before time.Time) (int, error) {
	list, err := s.expiredReports(ctx, before)
	if err != nil {
		return 0, err
	}
	now := s.now().UnixMicro()
	for _, e := range list {
		err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM import_reports WHERE import_id = ?`, e.id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE imports SET report_dek_id = NULL, report_bytes = 0 WHERE id = ?`, e.id); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE data_keys SET wrapped = NULL, destroyed_at = ? WHERE id = ?`, now, e.dek)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("erase report of import %s: %w", e.id, err)
		}
		s.vault.Forget(domain.ID(e.dek))
	}
	return len(list), nil
}
