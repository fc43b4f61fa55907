package records

import (
	"context"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Shredder punctures the erasure tree for destroyed data keys (the key
// service implements it).
type Shredder interface {
	Shred(ctx context.Context) (int, error)
}

// EraseReasons lists the accepted erasure reasons. A fixed list keeps
// free text (which could name the person) out of the audit log.
var EraseReasons = []string{"data_subject_request", "consent_withdrawn", "retention_expired", "legal_obligation"}

// EraseStepUp is how recently an actor must have signed in to erase.
const EraseStepUp = 15 * time.Minute

// EraseResult reports an erasure.
type EraseResult struct {
	ID domain.ID
	// Shredded is true once the data key's erasure-tree leaf is punctured,
	// so no earlier copy of the database can open the customer either.
	// When false, the next key refresh completes it.
	Shredded bool
}

// EraseCustomer crypto-shreds a customer (the right to be forgotten): its
// data key is destroyed so its sealed fields are unreadable in the live
// database and in every copy or backup made before; its personal columns,
// blind indexes, contacts, notes and tasks are deleted; deals and visit
// times stay, attached to a record that no longer identifies anyone. It
// cannot be undone. The audit event names the customer by id and the
// reason by code only.
//
// Authorization: customers.erase (administrators), the record in scope,
// and a sign-in within EraseStepUp (else step_up_required). Errors:
// invalid (reason), forbidden, not found, conflict (already erased),
// step_up_required.
func (s *Service) EraseCustomer(ctx context.Context, id domain.ID, reason string) (*EraseResult, error) {
	a, err := policy.Require(ctx, domain.FnCustomersErase)
	if err != nil {
		return nil, err
	}
	if !validEraseReason(reason) {
		return nil, domain.Invalid("reason", "reason must be one of data_subject_request, consent_withdrawn, retention_expired, legal_obligation")
	}
	if !a.System && s.now().Sub(a.AuthTime) > EraseStepUp {
		return nil, &domain.Error{Code: domain.CodeStepUpRequired, Message: "sign in again to erase a customer"}
	}
	if _, err := s.customerInScope(ctx, a, id, "customer.erase", openNone); err != nil {
		return nil, err
	}
	ev := domain.NewAuditEvent(ctx, s.now(), "customer.erase", "customer", string(id))
	ev.Reason = reason
	if err := s.customers.EraseCustomer(ctx, id, ev); err != nil {
		return nil, err
	}
	return &EraseResult{ID: id, Shredded: s.shred(ctx)}, nil
}

func validEraseReason(r string) bool {
	for _, v := range EraseReasons {
		if r == v {
			return true
		}
	}
	return false
}

// shred punctures pending leaves now; a failure is logged and left to the
// next key refresh (the erasure itself is already committed).
func (s *Service) shred(ctx context.Context) bool {
	if _, err := s.shredder.Shred(context.WithoutCancel(ctx)); err != nil {
		s.log.Error("puncturing the erasure tree failed; the key refresh retries", slog.Any("err", err))
		return false
	}
	return true
}
