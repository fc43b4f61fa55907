package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

const tableVisits = "visits"

// Sealed visit fields.
const (
	fCheckInLoc    = "checkin_location"
	fCheckOutLoc   = "checkout_location"
	fNotes         = "notes"
	fCheckOutNotes = "checkout_notes"
)

const visitSelect = `SELECT x.id, x.customer_id, x.rep_id, x.planned_at, x.status, x.checkin_at,
	x.checkin_loc_sealed, x.checkout_at, x.checkout_loc_sealed, x.notes_sealed, x.checkout_notes_sealed, x.created_at, x.updated_at, x.version, ` +
	parentKeyColumns + ` FROM visits x`

// formatLocation writes a location as "lat,lng,accuracy" for sealing.
func formatLocation(l *domain.Location) string {
	if l == nil {
		return ""
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return f(l.Lat) + "," + f(l.Lng) + "," + f(l.Accuracy)
}

func parseLocation(s string) (*domain.Location, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return nil, fmt.Errorf("stored location has %d parts", len(parts))
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, fmt.Errorf("stored location: %w", err)
		}
		v[i] = f
	}
	return &domain.Location{Lat: v[0], Lng: v[1], Accuracy: v[2]}, nil
}

func (s *Activities) scanVisit(ctx context.Context) func(scanner) (*domain.Visit, error) {
	return func(sc scanner) (*domain.Visit, error) {
		var (
			v                                domain.Visit
			id, customerID, repID, status    string
			plannedAt, checkInAt, checkOutAt sql.NullInt64
			checkInLoc, checkOutLoc, notes   []byte
			checkOutNotes                    []byte
			createdAt, updatedAt             sql.NullInt64
			p                                parentRow
			checkInText, checkOutText        string
		)
		dest := append([]any{&id, &customerID, &repID, &plannedAt, &status, &checkInAt, &checkInLoc, &checkOutAt,
			&checkOutLoc, &notes, &checkOutNotes, &createdAt, &updatedAt, &v.Version}, p.dest(true)...)
		if err := sc.Scan(dest...); err != nil {
			return nil, err
		}
		v.ID, v.CustomerID, v.RepID, v.Status = domain.ID(id), domain.ID(customerID), domain.ID(repID), domain.VisitStatus(status)
		v.PlannedAt, v.CheckInAt, v.CheckOutAt = fromMicros(plannedAt), fromMicros(checkInAt), fromMicros(checkOutAt)
		v.CreatedAt, v.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
		ref, key, err := s.openParent(ctx, &p)
		if err != nil {
			return nil, err
		}
		v.Parent = ref
		rec := sealedRecord{key: key, table: tableVisits, id: v.ID}
		for _, f := range []struct {
			field string
			ct    []byte
			dst   *string
		}{{fCheckInLoc, checkInLoc, &checkInText}, {fCheckOutLoc, checkOutLoc, &checkOutText}, {fNotes, notes, &v.Notes}, {fCheckOutNotes, checkOutNotes, &v.CheckOutNotes}} {
			if err := rec.open(f.field, f.ct, f.dst); err != nil {
				return nil, err
			}
		}
		if v.CheckInLoc, err = parseLocation(checkInText); err != nil {
			return nil, fmt.Errorf("visit %s: %w", id, err)
		}
		if v.CheckOutLoc, err = parseLocation(checkOutText); err != nil {
			return nil, fmt.Errorf("visit %s: %w", id, err)
		}
		return &v, nil
	}
}

func visitArgs(rec sealedRecord, v *domain.Visit) []any {
	return []any{string(v.RepID), v.PlannedAt.UnixMicro(), string(v.Status), micros(v.CheckInAt),
		rec.seal(fCheckInLoc, formatLocation(v.CheckInLoc)), micros(v.CheckOutAt),
		rec.seal(fCheckOutLoc, formatLocation(v.CheckOutLoc)), rec.seal(fNotes, v.Notes), rec.seal(fCheckOutNotes, v.CheckOutNotes)}
}

// CreateVisit stores a new visit (ID set by the caller), its locations and
// notes sealed under its customer's data key, with the audit events.
func (s *Activities) CreateVisit(ctx context.Context, v *domain.Visit, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, v.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableVisits, id: v.ID}
	args := append([]any{string(v.ID), string(v.CustomerID)}, visitArgs(rec, v)...)
	args = append(args, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro())
	return s.insertChild(ctx, "visit", `INSERT INTO visits (id, customer_id, rep_id, planned_at, status, checkin_at,
		checkin_loc_sealed, checkout_at, checkout_loc_sealed, notes_sealed, checkout_notes_sealed, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args, evs, followedUp(v.CustomerID, v.CreatedAt))
}

// GetVisit returns a visit with its fields opened, or not found.
func (s *Activities) GetVisit(ctx context.Context, id domain.ID) (*domain.Visit, error) {
	return getOne(ctx, s, visitSelect+parentJoin(true), id, "visit", s.scanVisit(ctx))
}

// UpdateVisit writes v (at v.Version) over the stored visit if that is
// still at version prev (else a stale-version conflict: two check-ins never
// both succeed), re-sealing its fields, with the audit events.
func (s *Activities) UpdateVisit(ctx context.Context, v *domain.Visit, prev int64, evs ...*domain.AuditEvent) error {
	key, err := s.customerKey(ctx, v.CustomerID)
	if err != nil {
		return err
	}
	rec := sealedRecord{key: key, table: tableVisits, id: v.ID}
	args := append(visitArgs(rec, v), v.UpdatedAt.UnixMicro(), v.Version, string(v.ID), prev)
	return s.updateChild(ctx, "visit", `UPDATE visits SET rep_id = ?, planned_at = ?, status = ?, checkin_at = ?,
		checkin_loc_sealed = ?, checkout_at = ?, checkout_loc_sealed = ?, notes_sealed = ?, checkout_notes_sealed = ?,
		updated_at = ?, version = ? WHERE id = ? AND version = ?`, args, evs, followedUp(v.CustomerID, v.UpdatedAt))
}

// DeleteVisit deletes a visit with the audit events.
func (s *Activities) DeleteVisit(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.deleteChild(ctx, tableVisits, "visit", id, evs)
}

// ListVisits returns a page of visits to customers in scope matching f,
// newest first.
func (s *Activities) ListVisits(ctx context.Context, f domain.VisitFilter) (domain.Page[*domain.Visit], error) {
	var w where
	w.scope(f.Scope)
	w.eq("x.customer_id", string(f.CustomerID))
	w.eq("x.rep_id", string(f.RepID))
	w.eq("x.status", string(f.Status))
	w.since("x.updated_at", f.UpdatedSince)
	w.since("x.planned_at", f.PlannedFrom)
	if !f.PlannedBefore.IsZero() {
		w.add("x.planned_at < ?", f.PlannedBefore.UnixMicro())
	}
	return listPage(ctx, s, visitSelect+parentJoin(true), w, f.Cursor, f.Limit, s.scanVisit(ctx),
		func(v *domain.Visit) domain.ID { return v.ID })
}
