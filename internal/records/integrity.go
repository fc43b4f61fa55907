package records

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// A customer whose stored data fails its integrity check (a sealed field
// or its data key does not authenticate) is served as unreadable: a single
// read answers the unreadable error, a list or export carries its id and
// the reason in place of its data, and every other record is served as
// usual. Each time one is met it is logged and audited
// (customer.unreadable, outcome error), so that tampering or disk
// corruption is noticed at once; CheckIntegrity finds them all.

// reportUnreadable logs and audits meeting an unreadable customer. The
// event carries the action that met it and the reason, no data; a failure
// to record it is logged (the caller is shown nothing of the record
// either way).
func (s *Service) reportUnreadable(ctx context.Context, action string, c *domain.Customer) {
	s.log.Error("a customer's stored data fails its integrity check", slog.String("customer", string(c.ID)),
		slog.String("reason", string(c.Unreadable)), slog.String("action", action))
	ev := domain.NewAuditEvent(ctx, s.now(), domain.ActionCustomerUnreadable, "customer", string(c.ID))
	ev.Outcome, ev.Reason = domain.OutcomeError, action+": "+string(c.Unreadable)
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.Error("audit record of an unreadable customer failed", slog.Any("err", err))
	}
}

// unreadable reports c and returns the error a single read answers.
func (s *Service) unreadable(ctx context.Context, action string, c *domain.Customer) error {
	s.reportUnreadable(ctx, action, c)
	return domain.Unreadable("customer", c.Unreadable)
}

// IntegrityChecker walks every stored record with sealed data.
type IntegrityChecker interface {
	// CheckIntegrity opens every sealed value of every customer and of
	// the records that hang off one, calling fn for each that fails; it
	// returns how many records it checked.
	CheckIntegrity(ctx context.Context, fn func(domain.IntegrityProblem) error) (int64, error)
}

// IntegrityReport is what CheckIntegrity found.
type IntegrityReport struct {
	Checked  int64
	Problems []domain.IntegrityProblem
}

// CheckIntegrity opens every sealed value Custos stores and reports the
// records whose data fails its integrity check, by id, field and reason
// (never a value). Nothing is returned decrypted; the check is audited
// (data.integrity_check) with how many records it checked and found.
//
// Authorization: data.check (administrators; the CLI's custos doctor runs
// as the system).
func (s *Service) CheckIntegrity(ctx context.Context) (*IntegrityReport, error) {
	if _, err := policy.Require(ctx, domain.FnDataCheck); err != nil {
		return nil, err
	}
	rep := &IntegrityReport{}
	n, err := s.checker.CheckIntegrity(ctx, func(p domain.IntegrityProblem) error {
		rep.Problems = append(rep.Problems, p)
		return nil
	})
	rep.Checked = n
	if err != nil {
		return nil, err
	}
	ev := domain.NewAuditEvent(ctx, s.now(), domain.ActionDataIntegrityCheck, "", "")
	ev.Reason = fmt.Sprintf("%d records checked, %d unreadable", rep.Checked, len(rep.Problems))
	for _, p := range rep.Problems[:min(len(rep.Problems), 1000)] { // the first thousand; the count says the rest
		ev.TargetIDs = append(ev.TargetIDs, string(p.ID))
	}
	if err := s.audit.Record(ctx, ev); err != nil {
		return nil, errAuditUnavailable
	}
	return rep, nil
}
