package keylifecycle

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/store"
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
	lctx, release, err := s.acquire(ctx, store.LeaseKeyRotation, 0)
	var held *store.LeaseHeldError
	if errors.As(err, &held) {
		return rotationRunning(held)
	}
	if err != nil {
		return err
	}
	defer release()
	ctx = lctx
	mks, err := s.o.Store.MasterKeys(ctx)
	if err != nil {
		return err
	}
	var state string
	for _, m := range mks {
		if m.Version == v {
			state = m.State
		}
	}
	switch state {
	case "":
		return domain.NotFound("master key version")
	case store.KeyDestroyed:
		return domain.Conflict("version", "master key version %d is already destroyed", v)
	case store.KeyRetired:
	default:
		return domain.Conflict("version", "master key version %d is %s; only a retired version can be destroyed (rotate first)", v, state)
	}
	dks, iks, err := s.o.Store.MasterKeyReferences(ctx, v)
	if err != nil {
		return err
	}
	if dks > 0 || iks > 0 {
		return domain.Conflict("version", "master key version %d still wraps %d data keys and %d index keys; run custos keys rotate to rewrap them", v, dks, iks)
	}
	if err := s.o.Keyring.ReloadErasureTree(ctx); err != nil {
		return err
	}
	if info, ok := s.o.Keyring.ErasureTree(); ok && info.SealedUnder == v {
		return domain.Conflict("version", "the erasure tree is still sealed under master key version %d; run custos keys rotate", v)
	}
	if err := s.o.Keyring.Provider().Destroy(ctx, v); err != nil && !errors.Is(err, masterkey.ErrUnknownVersion) {
		return fmt.Errorf("destroy master key v%d: %w", v, err)
	}
	ev := domain.NewAuditEvent(ctx, s.o.Now(), "key.destroy", "master_key", strconv.Itoa(v))
	return s.o.Store.MarkMasterKeyDestroyed(ctx, v, ev)
}
