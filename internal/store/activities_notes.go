package store

import (
	"context"
	"database/sql"

	"github.com/custoscrm/custos/internal/domain"
)

const tableNotes = "notes"

const fBody = "body"

const noteSelect = `SELECT x.id, x.customer_id, x.author_id, x.body_sealed, x.created_at, x.updated_at, x.version, ` +
	parentKeyColumns + ` FROM notes x`

func (s *Activities) scanNote(ctx context.Context) func(scanner) (*domain.Note, error) {
	return func(sc scanner) (*domain.Note, error) {
		var (
			n                    domain.Note
			id, customerID       string
			authorID             sql.NullString
			body                 []byte
			createdAt, updatedAt sql.NullInt64
			p                    parentRow
		)
		dest := append([]any{&id, &customerID, &authorID, &body, &createdAt, &updatedAt, &n.Version}, p.dest(true)...)
		if err := sc.Scan(dest...); err != nil {
			return nil, err
		}
		n.ID, n.CustomerID, n.AuthorID = domain.ID(id), domain.ID(customerID), domain.ID(authorID.String)
		n.CreatedAt, n.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
		ref, key, err := s.openParent(ctx, &p)
		if err != nil {
			return nil, err
		}
		n.Parent = ref
		if err := (sealedRecord{key: key, table: tableNotes, id: n.ID}).open(fBody, body, &n.Body); err != nil {
			return nil, err
		}
		return &n, nil
	}
}

// CreateNote stores a new note (ID set by the caller), its body sealed
// under its customer's data key, with the audit events.
func (s *Activities) CreateNote(ctx context.Context, n *domain.Note, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, n.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableNotes, id: n.ID}
	return s.insertChild(ctx, "note", `INSERT INTO notes (id, customer_id, author_id, body_sealed, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, []any{string(n.ID), string(n.CustomerID), nullString(n.AuthorID),
		rec.seal(fBody, n.Body), n.CreatedAt.UnixMicro(), n.UpdatedAt.UnixMicro()}, evs, followedUp(n.CustomerID, n.CreatedAt))
}

// GetNote returns a note with its body opened, or not found.
func (s *Activities) GetNote(ctx context.Context, id domain.ID) (*domain.Note, error) {
	return getOne(ctx, s, noteSelect+parentJoin(true), id, "note", s.scanNote(ctx))
}

// UpdateNote writes n (at n.Version) over the stored note if that is still
// at version prev (else a stale-version conflict), with the audit events.
func (s *Activities) UpdateNote(ctx context.Context, n *domain.Note, prev int64, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, n.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableNotes, id: n.ID}
	return s.updateChild(ctx, "note", `UPDATE notes SET body_sealed = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`,
		[]any{rec.seal(fBody, n.Body), n.UpdatedAt.UnixMicro(), n.Version, string(n.ID), prev}, evs, followedUp(n.CustomerID, n.UpdatedAt))
}

// DeleteNote deletes a note with the audit events.
func (s *Activities) DeleteNote(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.deleteChild(ctx, tableNotes, "note", id, evs)
}

// ListNotes returns a page of notes on customers in scope matching f,
// newest first.
func (s *Activities) ListNotes(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Note], error) {
	var w where
	w.scope(f.Scope)
	w.eq("x.customer_id", string(f.CustomerID))
	w.since("x.updated_at", f.UpdatedSince)
	return listPage(ctx, s, noteSelect+parentJoin(true), w, f.Cursor, f.Limit, s.scanNote(ctx),
		func(n *domain.Note) domain.ID { return n.ID })
}
