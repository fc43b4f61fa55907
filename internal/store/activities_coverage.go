package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// week is a week in the microseconds planned_at is stored in.
const week = int64(7 * 24 * time.Hour / time.Microsecond)

// CountVisits counts the visits to customers in sc planned in the weeks
// from, from + 7 days, … (weeks of them), cancelled ones aside, per rep
// and week. Reps without visits are absent.
func (s *Activities) CountVisits(ctx context.Context, sc domain.RecordScope, from time.Time, weeks int) ([]domain.VisitCount, error) {
	start := from.UnixMicro()
	var w where
	w.scope(sc)
	w.add("x.planned_at >= ?", start)
	w.add("x.planned_at < ?", start+int64(weeks)*week)
	w.add("x.status <> ?", string(domain.VisitCancelled))
	q := `SELECT x.rep_id, (x.planned_at - ?) / ? AS wk, COUNT(*) FROM visits x` + parentJoin(false) +
		` WHERE ` + strings.Join(w.conds, " AND ") + ` GROUP BY x.rep_id, wk ORDER BY x.rep_id, wk`
	rows, err := s.query(ctx, q, append([]any{start, week}, w.args...)...)
	if err != nil {
		return nil, fmt.Errorf("count visits: %w", err)
	}
	defer rows.Close()
	var out []domain.VisitCount
	for rows.Next() {
		var rep string
		var c domain.VisitCount
		if err := rows.Scan(&rep, &c.Week, &c.Count); err != nil {
			return nil, fmt.Errorf("count visits: %w", err)
		}
		c.RepID = domain.ID(rep)
		out = append(out, c)
	}
	return out, rows.Err()
}
