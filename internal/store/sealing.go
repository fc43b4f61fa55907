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

// Rows written before a field was sealed keep its clear form: a company's
// name in customers.name_public, a person's employer in
// customers.company, titles in contacts.title and deals.title. Reads take
// either form; every write stores the sealed one. `custos data seal` moves
// the rest, in batches, while servers keep serving, and writes the
// partial-search entries (phone suffixes, name bigrams and prefixes,
// email local parts) of customers stored before those existed. Each batch
// is one transaction guarded by the rows it read: a customer changed
// meanwhile (its version moved) is read again; a title changed meanwhile
// was sealed by that change.

// OpenSealRun returns the unfinished seal run, or nil.
func (s *Sealing) OpenSealRun(ctx context.Context) (*domain.SealRun, error) {
	return s.sealRun(ctx, `WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1`)
}

// LastSealRun returns the latest seal run, finished or not, or nil.
func (s *Sealing) LastSealRun(ctx context.Context) (*domain.SealRun, error) {
	return s.sealRun(ctx, `ORDER BY id DESC LIMIT 1`)
}

func (s *Sealing) sealRun(ctx context.Context, rest string) (*domain.SealRun, error) {
	var r domain.SealRun
	var phase string
	var started, updated int64
	var finished sql.NullInt64
	err := s.queryRow(ctx, `SELECT id, phase, cursor, total, done, sealed, started_at, updated_at, finished_at
		FROM data_migrations `+rest).Scan(&r.ID, &phase, &r.Cursor, &r.Total, &r.Done, &r.Sealed, &started, &updated, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read seal run: %w", err)
	}
	r.Phase = domain.SealPhase(phase)
	r.StartedAt, r.UpdatedAt, r.FinishedAt = time.UnixMicro(started).UTC(), time.UnixMicro(updated).UTC(), fromMicros(finished)
	return &r, nil
}

// sealRunName names seal runs in data_migrations.
const sealRunName = "seal"

// BeginSealRun records a new seal run over total records, with evs.
func (s *Sealing) BeginSealRun(ctx context.Context, total int64, evs ...*domain.AuditEvent) (*domain.SealRun, error) {
	now := s.now()
	r := &domain.SealRun{Phase: domain.SealCustomers, Total: total, StartedAt: now.UTC(), UpdatedAt: now.UTC()}
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO data_migrations (name, phase, cursor, total, done, sealed, started_at, updated_at)
			VALUES (?, ?, '', ?, 0, 0, ?, ?) RETURNING id`, sealRunName, string(r.Phase), total, now.UnixMicro(), now.UnixMicro()).Scan(&r.ID); err != nil {
			return fmt.Errorf("record seal run: %w", err)
		}
		return insertAudit(ctx, tx, evs...)
	})
	return r, err
}

// UpdateSealRun records a run's progress.
func (s *Sealing) UpdateSealRun(ctx context.Context, r *domain.SealRun) error {
	now := s.now()
	r.UpdatedAt = now.UTC()
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `UPDATE data_migrations SET phase = ?, cursor = ?, total = ?, done = ?, sealed = ?, updated_at = ? WHERE id = ?`,
			string(r.Phase), r.Cursor, r.Total, r.Done, r.Sealed, now.UnixMicro(), r.ID)
		return err
	})
}

// FinishSealRun closes a run, with evs. On SQLite it then checkpoints
// and truncates the write-ahead log, whose older frames still hold the
// pages as they were before the run (clear values included); the pages
// themselves were rewritten with their freed space zeroed (secure_delete).
// PostgreSQL keeps old row versions in its files until vacuum reuses
// their space; dumps never hold them.
func (s *Sealing) FinishSealRun(ctx context.Context, r *domain.SealRun, evs ...*domain.AuditEvent) error {
	now := s.now()
	r.Phase, r.Cursor, r.UpdatedAt, r.FinishedAt = domain.SealDone, "", now.UTC(), now.UTC()
	err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE data_migrations SET phase = ?, cursor = '', done = ?, sealed = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
			string(r.Phase), r.Done, r.Sealed, now.UnixMicro(), now.UnixMicro(), r.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
	if err != nil || s.dialect != SQLite {
		return err
	}
	if err := s.checkpointWAL(); err != nil {
		return fmt.Errorf("truncate the write-ahead log after sealing (run custos data seal --rescan to retry): %w", err)
	}
	return nil
}

// CountSealWork counts what a seal run visits: customers not erased and
// the contacts and deals whose title is still in clear.
func (s *Sealing) CountSealWork(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM customers WHERE erased_at IS NULL)
		+ (SELECT COUNT(*) FROM contacts WHERE title <> '') + (SELECT COUNT(*) FROM deals WHERE title <> '')`).Scan(&n)
	return n, err
}

