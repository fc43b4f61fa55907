package keylifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Shred punctures the erasure-tree leaves of destroyed data keys (erased
// or deleted customers) and returns how many it punctured. Until it has
// run, a database copy made before the erasure could still open the
// customer with the master key; afterwards no copy can. It runs right
// after each erasure and at every refresh, so an erasure whose puncture
// was interrupted completes later.
func (s *Service) Shred(ctx context.Context) (int, error) {
	pending, err := s.d.DataKeys.PendingShreds(ctx, 1000)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	// Wait briefly: an erasure request should not hang behind a long
	// holder; a puncture left pending completes at the next refresh.
	lctx, release, err := s.acquire(ctx, domain.LeaseErasureTree, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer release()
	// Re-read under the lease: another process may have done it.
	if pending, err = s.d.DataKeys.PendingShreds(lctx, 1000); err != nil || len(pending) == 0 {
		return 0, err
	}
	leaves := make([]uint64, len(pending))
	ids := make([]domain.ID, len(pending))
	for i, p := range pending {
		leaves[i], ids[i] = p.Leaf, p.DataKeyID
	}
	// A live key on the same leaf (a 2^-64 chance per pair) moves first.
	shared, err := s.d.DataKeys.LiveKeysOnLeaves(lctx, leaves)
	if err != nil {
		return 0, err
	}
	for _, wk := range shared {
		fresh, err := s.d.Vault.Releaf(lctx, wk)
		if err != nil {
			return 0, fmt.Errorf("move data key %s off a shared leaf: %w", wk.ID, err)
		}
		if err := s.d.DataKeys.ReplaceDataKey(lctx, wk, fresh); err != nil {
			return 0, err
		}
		s.o.Log.Info("moved a data key off a leaf being punctured", slog.String("data_key", string(wk.ID)))
	}
	if err := s.d.Keyring.Puncture(lctx, leaves...); err != nil {
		return 0, err
	}
	if err := s.d.DataKeys.MarkShredded(lctx, ids); err != nil {
		return 0, err
	}
	return len(ids), nil
}
