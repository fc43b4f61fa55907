package store

import (
	"context"
	"database/sql"

	"github.com/custoscrm/custos/internal/domain"
)

const tableDeals = "deals"

// A deal's title is sealed under its customer's data key (it often names
// the person: "张伟 — shop fit-out"); the amount stays in clear (class
// amount) so reports can sum it. A title written before titles were
// sealed is still in the clear column until `custos data seal` moves it.
const dealSelect = `SELECT x.id, x.customer_id, x.title, x.title_sealed, x.amount_minor, x.currency, x.stage, x.expected_close,
	x.owner_id, x.created_at, x.updated_at, x.version, ` + parentKeyColumns + ` FROM deals x`

func (s *Activities) scanDeal(ctx context.Context) func(scanner) (*domain.Deal, error) {
	return func(sc scanner) (*domain.Deal, error) {
		var (
			d                    domain.Deal
			id, customerID       string
			stage, title         string
			titleSealed          []byte
			ownerID              sql.NullString
			createdAt, updatedAt sql.NullInt64
			p                    parentRow
		)
		dest := append([]any{&id, &customerID, &title, &titleSealed, &d.AmountMinor, &d.Currency, &stage, &d.ExpectedClose,
			&ownerID, &createdAt, &updatedAt, &d.Version}, p.dest(true)...)
		if err := sc.Scan(dest...); err != nil {
			return nil, err
		}
		d.ID, d.CustomerID, d.Stage, d.OwnerID = domain.ID(id), domain.ID(customerID), domain.DealStage(stage), domain.ID(ownerID.String)
		d.CreatedAt, d.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
		ref, key, err := s.openParent(ctx, &p)
		if err != nil {
			return nil, err
		}
		d.Parent = ref
		if err := (sealedRecord{key: key, table: tableDeals, id: d.ID}).openEither(fTitle, title, titleSealed, &d.Title); err != nil {
			return nil, err
		}
		return &d, nil
	}
}

func dealArgs(rec sealedRecord, d *domain.Deal) []any {
	return []any{rec.seal(fTitle, d.Title), d.AmountMinor, d.Currency, string(d.Stage), d.ExpectedClose, nullString(d.OwnerID)}
}

// CreateDeal stores a new deal (ID set by the caller) with the audit
// events in one transaction.
func (s *Activities) CreateDeal(ctx context.Context, d *domain.Deal, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, d.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableDeals, id: d.ID}
	args := append([]any{string(d.ID), string(d.CustomerID)}, dealArgs(rec, d)...)
	args = append(args, d.CreatedAt.UnixMicro(), d.UpdatedAt.UnixMicro())
	return s.insertChild(ctx, "deal", `INSERT INTO deals (id, customer_id, title, title_sealed, amount_minor, currency, stage,
		expected_close, owner_id, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)`, args, evs, followedUp(d.CustomerID, d.CreatedAt))
}

// GetDeal returns a deal, or not found.
func (s *Activities) GetDeal(ctx context.Context, id domain.ID) (*domain.Deal, error) {
	return getOne(ctx, s, dealSelect+parentJoin(true), id, "deal", s.scanDeal(ctx))
}

// UpdateDeal writes d (at d.Version) over the stored deal if that is still
// at version prev (else a stale-version conflict), with the audit events.
func (s *Activities) UpdateDeal(ctx context.Context, d *domain.Deal, prev int64, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, d.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableDeals, id: d.ID}
	args := append(dealArgs(rec, d), d.UpdatedAt.UnixMicro(), d.Version, string(d.ID), prev)
	return s.updateChild(ctx, "deal", `UPDATE deals SET title = '', title_sealed = ?, amount_minor = ?, currency = ?, stage = ?,
		expected_close = ?, owner_id = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`, args, evs, followedUp(d.CustomerID, d.UpdatedAt))
}

// DeleteDeal deletes a deal with the audit events.
func (s *Activities) DeleteDeal(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.deleteChild(ctx, tableDeals, "deal", id, evs)
}

// ListDeals returns a page of deals of customers in scope matching f,
// newest first.
func (s *Activities) ListDeals(ctx context.Context, f domain.DealFilter) (domain.Page[*domain.Deal], error) {
	var w where
	w.scope(f.Scope)
	w.eq("x.customer_id", string(f.CustomerID))
	w.eq("x.owner_id", string(f.OwnerID))
	w.eq("x.stage", string(f.Stage))
	w.since("x.updated_at", f.UpdatedSince)
	return listPage(ctx, s, dealSelect+parentJoin(true), w, f.Cursor, f.Limit, s.scanDeal(ctx),
		func(d *domain.Deal) domain.ID { return d.ID })
}
