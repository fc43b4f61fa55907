package keylifecycle

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/policy"
)

// DestroyMaster destroys retired master key version v in the provider,
// for good. It refuses while anything is still wrapped under v (data
// keys, index keys, the erasure tree) or while v is not retired. Database
// copies and backups whose keys are wrapped under v become unreadable:
// destroy a version only once no backup that still needs it is kept.
//
// Authorization: keys.manage. Errors: forbidden, not found, conflict.
func (s *Service) DestroyMaster(ctx context.Context, v int) error {
	if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
		return err
	}
	lctx, release, err := s.acquire(ctx, domain.LeaseKeyRotation, 0)
	var held *domain.LeaseHeldError
	if errors.As(err, &held) {
		return rotationRunning(held)
	}
	if err != nil {
		return err
	}
	defer release()
	ctx = lctx
	mks, err := s.d.MasterKeys.MasterKeys(ctx)
	if err != nil {
		return err
	}
	var state domain.KeyState
	for _, m := range mks {
		if m.Version == v {
			state = m.State
		}
	}
	switch state {
	case "":
		return domain.NotFound("master key version")
	case domain.KeyDestroyed:
		return domain.Conflict("version", "master key version %d is already destroyed", v)
	case domain.KeyRetired:
	default:
		return domain.Conflict("version", "master key version %d is %s; only a retired version can be destroyed (rotate first)", v, state)
	}
	dks, iks, err := s.d.MasterKeys.MasterKeyReferences(ctx, v)
	if err != nil {
		return err
	}
	if dks > 0 || iks > 0 {
		return domain.Conflict("version", "master key version %d still wraps %d data keys and %d index keys; run custos keys rotate to rewrap them", v, dks, iks)
	}
	if err := s.d.Keyring.ReloadErasureTree(ctx); err != nil {
		return err
	}
	if info, ok := s.d.Keyring.ErasureTree(); ok && info.SealedUnder == v {
		return domain.Conflict("version", "the erasure tree is still sealed under master key version %d; run custos keys rotate", v)
	}
	if err := s.d.Keyring.Provider().Destroy(ctx, v); err != nil && !errors.Is(err, masterkey.ErrUnknownVersion) {
		return fmt.Errorf("destroy master key v%d: %w", v, err)
	}
	ev := domain.NewAuditEvent(ctx, s.o.Now(), "key.destroy", "master_key", strconv.Itoa(v))
	return s.d.MasterKeys.MarkMasterKeyDestroyed(ctx, v, ev)
}
