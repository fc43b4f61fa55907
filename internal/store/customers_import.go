package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Import states.
const (
	ImportRunning = "running"
	ImportDone    = "done"
	ImportAborted = "aborted"
)

// maxParams bounds the parameters of one multi-row statement (SQLite
// allows 32,766, PostgreSQL 65,535).
const maxParams = 30000

// insertRows inserts rows into table with multi-row INSERT statements.
func insertRows(ctx context.Context, tx *Tx, table string, cols []string, rows [][]any) error {
	per := max(1, min(500, maxParams/len(cols)))
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, rows[i]...)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

var customerInsertColumns = []string{"id", "kind", "dek_id", "name_sealed", "phone_sealed",
	"email_sealed", "street_sealed", "id_type", "id_number_sealed", "tax_id_sealed", "bank_account_sealed",
	"province", "city", "district", "company_sealed", "industry", "status", "owner_id", "team_id", "created_at",
	"updated_at", "version", "tags", "import_id"}

// InsertCustomers writes a batch of new customers of import importID
// (ids, times and version 1 set by the caller) in one transaction with
// multi-row statements. It first seals them under fresh data keys and
// computes their blind indexes, in parallel and outside the writer, so
// that two calls in flight keep the single writer busy: one seals while
// the other writes. Their blind-index entries are kept aside and written
// in key order when enough have gathered and when the import finishes
// (see customers_import_index.go); a unique identifier taken meanwhile
// then fails with a conflict.
func (s *Customers) InsertCustomers(ctx context.Context, importID domain.ID, customers []*domain.Customer) error {
	batch, err := s.prepareCustomers(ctx, customers)
	if err != nil {
		return err
	}
	keys := make([][]any, 0, len(batch))
	custs := make([][]any, 0, len(batch))
	var tags [][]any
	var index []pendingIndexRow
	for _, p := range batch {
		c, sc := p.c, p.sc
		now := c.CreatedAt.UnixMicro()
		keys = append(keys, []any{string(p.wk.ID), p.wk.KEKVersion, p.wk.Wrapped, leafValue(p.wk.Leaf), now})
		custs = append(custs, []any{string(c.ID), string(c.Kind), string(p.wk.ID), sc.name, sc.phone,
			sc.email, sc.street, string(c.IDType), sc.idNumber, sc.taxID, sc.bankAccount,
			c.Address.Province, c.Address.City, c.Address.District, sc.company, c.Industry, string(c.Status),
			nullString(c.OwnerID), nullString(c.TeamID), now, now, 1, strings.Join(c.Tags, ","), string(importID)})
		for _, t := range c.Tags {
			tags = append(tags, []any{string(c.ID), t})
		}
		for i, e := range p.entries {
			// Two name tokens of one customer may share a truncated tag.
			if slices.ContainsFunc(p.entries[:i], func(o indexEntry) bool {
				return o.field.Code == e.field.Code && o.version == e.version && bytes.Equal(o.hash, e.hash)
			}) {
				continue
			}
			r, err := newPendingIndexRow(e, c.ID)
			if err != nil {
				return err
			}
			index = append(index, r)
		}
	}
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if err := insertRows(ctx, tx, "data_keys", []string{"id", "kek_version", "wrapped", "leaf", "created_at"}, keys); err != nil {
			return fmt.Errorf("insert data keys: %w", err)
		}
		if err := insertRows(ctx, tx, "customers", customerInsertColumns, custs); err != nil {
			if isForeignKeyViolation(err) {
				return domain.Invalid("owner", "an owner of this batch no longer exists")
			}
			return fmt.Errorf("insert customers: %w", err)
		}
		if err := insertRows(ctx, tx, "customer_tags", []string{"customer_id", "tag"}, tags); err != nil {
			return fmt.Errorf("insert tags: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The blind-index entries wait and go in in key order (import_index.go).
	if full := s.importIndex.add(importID, index); full != nil {
		return s.writeIndexRows(ctx, full)
	}
	return nil
}

// TakenIdentifiers returns which of values (normalized) another customer
// already holds in field, using the active blind-index version.
func (s *Customers) TakenIdentifiers(ctx context.Context, field domain.LookupField, values []string) (map[string]bool, error) {
	f, ok := lookupIndex[field]
	if !ok {
		return nil, fmt.Errorf("no blind index for %s", field)
	}
	taken := map[string]bool{}
	v := s.index.Active()
	for start := 0; start < len(values); start += 500 {
		end := min(start+500, len(values))
		byHash := make(map[string]string, end-start)
		args := []any{f.Code, v}
		for _, val := range values[start:end] {
			h, err := s.index.Compute(v, f, val)
			if err != nil {
				return nil, err
			}
			byHash[string(h)] = val
			args = append(args, h)
		}
		hashes, err := s.queryBytes(ctx, `SELECT hash FROM blind_index WHERE field = ? AND key_version = ? AND hash IN (?`+
			strings.Repeat(", ?", end-start-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("check identifiers: %w", err)
		}
		for _, h := range hashes {
			taken[byHash[string(h)]] = true
		}
	}
	return taken, nil
}

// queryBytes returns the single bytes column of a query's rows.
func (s *DB) queryBytes(ctx context.Context, query string, args ...any) ([][]byte, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// FinishImport marks an import done with its audit events.
func (s *Customers) FinishImport(ctx context.Context, id domain.ID, rows int, now time.Time, evs ...*domain.AuditEvent) error {
	if err := s.writeIndexRows(ctx, s.importIndex.take(id)); err != nil {
		return err
	}
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE imports SET state = ?, rows_total = ?, finished_at = ? WHERE id = ? AND state = ?`,
			ImportDone, rows, now.UnixMicro(), string(id), ImportRunning)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("", "the import is no longer running (it was cleaned up as stale)")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// AbortImport removes every customer an unfinished import wrote, in
// batches, and marks it aborted with its audit events. The data keys are
// deleted, not punctured: the customers never existed as far as anyone
// could rely on.
func (s *Customers) AbortImport(ctx context.Context, id domain.ID, now time.Time, evs ...*domain.AuditEvent) error {
	s.importIndex.take(id) // entries never written need no removal
	var state string
	err := s.queryRow(ctx, `SELECT state FROM imports WHERE id = ?`, string(id)).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound("import")
	}
	if err != nil {
		return err
	}
	if state == ImportDone {
		return domain.Conflict("", "the import finished; delete its customers instead")
	}
	for {
		n := 0
		err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			ids, deks, err := importedChunk(ctx, tx, id)
			if err != nil {
				return err
			}
			n = len(ids)
			if n == 0 {
				return nil
			}
			in := "(?" + strings.Repeat(", ?", n-1) + ")"
			for _, q := range []string{
				`DELETE FROM customer_tags WHERE customer_id IN ` + in,
				`DELETE FROM blind_index WHERE customer_id IN ` + in,
				`DELETE FROM customers WHERE id IN ` + in,
			} {
				if _, err := tx.Exec(ctx, q, ids...); err != nil {
					return err
				}
			}
			_, err = tx.Exec(ctx, `DELETE FROM data_keys WHERE id IN `+in, deks...)
			return err
		})
		if err != nil {
			return fmt.Errorf("remove imported customers: %w", err)
		}
		if n == 0 {
			break
		}
	}
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE imports SET state = ?, finished_at = ? WHERE id = ?`, ImportAborted, now.UnixMicro(), string(id)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// StaleImports lists running imports whose heartbeat is older than
// before: their process died.
func (s *Customers) StaleImports(ctx context.Context, before time.Time) ([]domain.ID, error) {
	rows, err := s.query(ctx, `SELECT id FROM imports WHERE state = ? AND heartbeat_at < ?`, ImportRunning, before.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.ID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, domain.ID(id))
	}
	return out, rows.Err()
}

// importedChunk returns up to 2,000 customers of an import with their
// data keys.
func importedChunk(ctx context.Context, tx *Tx, id domain.ID) (ids, deks []any, err error) {
	rows, err := tx.Query(ctx, `SELECT id, dek_id FROM customers WHERE import_id = ? LIMIT 2000`, string(id))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cid, dek string
		if err := rows.Scan(&cid, &dek); err != nil {
			return nil, nil, err
		}
		ids, deks = append(ids, cid), append(deks, dek)
	}
	return ids, deks, rows.Err()
}
