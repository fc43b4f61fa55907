package store

import (
	"context"
	"database/sql"

	"github.com/custoscrm/custos/internal/domain"
)

// Deals have no sealed field: the amount is kept in clear (class amount)
// so reports can sum it, and the title is business data.
const dealSelect = `SELECT x.id, x.customer_id, x.title, x.amount_minor, x.currency, x.stage, x.expected_close,
	x.owner_id, x.created_at, x.updated_at, x.version, ` + parentColumns + ` FROM deals x`

func scanDeal(sc scanner) (*domain.Deal, error) {
	var (
		d                    domain.Deal
		id, customerID       string
		stage                string
		ownerID              sql.NullString
		createdAt, updatedAt sql.NullInt64
		p                    parentRow
	)
	dest := append([]any{&id, &customerID, &d.Title, &d.AmountMinor, &d.Currency, &stage, &d.ExpectedClose,
		&ownerID, &createdAt, &updatedAt, &d.Version}, p.dest(false)...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	d.ID, d.CustomerID, d.Stage, d.OwnerID = domain.ID(id), domain.ID(customerID), domain.DealStage(stage), domain.ID(ownerID.String)
	d.CreatedAt, d.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	d.Parent = p.ref()
	return &d, nil
}

func dealArgs(d *domain.Deal) []any {
	return []any{d.Title, d.AmountMinor, d.Currency, string(d.Stage), d.ExpectedClose, nullString(d.OwnerID)}
}

// CreateDeal stores a new deal (ID set by the caller) with the audit
// events in one transaction.
func (s *Activities) CreateDeal(ctx context.Context, d *domain.Deal, evs ...*domain.AuditEvent) error {
	args := append([]any{string(d.ID), string(d.CustomerID)}, dealArgs(d)...)
	args = append(args, d.CreatedAt.UnixMicro(), d.UpdatedAt.UnixMicro())
	return s.insertChild(ctx, "deal", `INSERT INTO deals (id, customer_id, title, amount_minor, currency, stage,
		expected_close, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args, evs)
}

// GetDeal returns a deal, or not found.
func (s *Activities) GetDeal(ctx context.Context, id domain.ID) (*domain.Deal, error) {
	return getOne(ctx, s, dealSelect+parentJoin(false), id, "deal", scanDeal)
}

// UpdateDeal writes d (at d.Version) over the stored deal if that is still
// at version prev (else a stale-version conflict), with the audit events.
func (s *Activities) UpdateDeal(ctx context.Context, d *domain.Deal, prev int64, evs ...*domain.AuditEvent) error {
	args := append(dealArgs(d), d.UpdatedAt.UnixMicro(), d.Version, string(d.ID), prev)
	return s.updateChild(ctx, "deal", `UPDATE deals SET title = ?, amount_minor = ?, currency = ?, stage = ?,
		expected_close = ?, owner_id = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?`, args, evs)
}

// DeleteDeal deletes a deal with the audit events.
func (s *Activities) DeleteDeal(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.deleteChild(ctx, "deals", "deal", id, evs)
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
	return listPage(ctx, s, dealSelect+parentJoin(false), w, f.Cursor, f.Limit, scanDeal,
		func(d *domain.Deal) domain.ID { return d.ID })
}
