package pool

import (
	"context"
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
)

// RequestTransfer asks the managers of the customer a duplicate check
// referred to (domain.MatchElsewhere) to consider giving it to the
// caller: each gets a notification naming the customer, the caller and
// the field, never the value. The caller learns nothing more.
//
// Authorization: customers.create (who gets references). The reference
// must be the caller's, unused and unexpired (15 minutes); otherwise —
// forged, expired, used, someone else's — the answer is the same invalid
// on field reference, audited as denied. Errors: invalid, forbidden.
func (s *Service) RequestTransfer(ctx context.Context, reference string) error {
	a, err := s.require(ctx, domain.FnCustomersCreate, domain.ActionPoolTransferRequest, "")
	if err != nil {
		return err
	}
	hash, err := domain.DuplicateReferenceHash("reference", reference)
	if err != nil {
		s.recordDenied(ctx, domain.ActionPoolTransferRequest, "", "malformed reference")
		return err
	}
	now := s.now().UTC()
	r, err := s.pool.DuplicateRef(ctx, hash)
	if err != nil {
		return err
	}
	if r == nil || r.UserID != a.UserID || !r.UsedAt.IsZero() || !now.Before(r.ExpiresAt) {
		s.recordDenied(ctx, domain.ActionPoolTransferRequest, "", "unknown, another user's, used or expired reference")
		return domain.DuplicateRefUnusable("reference")
	}
	holder, err := s.pool.CustomerRef(ctx, r.CustomerID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		s.recordDenied(ctx, domain.ActionPoolTransferRequest, r.CustomerID, "the customer is gone")
		return domain.DuplicateRefUnusable("reference")
	}
	if err != nil {
		return err
	}
	managers, err := s.pool.PoolManagers(ctx, holder.TeamID)
	if err != nil {
		return err
	}
	notes := make([]*domain.Notification, 0, len(managers))
	for _, m := range managers {
		notes = append(notes, domain.NewTransferRequest(m, holder.ID, a.UserID, r.Field, now))
	}
	ev := domain.NewAuditEvent(ctx, now, domain.ActionPoolTransferRequest, "customer", string(holder.ID))
	ev.Fields, ev.Reason = []string{r.Field}, "managers notified: "+strconv.Itoa(len(notes))
	if err := s.pool.UseDuplicateRef(ctx, hash, a.UserID, now, notes, ev); err != nil {
		if domain.ErrorCode(err) == domain.CodeInvalid {
			s.recordDenied(ctx, domain.ActionPoolTransferRequest, holder.ID, "reference used meanwhile")
		}
		return err
	}
	return nil
}
