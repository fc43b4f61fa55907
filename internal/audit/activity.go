package audit

import (
	"context"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// MaxActivityRange bounds the time range Activity counts over.
const MaxActivityRange = 31 * 24 * time.Hour

// Activity is what the log shows of a time range: how many events each
// hour, and who revealed and exported customer data.
type Activity struct {
	Since, Until time.Time
	// Hours holds every whole hour (UTC) from the one holding Since to the
	// one before Until, empty hours included, oldest first.
	Hours []domain.AuditHourCount
	// ByActor lists the users who revealed or exported, most first.
	ByActor []ActorActivity
}

// ActorActivity is one user's reveals and exports in a range.
type ActorActivity struct {
	ActorUser domain.ID
	// Reveals counts fields revealed (customer.reveal events).
	Reveals int64
	// Exported counts customers exported (the records of every
	// customer.export page); ExportPages the pages.
	Exported    int64
	ExportPages int64
}

// Activity counts the log's entries per hour from since to until, and
// per user the fields revealed and customers exported in that range
// (allowed ones). The query is recorded (audit.activity) before anything
// is returned; if that record cannot be made durable, nothing is.
//
// Authorization: audit.read. Errors: invalid (since, until: until before
// since, a range over MaxActivityRange), unavailable (audit).
func (s *Service) Activity(ctx context.Context, since, until time.Time) (*Activity, error) {
	if err := s.require(ctx, domain.ActionAuditActivity); err != nil {
		return nil, err
	}
	since, until = since.UTC(), until.UTC()
	if since.IsZero() || until.IsZero() || !since.Before(until) {
		return nil, domain.Invalid("until", "until must be after since")
	}
	if until.Sub(since) > MaxActivityRange {
		return nil, domain.Invalid("since", "the range may span at most %d days", int(MaxActivityRange/(24*time.Hour)))
	}
	if err := s.record(ctx, domain.ActionAuditActivity, domain.AuditFilter{Since: since, Until: until, ToSeq: -1}); err != nil {
		return nil, err
	}
	hours, err := s.st.AuditCountsByHour(ctx, since, until)
	if err != nil {
		return nil, err
	}
	counts, err := s.st.AuditCountsByActor(ctx, []string{domain.ActionCustomerReveal, domain.ActionCustomerExport}, since, until)
	if err != nil {
		return nil, err
	}
	a := &Activity{Since: since, Until: until, Hours: fillHours(since, until, hours)}
	byActor := map[domain.ID]*ActorActivity{}
	for _, c := range counts {
		x := byActor[c.ActorUser]
		if x == nil {
			x = &ActorActivity{ActorUser: c.ActorUser}
			byActor[c.ActorUser] = x
		}
		switch c.Action {
		case domain.ActionCustomerReveal:
			x.Reveals += c.Events
		case domain.ActionCustomerExport:
			x.Exported += c.Records
			x.ExportPages += c.Events
		}
	}
	for _, x := range byActor {
		a.ByActor = append(a.ByActor, *x)
	}
	slices.SortFunc(a.ByActor, func(x, y ActorActivity) int {
		if d := (y.Reveals + y.Exported) - (x.Reveals + x.Exported); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		switch {
		case x.ActorUser < y.ActorUser:
			return -1
		case x.ActorUser > y.ActorUser:
			return 1
		}
		return 0
	})
	return a, nil
}

// fillHours returns every hour of [since, until) with its count (zero
// where the log has none).
func fillHours(since, until time.Time, counts []domain.AuditHourCount) []domain.AuditHourCount {
	got := make(map[int64]int64, len(counts))
	for _, c := range counts {
		got[c.Hour.Unix()] = c.Events
	}
	var out []domain.AuditHourCount
	for h := since.Truncate(time.Hour); h.Before(until); h = h.Add(time.Hour) {
		out = append(out, domain.AuditHourCount{Hour: h, Events: got[h.Unix()]})
	}
	return out
}
