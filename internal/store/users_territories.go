package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// CreateTerritory stores a territory with its regions; a taken name is a
// conflict.
func (s *Users) CreateTerritory(ctx context.Context, t *domain.Territory, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO territories (id, name, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			string(t.ID), t.Name, t.CreatedAt.UnixMicro(), t.UpdatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert territory: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Conflict("name", "a territory with this name already exists")
		}
		if err := insertRegions(ctx, tx, t); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

func insertRegions(ctx context.Context, tx *Tx, t *domain.Territory) error {
	for _, r := range t.Regions {
		if _, err := tx.Exec(ctx, `INSERT INTO territory_regions (territory_id, province, city) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			string(t.ID), r.Province, r.City); err != nil {
			return fmt.Errorf("insert region: %w", err)
		}
	}
	return nil
}

// UpdateTerritory renames a territory and replaces its regions.
func (s *Users) UpdateTerritory(ctx context.Context, t *domain.Territory, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		var other string
		err := tx.QueryRow(ctx, `SELECT id FROM territories WHERE name = ? AND id <> ?`, t.Name, string(t.ID)).Scan(&other)
		if err == nil {
			return domain.Conflict("name", "a territory with this name already exists")
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE territories SET name = ?, updated_at = ? WHERE id = ?`, t.Name, t.UpdatedAt.UnixMicro(), string(t.ID))
		if err != nil {
			return fmt.Errorf("update territory: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("territory")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM territory_regions WHERE territory_id = ?`, string(t.ID)); err != nil {
			return err
		}
		if err := insertRegions(ctx, tx, t); err != nil {
			return err
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// DeleteTerritory removes a territory; its users lose it.
func (s *Users) DeleteTerritory(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		for _, q := range []string{`DELETE FROM user_territories WHERE territory_id = ?`, `DELETE FROM territory_regions WHERE territory_id = ?`} {
			if _, err := tx.Exec(ctx, q, string(id)); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `DELETE FROM territories WHERE id = ?`, string(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("territory")
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// GetTerritory returns a territory with its regions.
func (s *Users) GetTerritory(ctx context.Context, id domain.ID) (*domain.Territory, error) {
	ts, err := s.territories(ctx, `WHERE t.id = ?`, string(id))
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, domain.NotFound("territory")
	}
	return ts[0], nil
}

// ListTerritories returns every territory by name.
func (s *Users) ListTerritories(ctx context.Context) ([]*domain.Territory, error) {
	return s.territories(ctx, ``)
}

func (s *Users) territories(ctx context.Context, where string, args ...any) ([]*domain.Territory, error) {
	rows, err := s.query(ctx, `SELECT t.id, t.name, t.created_at, t.updated_at, r.province, r.city
		FROM territories t LEFT JOIN territory_regions r ON r.territory_id = t.id `+where+`
		ORDER BY t.name, t.id, r.province, r.city`, args...)
	if err != nil {
		return nil, fmt.Errorf("list territories: %w", err)
	}
	defer rows.Close()
	var out []*domain.Territory
	for rows.Next() {
		var id, name string
		var created, updated int64
		var province, city sql.NullString
		if err := rows.Scan(&id, &name, &created, &updated, &province, &city); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != domain.ID(id) {
			out = append(out, &domain.Territory{ID: domain.ID(id), Name: name, Regions: []domain.Region{},
				CreatedAt: fromMicros(nullInt(created)), UpdatedAt: fromMicros(nullInt(updated))})
		}
		if province.Valid {
			t := out[len(out)-1]
			t.Regions = append(t.Regions, domain.Region{Province: province.String, City: city.String})
		}
	}
	return out, rows.Err()
}

// TerritoryRegions returns the regions of the given territories.
func (s *Users) TerritoryRegions(ctx context.Context, ids []domain.ID) ([]domain.Region, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	rows, err := s.query(ctx, `SELECT DISTINCT province, city FROM territory_regions WHERE territory_id IN (`+ph+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("territory regions: %w", err)
	}
	defer rows.Close()
	var out []domain.Region
	for rows.Next() {
		var r domain.Region
		if err := rows.Scan(&r.Province, &r.City); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
