package store

import (
	"context"
	"database/sql"

	"github.com/custoscrm/custos/internal/domain"
)

const tableContacts = "contacts"

// A contact's title is sealed too (with a company's name, a job title
// points at one person); one written before titles were sealed is still
// in the clear column until `custos data seal` moves it.
const contactSelect = `SELECT x.id, x.customer_id, x.name_sealed, x.phone_sealed, x.email_sealed, x.title, x.title_sealed,
	x.created_at, x.updated_at, x.version, ` + parentKeyColumns + ` FROM contacts x`

// scanContact reads a contact row and opens its sealed fields.
func (s *Activities) scanContact(ctx context.Context) func(scanner) (*domain.Contact, error) {
	return func(sc scanner) (*domain.Contact, error) {
		var (
			id, customerID       string
			name, phone, email   []byte
			title                string
			titleSealed          []byte
			c                    domain.Contact
			createdAt, updatedAt sql.NullInt64
			p                    parentRow
		)
		dest := append([]any{&id, &customerID, &name, &phone, &email, &title, &titleSealed, &createdAt, &updatedAt, &c.Version}, p.dest(true)...)
		if err := sc.Scan(dest...); err != nil {
			return nil, err
		}
		c.ID, c.CustomerID = domain.ID(id), domain.ID(customerID)
		c.CreatedAt, c.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
		ref, key, err := s.openParent(ctx, &p)
		if err != nil {
			return nil, err
		}
		c.Parent = ref
		rec := sealedRecord{key: key, table: tableContacts, id: c.ID}
		for _, f := range []struct {
			field string
			ct    []byte
			dst   *string
		}{{fName, name, &c.Name}, {fPhone, phone, &c.Phone}, {fEmail, email, &c.Email}} {
			if err := rec.open(f.field, f.ct, f.dst); err != nil {
				return nil, err
			}
		}
		if err := rec.openEither(fTitle, title, titleSealed, &c.Title); err != nil {
			return nil, err
		}
		return &c, nil
	}
}

func contactArgs(rec sealedRecord, c *domain.Contact) []any {
	return []any{rec.seal(fName, c.Name), rec.seal(fPhone, c.Phone), rec.seal(fEmail, c.Email), rec.seal(fTitle, c.Title)}
}

// CreateContact stores a new contact (ID set by the caller) with its name,
// phone and email sealed under its customer's data key, and the audit
// events, in one transaction.
func (s *Activities) CreateContact(ctx context.Context, c *domain.Contact, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, c.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableContacts, id: c.ID}
	args := append([]any{string(c.ID), string(c.CustomerID)}, contactArgs(rec, c)...)
	args = append(args, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro())
	return s.insertChild(ctx, "contact", `INSERT INTO contacts (id, customer_id, name_sealed, phone_sealed,
		email_sealed, title_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, args, evs)
}

// GetContact returns a contact with its fields opened, or not found.
func (s *Activities) GetContact(ctx context.Context, id domain.ID) (*domain.Contact, error) {
	return getOne(ctx, s, contactSelect+parentJoin(true), id, "contact", s.scanContact(ctx))
}

// UpdateContact writes c (at c.Version) over the stored contact if that is
// still at version prev (else a stale-version conflict), re-sealing its
// fields, with the audit events.
func (s *Activities) UpdateContact(ctx context.Context, c *domain.Contact, prev int64, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, c.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableContacts, id: c.ID}
	args := append(contactArgs(rec, c), c.UpdatedAt.UnixMicro(), c.Version, string(c.ID), prev)
	return s.updateChild(ctx, "contact", `UPDATE contacts SET name_sealed = ?, phone_sealed = ?, email_sealed = ?,
		title = '', title_sealed = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`, args, evs)
}

// DeleteContact deletes a contact with the audit events.
func (s *Activities) DeleteContact(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.deleteChild(ctx, tableContacts, "contact", id, evs)
}

// ListContacts returns a page of a customer's contacts in scope, newest
// first.
func (s *Activities) ListContacts(ctx context.Context, f domain.ContactFilter) (domain.Page[*domain.Contact], error) {
	var w where
	w.scope(f.Scope)
	w.eq("x.customer_id", string(f.CustomerID))
	w.since("x.updated_at", f.UpdatedSince)
	return listPage(ctx, s, contactSelect+parentJoin(true), w, f.Cursor, f.Limit, s.scanContact(ctx),
		func(c *domain.Contact) domain.ID { return c.ID })
}
