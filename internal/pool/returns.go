package pool

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// returnPage is how many due customers one page of the return reads.
const returnPage = 500

// ReturnDue is the automatic return: it warns the owners of customers
// whose return is near (warn_days before it, once per quiet spell) and
// returns to the pool of their team the customers that went return_days
// without a follow-up (a visit, a note, a deal change; a new owner starts
// the spell afresh), each with its notification and audit event, under
// each team's settings. A customer followed up or moved while the run
// reads it is left alone. Running it again changes nothing until time
// moves on: warnings are recorded per spell, returned customers have no
// owner. It also forgets duplicate-check references that expired a day
// ago.
//
// Authorization: the system (the return job, the CLI), or pool.manage
// with scope all.
func (s *Service) ReturnDue(ctx context.Context) (domain.PoolReturnReport, error) {
	var rep domain.PoolReturnReport
	a, err := s.require(ctx, domain.FnPoolManage, domain.ActionPoolReturn, "")
	if err != nil {
		return rep, err
	}
	if !runsEveryPool(a) {
		return rep, domain.Forbidden("only the system or someone who runs every team's pool starts the return")
	}
	now := s.now().UTC()
	def := domain.DefaultPoolSettings("")
	var after domain.ID
	for {
		due, err := s.pool.DueForReturn(ctx, now, def, after, returnPage)
		if err != nil {
			return rep, err
		}
		for _, d := range due {
			after = d.CustomerID
			if err := s.handleDue(ctx, d, now, &rep); err != nil {
				return rep, err
			}
		}
		if len(due) < returnPage {
			break
		}
	}
	if _, err := s.pool.PurgeDuplicateRefs(ctx, now.Add(-24*time.Hour)); err != nil {
		return rep, err
	}
	if rep.Warned+rep.Returned > 0 {
		s.log.Info("pool return", slog.Int("warned", rep.Warned), slog.Int("returned", rep.Returned), slog.Int("skipped", rep.Skipped))
	}
	return rep, nil
}

// handleDue warns d's owner or returns d, as its time says.
func (s *Service) handleDue(ctx context.Context, d domain.PoolDue, now time.Time, rep *domain.PoolReturnReport) error {
	switch {
	case !now.Before(d.ReturnAt):
		rep.Scanned++
		ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolReturn, "customer", string(d.CustomerID))
		ev.Reason = fmt.Sprintf("from %s: no follow-up since %s", d.OwnerID, d.QuietSince.Format(time.RFC3339))
		err := s.pool.MovePool(ctx, &domain.PoolMove{ID: domain.NewIDAt(domain.KindPoolMove, now), Kind: domain.MoveReturn,
			CustomerID: d.CustomerID, ActorID: "system", FromOwner: d.OwnerID, At: now, QuietSince: d.QuietSince},
			[]*domain.Notification{domain.NewReturnedNotice(d.OwnerID, d.CustomerID, now)}, ev)
		switch domain.ErrorCode(err) {
		case "":
			rep.Returned++
		case domain.CodeConflict:
			rep.Skipped++
		default:
			return err
		}
	case !d.Warned:
		rep.Scanned++
		ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolWarn, "customer", string(d.CustomerID))
		ev.Reason = fmt.Sprintf("to %s: returns at %s", d.OwnerID, d.ReturnAt.Format(time.RFC3339))
		ok, err := s.pool.WarnOwner(ctx, d, now, []*domain.Notification{domain.NewReturnWarning(d.OwnerID, d.CustomerID, d.ReturnAt, now)}, ev)
		if err != nil {
			return err
		}
		if ok {
			rep.Warned++
		} else {
			rep.Skipped++
		}
	}
	return nil
}
