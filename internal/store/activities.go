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

// Contacts, deals, visits, notes and tasks hang off a customer: they share
// its record scope and seal their personal fields under its data key. The
// helpers here read them joined to the customer (alias c) and its data key
// (alias k); the record itself is alias x.

// parentColumns are the customer columns every child read selects;
// parentKeyColumns add its data key for records with sealed fields.
const (
	parentColumns    = `c.owner_id, c.team_id, c.kind, c.erased_at`
	parentKeyColumns = parentColumns + `, c.dek_id`
)

// parentJoin joins the customer of the child table aliased x. Its data key
// comes from the vault's cache or data_keys (see dataKey).
func parentJoin(bool) string {
	return ` JOIN customers c ON c.id = x.customer_id`
}

type parentRow struct {
	ownerID, teamID sql.NullString
	kind            string
	erasedAt        sql.NullInt64
	dekID           sql.NullString
}

func (p *parentRow) dest(withKey bool) []any {
	d := []any{&p.ownerID, &p.teamID, &p.kind, &p.erasedAt}
	if withKey {
		d = append(d, &p.dekID)
	}
	return d
}

func (p *parentRow) ref() domain.ParentRef {
	return domain.ParentRef{
		OwnerID: domain.ID(p.ownerID.String), TeamID: domain.ID(p.teamID.String),
		Kind: domain.CustomerKind(p.kind), Erased: p.erasedAt.Valid,
	}
}

// openParent returns the parent reference and the customer's data key. An
// erased customer (or a destroyed key) yields a nil key and Erased set:
// the record's sealed fields then read as empty.
func (s *DB) openParent(ctx context.Context, p *parentRow) (domain.ParentRef, *vault.Key, error) {
	ref := p.ref()
	if ref.Erased {
		return ref, nil, nil
	}
	key, err := s.dataKey(ctx, domain.ID(p.dekID.String))
	if errors.Is(err, vault.ErrErased) {
		ref.Erased = true
		return ref, nil, nil
	}
	if err != nil {
		return ref, nil, err
	}
	return ref, key, nil
}

// customerKey returns the data key of customer id, to seal the fields of a
// record that belongs to it. An unknown customer is not found; an erased
// one is a conflict.
func (s *Activities) customerKey(ctx context.Context, id domain.ID) (*vault.Key, error) {
	var p parentRow
	err := s.queryRow(ctx, `SELECT `+parentKeyColumns+` FROM customers c WHERE c.id = ?`,
		string(id)).Scan(p.dest(true)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("customer")
	}
	if err != nil {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	ref, key, err := s.openParent(ctx, &p)
	if err != nil {
		return nil, err
	}
	if ref.Erased {
		return nil, domain.Conflict("", "the customer has been erased")
	}
	return key, nil
}

// sealedRecord seals and opens the fields of one record under its
// customer's data key, bound to (table, record id, field). With a nil key
// (an erased customer) every field opens empty.
type sealedRecord struct {
	key   *vault.Key
	table string
	id    domain.ID
}

func (r sealedRecord) place(field string) vault.Place {
	return vault.Place{Table: r.table, Record: r.id, Field: field}
}

func (r sealedRecord) seal(field, v string) []byte {
	return r.key.Seal(r.place(field), v)
}

func (r sealedRecord) open(field string, ct []byte, dst *string) error {
	if r.key == nil {
		*dst = ""
		return nil
	}
	v, err := r.key.Open(r.place(field), ct)
	if err != nil {
		return fmt.Errorf("%s %s field %s: %w", r.table, r.id, field, err)
	}
	*dst = v
	return nil
}

// openEither reads a field stored in either form: the sealed one when
// there is one, else the clear column written before the field was
// sealed (kept until `custos data seal` moves it).
func (r sealedRecord) openEither(field, clear string, ct []byte, dst *string) error {
	if ct == nil {
		*dst = clear
		return nil
	}
	return r.open(field, ct, dst)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// getOne reads one child record by id; no row is not found (what names
// the kind in the error).
func getOne[T any](ctx context.Context, s *Activities, selectFrom string, id domain.ID, what string, scan func(scanner) (T, error)) (T, error) {
	v, err := scan(s.queryRow(ctx, selectFrom+` WHERE x.id = ?`, string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, domain.NotFound(what)
	}
	if err != nil {
		var zero T
		var de *domain.Error
		if errors.As(err, &de) {
			return zero, err
		}
		return zero, fmt.Errorf("get %s: %w", what, err)
	}
	return v, nil
}

// where collects the conditions and arguments of a list query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds col = v when v is set.
func (w *where) eq(col, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

// since adds col >= t when t is set.
func (w *where) since(col string, t time.Time) {
	if !t.IsZero() {
		w.add(col+" >= ?", t.UnixMicro())
	}
}

// scope restricts to records whose customer (alias c) is in sc.
func (w *where) scope(sc domain.RecordScope) {
	cond, args := scopeClause(sc)
	w.add(cond, args...)
}

// listPage reads one page of child records, newest first: selectFrom
// filtered by w, below cursor, at most limit rows (1..MaxPageSize, else
// the default). NextCursor is set when more rows follow.
func listPage[T any](ctx context.Context, s *Activities, selectFrom string, w where, cursor domain.ID, limit int,
	scan func(scanner) (T, error), idOf func(T) domain.ID) (domain.Page[T], error) {
	var page domain.Page[T]
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.DefaultPageSize
	}
	if cursor != "" {
		w.add("x.id < ?", string(cursor))
	}
	cond := "1 = 1"
	if len(w.conds) > 0 {
		cond = strings.Join(w.conds, " AND ")
	}
	rows, err := s.query(ctx, selectFrom+` WHERE `+cond+` ORDER BY x.id DESC LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, v)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = string(idOf(page.Items[limit-1]))
	}
	return page, nil
}

// insertChild runs an INSERT of a child record with its audit events and
// any further steps of the same transaction (a follow-up of the customer).
// A reference that vanished since the service checked it (the customer or
// a user deleted meanwhile) is a conflict.
func (s *Activities) insertChild(ctx context.Context, what, query string, args []any, evs []*domain.AuditEvent, also ...func(context.Context, *Tx) error) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			if isForeignKeyViolation(err) {
				return domain.Conflict("", "the customer or user this %s refers to no longer exists", what)
			}
			return fmt.Errorf("insert %s: %w", what, err)
		}
		for _, step := range also {
			if err := step(ctx, tx); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// updateChild runs an UPDATE of one child record guarded by its previous
// version (the WHERE clause of query ends with "AND version = ?"), with its
// audit events and any further steps of the same transaction. No row
// matched means someone else changed or deleted it first: a stale version
// (domain.ErrStaleVersion).
func (s *Activities) updateChild(ctx context.Context, what, query string, args []any, evs []*domain.AuditEvent, also ...func(context.Context, *Tx) error) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, query, args...)
		if err != nil {
			if isForeignKeyViolation(err) {
				return domain.Conflict("", "a user this %s refers to no longer exists", what)
			}
			return fmt.Errorf("update %s: %w", what, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return domain.Stale(what)
		}
		for _, step := range also {
			if err := step(ctx, tx); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// deleteChild deletes one child record from table with its audit events.
func (s *Activities) deleteChild(ctx context.Context, table, what string, id domain.ID, evs []*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = ?`, string(id))
		if err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return domain.NotFound(what)
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// micros converts an optional time to the stored form (Unix microseconds,
// UTC); the zero time is stored as NULL.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