// ClearValues counts the values still stored in clear that a seal run
// moves: company names, employers, contact and deal titles.
func (s *Sealing) ClearValues(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM customers WHERE name_public IS NOT NULL)
		+ (SELECT COUNT(*) FROM customers WHERE company <> '')
		+ (SELECT COUNT(*) FROM contacts WHERE title <> '') + (SELECT COUNT(*) FROM deals WHERE title <> '')`).Scan(&n)
	return n, err
}

// sealedCustomerBatch is one customer of a batch, opened and prepared.
type sealedCustomerBatch struct {
	c       *domain.Customer
	seal    bool // a clear value to move
	name    []byte
	company []byte
	entries []indexEntry
}

// SealCustomers visits up to limit customers not erased with ids above
// after: it seals a company's clear name and a clear employer, and writes
// every blind-index entry of the customer under every loaded index key
// version (existing ones stay; name-token entries are rewritten, as they
// now hold surnames only). Customers whose key does not unwrap or whose
// data fails its check are left as they are (custos doctor lists them).
func (s *Sealing) SealCustomers(ctx context.Context, after domain.ID, limit int) (domain.SealBatch, error) {
	var b domain.SealBatch
	rows, err := s.readCustomerRows(ctx, `c.id > ? AND c.erased_at IS NULL ORDER BY c.id LIMIT ?`, string(after), limit)
	if err != nil {
		return b, err
	}
	if len(rows) == 0 {
		return b, nil
	}
	b.Next, b.Visited = domain.ID(rows[len(rows)-1].id), int64(len(rows))
	for tries := 0; len(rows) > 0; tries++ {
		if tries == 5 {
			return b, errors.New("customers keep changing under the seal run; run it again")
		}
		prepared, err := s.prepareSeal(ctx, rows)
		if err != nil {
			return b, err
		}
		var stale []any
		err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			stale = stale[:0]
			var sealed int64
			for _, p := range prepared {
				ok, err := s.lockVersion(ctx, tx, p.c)
				if err != nil {
					return err
				}
				if !ok {
					stale = append(stale, string(p.c.ID))
					continue
				}
				if p.seal {
					if _, err := tx.Exec(ctx, `UPDATE customers SET name_public = NULL, name_sealed = ?, company = '', company_sealed = ?
						WHERE id = ? AND version = ?`, p.name, p.company, string(p.c.ID), p.c.Version); err != nil {
						return fmt.Errorf("seal customer: %w", err)
					}
					sealed++
				}
				if _, err := tx.Exec(ctx, `DELETE FROM blind_index WHERE customer_id = ? AND field = ?`, string(p.c.ID), vault.IndexNameToken.Code); err != nil {
					return err
				}
				for _, e := range p.entries {
					if _, err := tx.Exec(ctx, insertIndexEntrySQL, e.field.Code, e.version, e.hash, e.tiebreak(p.c.ID), string(p.c.ID)); err != nil {
						return fmt.Errorf("insert blind index: %w", err)
					}
				}
			}
			b.Sealed += sealed
			return nil
		})
		if err != nil {
			return b, err
		}
		rows = nil
		if len(stale) > 0 {
			if rows, err = s.readCustomerRows(ctx, `c.erased_at IS NULL AND c.id IN (?`+strings.Repeat(", ?", len(stale)-1)+`)`, stale...); err != nil {
				return b, err
			}
		}
	}
	return b, nil
}

// lockVersion reports whether c is still at the version it was read at,
// locking its row until the transaction ends (PostgreSQL; SQLite's single
// writer holds everything).
func (s *Sealing) lockVersion(ctx context.Context, tx *Tx, c *domain.Customer) (bool, error) {
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	var v int64
	err := tx.QueryRow(ctx, `SELECT version FROM customers WHERE id = ? AND erased_at IS NULL`+lock, string(c.ID)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && v == c.Version, err
}

// readCustomerRows reads customers rows matching cond.
func (s *Sealing) readCustomerRows(ctx context.Context, cond string, args ...any) ([]customerRow, error) {
	rows, err := s.query(ctx, `SELECT `+s.customerColumns()+` FROM customers c WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	defer rows.Close()
	var out []customerRow
	for rows.Next() {
		var r customerRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// prepareSeal opens rows and computes what SealCustomers writes.
func (s *Sealing) prepareSeal(ctx context.Context, rows []customerRow) ([]sealedCustomerBatch, error) {
	keys := make([]domain.ID, len(rows))
	for i := range rows {
		keys[i] = domain.ID(rows[i].dekID)
	}
	if err := s.warmDataKeys(ctx, keys); err != nil {
		return nil, err
	}
	var out []sealedCustomerBatch
	for i := range rows {
		r := &rows[i]
		c, err := s.openCustomer(ctx, r, nil)
		if err != nil {
			return nil, err
		}
		if c.Erased || c.Unreadable != "" {
			continue
		}
		p := sealedCustomerBatch{c: c, seal: r.namePublic.Valid || r.company != ""}
		if p.seal {
			key, err := s.dataKey(ctx, domain.ID(r.dekID))
			if err != nil {
				return nil, err
			}
			sc := sealCustomer(key, c)
			p.name, p.company = sc.name, sc.company
		}
		if p.entries, err = s.customerIndexEntries(c); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// SealContacts seals the clear titles of up to limit contacts with ids
// above after.
func (s *Sealing) SealContacts(ctx context.Context, after domain.ID, limit int) (domain.SealBatch, error) {
	return s.sealTitles(ctx, tableContacts, after, limit)
}

// SealDeals seals the clear titles of up to limit deals with ids above
// after. The title of an erased customer's deal is dropped: it would
// have been sealed under the destroyed key.
func (s *Sealing) SealDeals(ctx context.Context, after domain.ID, limit int) (domain.SealBatch, error) {
	return s.sealTitles(ctx, tableDeals, after, limit)
}

// sealTitles moves the clear titles of table (contacts or deals) into
// title_sealed under their customer's data key; the update is guarded by
// the title read, so a title changed meanwhile (and so sealed by that
// change) is left alone.
func (s *Sealing) sealTitles(ctx context.Context, table string, after domain.ID, limit int) (domain.SealBatch, error) {
	var b domain.SealBatch
	type row struct {
		id, title string
		p         parentRow
	}
	rows, err := queryAll(ctx, s.DB, func(sc scanner) (row, error) {
		var r row
		return r, sc.Scan(append([]any{&r.id, &r.title}, r.p.dest(true)...)...)
	}, `SELECT x.id, x.title, `+parentKeyColumns+` FROM `+table+` x JOIN customers c ON c.id = x.customer_id
		WHERE x.id > ? AND x.title <> '' ORDER BY x.id LIMIT ?`, string(after), limit)
	if err != nil {
		return b, fmt.Errorf("read %s: %w", table, err)
	}
	if len(rows) == 0 {
		return b, nil
	}
	b.Next, b.Visited = domain.ID(rows[len(rows)-1].id), int64(len(rows))
	type update struct {
		id, title string
		sealed    []byte
	}
	var ups []update
	for _, r := range rows {
		ref, key, err := s.openParent(ctx, &r.p)
		if errors.Is(err, vault.ErrUnwrap) {
			continue // left for custos doctor
		}
		if err != nil {
			return b, err
		}
		u := update{id: r.id, title: r.title}
		if !ref.Erased {
			u.sealed = (sealedRecord{key: key, table: table, id: domain.ID(r.id)}).seal(fTitle, r.title)
		}
		ups = append(ups, u)
	}
	err = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var n int64
		for _, u := range ups {
			res, err := tx.Exec(ctx, `UPDATE `+table+` SET title = '', title_sealed = ? WHERE id = ? AND title = ?`, u.sealed, u.id, u.title)
			if err != nil {
				return fmt.Errorf("seal %s title: %w", table, err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
		}
		b.Sealed = n
		return nil
	})
	return b, err
}
