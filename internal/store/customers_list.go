package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// scopeClause returns the SQL condition (on alias c) and arguments that
// restrict customers to a record scope.
func scopeClause(sc domain.RecordScope) (string, []any) {
	switch {
	case sc.Nothing:
		return "1 = 0", nil
	case sc.OwnerID != "":
		return "c.owner_id = ?", []any{string(sc.OwnerID)}
	case sc.TeamID != "":
		return "c.team_id = ?", []any{string(sc.TeamID)}
	case len(sc.Territories) > 0:
		ph := make([]string, len(sc.Territories))
		args := make([]any, len(sc.Territories))
		for i, t := range sc.Territories {
			ph[i] = "?"
			args[i] = string(t)
		}
		return "EXISTS (SELECT 1 FROM territory_regions tr WHERE tr.territory_id IN (" + strings.Join(ph, ",") +
			") AND tr.province = c.province AND (tr.city = '' OR tr.city = c.city))", args
	}
	return "1 = 1", nil
}

// customerConds returns the SQL conditions (on alias c) and arguments of
// f's scope and filters, q aside.
func customerConds(f domain.CustomerFilter) ([]string, []any) {
	where := []string{}
	args := []any{}
	sc, sargs := scopeClause(f.Scope)
	where = append(where, sc)
	args = append(args, sargs...)
	if len(f.IDs) > 0 {
		ph := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ph[i] = "?"
			args = append(args, string(id))
		}
		where = append(where, "c.id IN ("+strings.Join(ph, ",")+")")
	}
	if f.OwnerID != "" {
		where = append(where, "c.owner_id = ?")
		args = append(args, string(f.OwnerID))
	}
	if f.Status != "" {
		where = append(where, "c.status = ?")
		args = append(args, string(f.Status))
	}
	if f.Kind != "" {
		where = append(where, "c.kind = ?")
		args = append(args, string(f.Kind))
	}
	if f.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM customer_tags t2 WHERE t2.customer_id = c.id AND t2.tag = ?)")
		args = append(args, f.Tag)
	}
	if !f.UpdatedSince.IsZero() {
		where = append(where, "c.updated_at >= ?")
		args = append(args, f.UpdatedSince.UnixMicro())
	}
	return where, args
}

// pageLimit is f's page size: Limit within 1..MaxPageSize, else the
// default.
func pageLimit(f domain.CustomerFilter) int {
	if f.Limit <= 0 || f.Limit > domain.MaxPageSize {
		return domain.DefaultPageSize
	}
	return f.Limit
}

// ListCustomers returns a page of customers matching f, newest first. A
// search (f.Search) goes through the blind index (customers_search.go).
func (s *Customers) ListCustomers(ctx context.Context, f domain.CustomerFilter) (domain.Page[*domain.Customer], error) {
	var page domain.Page[*domain.Customer]
	if len(f.IDs) > domain.MaxPageSize {
		return page, domain.Invalid("ids", "at most %d customers at once", domain.MaxPageSize)
	}
	if f.Search != nil {
		return s.searchCustomers(ctx, f)
	}
	limit := pageLimit(f)
	where, args := customerConds(f)
	if f.Cursor != "" {
		where = append(where, "c.id < ?")
		args = append(args, string(f.Cursor))
	}
	args = append(args, limit+1)
	batch, err := s.queryCustomers(ctx, f.Skip, `SELECT `+s.customerColumns()+`
		FROM customers c
		WHERE `+strings.Join(where, " AND ")+` ORDER BY c.id DESC LIMIT ?`, args...)
	if err != nil {
		return page, fmt.Errorf("list customers: %w", err)
	}
	if len(batch) > limit {
		batch = batch[:limit]
		page.NextCursor = string(batch[limit-1].ID)
	}
	page.Items = batch
	return page, nil
}

// FindCustomers returns the customers in scope whose field equals value
// (already normalized), confirming each blind-index match by decrypting.
func (s *Customers) FindCustomers(ctx context.Context, field domain.LookupField, value string, scope domain.RecordScope) ([]*domain.Customer, error) {
	f, ok := lookupIndex[field]
	if !ok {
		return nil, domain.Invalid(string(field), "cannot look customers up by %s", field)
	}
	v := s.index.Active()
	h, err := s.index.Compute(v, f, value)
	if err != nil {
		return nil, err
	}
	sc, sargs := scopeClause(scope)
	args := append([]any{f.Code, v, h}, sargs...)
	found, err := s.queryCustomers(ctx, nil, `SELECT `+s.customerColumns()+`
		FROM customers c
		WHERE c.id IN (SELECT b.customer_id FROM blind_index b WHERE b.field = ? AND b.key_version = ? AND b.hash = ?)
		AND `+sc+` ORDER BY c.id DESC LIMIT 100`, args...)
	if err != nil {
		return nil, fmt.Errorf("find customers: %w", err)
	}
	// A blind-index tag is a truncated HMAC: confirm each match.
	out := found[:0]
	for _, c := range found {
		if c.Identifier(field) == value {
			out = append(out, c)
		}
	}
	return out, nil
}

// queryCustomers runs a query selecting customerColumns and opens each row.
func (s *DB) queryCustomers(ctx context.Context, skip map[domain.FieldClass]bool, query string, args ...any) ([]*domain.Customer, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var raw []customerRow
	for rows.Next() {
		var r customerRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	keys := make([]domain.ID, len(raw))
	for i := range raw {
		keys[i] = domain.ID(raw[i].dekID)
	}
	if err := s.warmDataKeys(ctx, keys); err != nil {
		return nil, err
	}
	out := make([]*domain.Customer, 0, len(raw))
	for i := range raw {
		c, err := s.openCustomer(ctx, &raw[i], skip)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
