package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/custoscrm/custos/internal/domain"
)

const poolSettingsColumns = `t.id, t.name, ps.daily_claims, ps.max_owned, ps.return_days, ps.warn_days, ps.updated_at`

func scanPoolSettings(sc scanner) (*domain.PoolSettings, error) {
	var team, name string
	var daily, owned, ret, warn, updated sql.NullInt64
	if err := sc.Scan(&team, &name, &daily, &owned, &ret, &warn, &updated); err != nil {
		return nil, err
	}
	if !daily.Valid {
		p := domain.DefaultPoolSettings(domain.ID(team))
		p.TeamName = name
		return p, nil
	}
	return &domain.PoolSettings{TeamID: domain.ID(team), TeamName: name, DailyClaims: int(daily.Int64), MaxOwned: int(owned.Int64),
		ReturnDays: int(ret.Int64), WarnDays: int(warn.Int64), UpdatedAt: fromMicros(updated)}, nil
}

// PoolSettings returns the pool settings of team (the defaults, marked
// Default, when it has none of its own, or when team is ""), or not found
// for a team that does not exist.
func (s *Pool) PoolSettings(ctx context.Context, team domain.ID) (*domain.PoolSettings, error) {
	if team == "" {
		return domain.DefaultPoolSettings(""), nil
	}
	p, err := scanPoolSettings(s.queryRow(ctx, `SELECT `+poolSettingsColumns+`
		FROM teams t LEFT JOIN pool_settings ps ON ps.team_id = t.id WHERE t.id = ?`, string(team)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("team")
	}
	if err != nil {
		return nil, fmt.Errorf("pool settings: %w", err)
	}
	return p, nil
}

// ListPoolSettings returns every team's pool settings, by team name.
func (s *Pool) ListPoolSettings(ctx context.Context) ([]*domain.PoolSettings, error) {
	out, err := queryAll(ctx, s.DB, scanPoolSettings, `SELECT `+poolSettingsColumns+`
		FROM teams t LEFT JOIN pool_settings ps ON ps.team_id = t.id ORDER BY t.name`)
	if err != nil {
		return nil, fmt.Errorf("list pool settings: %w", err)
	}
	return out, nil
}

// SavePoolSettings stores a team's pool settings with the audit events;
// a team that does not exist is not found.
func (s *Pool) SavePoolSettings(ctx context.Context, p *domain.PoolSettings, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO pool_settings (team_id, daily_claims, max_owned, return_days, warn_days, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (team_id) DO UPDATE SET daily_claims = excluded.daily_claims,
			max_owned = excluded.max_owned, return_days = excluded.return_days, warn_days = excluded.warn_days,
			updated_at = excluded.updated_at`,
			string(p.TeamID), p.DailyClaims, p.MaxOwned, p.ReturnDays, p.WarnDays, p.UpdatedAt.UnixMicro())
		if isForeignKeyViolation(err) {
			return domain.NotFound("team")
		}
		if err != nil {
			return fmt.Errorf("save pool settings: %w", err)
		}
		return insertAudit(ctx, tx, evs...)
	})
}
