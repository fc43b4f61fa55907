package keylifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/vault"
)

// Progress reports how far a rotation got: the phase, keys or customers
// done, and the total expected.
type Progress func(phase domain.RotationPhase, done, total int64)

// RotateOptions tune a rotation.
type RotateOptions struct {
	// BatchSize is how many data keys (or customers) each transaction
	// handles (default 2000).
	BatchSize int
	Progress  Progress
}

func (o *RotateOptions) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.Progress == nil {
		o.Progress = func(domain.RotationPhase, int64, int64) {}
	}
}

// RotateMaster creates a new master key version, makes it active (running
// processes follow within a refresh interval), rewraps every data key,
// the blind-index keys and the erasure tree under it in batches while the
// server keeps serving, and retires the old version. Progress is stored
// after every batch: a rotation interrupted at any point (even by kill -9)
// is resumed by running RotateMaster again, and rewrapping is idempotent.
// Only one rotation runs at a time (a database lease).
//
// Authorization: keys.manage. Errors: forbidden, conflict (another
// rotation is running, or an index key rotation is unfinished).
func (s *Service) RotateMaster(ctx context.Context, o RotateOptions) (*domain.Rotation, error) {
	if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
		return nil, err
	}
	o.defaults()
	ctx, rot, release, err := s.startRotation(ctx, domain.RotationMaster, s.beginMaster)
	if err != nil {
		return nil, err
	}
	defer release()
	s.d.Keyring.SetActive(rot.To)
	o.Progress(domain.PhaseRewrap, rot.Done, rot.Total)

	if err := s.rewrapDataKeys(ctx, rot, o, domain.ID(rot.Cursor)); err != nil {
		return rot, err
	}
	if err := s.rewrapAuditKeys(ctx, rot.To); err != nil {
		return rot, err
	}
	if err := s.rewrapIndexKeys(ctx, rot.To); err != nil {
		return rot, err
	}
	if err := s.resealTree(ctx, rot.To); err != nil {
		return rot, err
	}
	// Processes that had not yet noticed the new version may have wrapped
	// a few keys under the old one: wait until all have, and sweep again.
	if err := sleep(ctx, s.o.Grace); err != nil {
		return rot, err
	}
	if err := s.rewrapDataKeys(ctx, rot, o, ""); err != nil {
		return rot, err
	}
	ev := domain.NewAuditEvent(ctx, s.o.Now(), "key.rotate.finish", "master_key", strconv.Itoa(rot.To))
	ev.Reason = fmt.Sprintf("retired v%d; %d data keys rewrapped", rot.From, rot.Done)
	if err := s.d.MasterKeys.FinishMasterRotation(ctx, rot, ev); err != nil {
		return rot, err
	}
	o.Progress(domain.PhaseDone, rot.Done, rot.Total)
	return rot, nil
}

func (s *Service) beginMaster(ctx context.Context) (*domain.Rotation, error) {
	mks, err := s.d.MasterKeys.MasterKeys(ctx)
	if err != nil {
		return nil, err
	}
	to := 1
	for _, m := range mks {
		to = max(to, m.Version+1)
	}
	// A crash between creating the key and recording it leaves the
	// version in the provider: it is used, not created twice.
	if err := s.d.Keyring.Provider().Create(ctx, to); err != nil && !errors.Is(err, masterkey.ErrVersionExists) {
		return nil, fmt.Errorf("create master key v%d: %w", to, err)
	}
	total, err := s.d.MasterKeys.CountDataKeysBelow(ctx, to)
	if err != nil {
		return nil, err
	}
	ev := domain.NewAuditEvent(ctx, s.o.Now(), "key.rotate.begin", "master_key", strconv.Itoa(to))
	rot, err := s.d.MasterKeys.BeginMasterRotation(ctx, to, total, ev)
	if err != nil {
		return nil, err
	}
	s.o.Log.Info("master key rotation begun", slog.Int("from", rot.From), slog.Int("to", to), slog.Int64("data_keys", total))
	return rot, nil
}

// rewrapDataKeys rewraps, batch by batch in id order from after, every
// live data key under a version older than rot.To, recording the last id
// done as the rotation's cursor (where a resumed rotation starts; keys
// created behind it under an old version are caught by the final sweep,
// which starts from the beginning).
func (s *Service) rewrapDataKeys(ctx context.Context, rot *domain.Rotation, o RotateOptions, after domain.ID) error {
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		old, err := s.d.MasterKeys.DataKeysBelow(ctx, rot.To, after, o.BatchSize)
		if err != nil {
			return err
		}
		if len(old) == 0 {
			return nil
		}
		fresh, err := s.rewrapBatch(ctx, old, rot.To)
		if err != nil {
			return err
		}
		if _, err := s.d.MasterKeys.SaveRewrapped(ctx, old, fresh); err != nil {
			return err
		}
		after = old[len(old)-1].ID
		rot.Cursor = string(after)
		rot.Done += int64(len(old))
		if rot.Done > rot.Total {
			rot.Total = rot.Done
		}
		if err := s.d.MasterKeys.UpdateRotation(ctx, rot); err != nil {
			return err
		}
		o.Progress(domain.PhaseRewrap, rot.Done, rot.Total)
	}
}

// rewrapBatch rewraps keys on a few goroutines: with an HSM each wrap is
// a round trip to the token, and the provider has several sessions.
func (s *Service) rewrapBatch(ctx context.Context, old []vault.WrappedKey, to int) ([]vault.WrappedKey, error) {
	fresh := make([]vault.WrappedKey, len(old))
	workers := min(4, max(1, runtime.GOMAXPROCS(0)), len(old))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(old); i += workers {
				var err error
				if fresh[i], err = s.d.Vault.RewrapTo(ctx, old[i], to); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return fresh, nil
}

func (s *Service) rewrapIndexKeys(ctx context.Context, to int) error {
	iks, err := s.d.MasterKeys.IndexKeyWraps(ctx)
	if err != nil {
		return err
	}
	for _, k := range iks {
		if k.KEKVersion >= to || k.State == domain.KeyDestroyed {
			continue
		}
		name := vault.IndexKeyName(k.Version)
		raw, err := s.d.Vault.UnwrapNamed(ctx, name, k.KEKVersion, k.Wrapped)
		if err != nil {
			return fmt.Errorf("unwrap blind index key v%d: %w", k.Version, err)
		}
		w, err := s.d.Keyring.WrapVersion(ctx, to, raw, vault.NamedAAD(name))
		clear(raw)
		if err != nil {
			return fmt.Errorf("rewrap blind index key v%d: %w", k.Version, err)
		}
		if err := s.d.MasterKeys.SaveIndexKeyWrap(ctx, k.Version, k.KEKVersion, to, w); err != nil {
			return err
		}
	}
	return nil
}

// rewrapAuditKeys rewraps the audit checkpoint signing keys under version
// to, like the index keys: the key itself never changes, so checkpoints
// signed before the rotation still verify.
func (s *Service) rewrapAuditKeys(ctx context.Context, to int) error {
	aks, err := s.d.MasterKeys.AuditSigningKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range aks {
		if k.KEKVersion >= to {
			continue
		}
		name := audit.SigningKeyName(k.Version)
		raw, err := s.d.Vault.UnwrapNamed(ctx, name, k.KEKVersion, k.Wrapped)
		if err != nil {
			return fmt.Errorf("unwrap audit signing key v%d: %w", k.Version, err)
		}
		w, err := s.d.Keyring.WrapVersion(ctx, to, raw, vault.NamedAAD(name))
		clear(raw)
		if err != nil {
			return fmt.Errorf("rewrap audit signing key v%d: %w", k.Version, err)
		}
		if err := s.d.MasterKeys.SaveAuditSigningKeyWrap(ctx, k.Version, k.KEKVersion, to, w); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) resealTree(ctx context.Context, to int) error {
	lctx, release, err := s.acquire(ctx, domain.LeaseErasureTree, 10*s.o.LeaseTTL)
	if err != nil {
		return err
	}
	defer release()
	if info, ok := s.d.Keyring.ErasureTree(); ok && info.SealedUnder == to {
		if err := s.d.Keyring.ReloadErasureTree(lctx); err != nil {
			return err
		}
		if info, _ = s.d.Keyring.ErasureTree(); info.SealedUnder == to {
			return nil
		}
	}
	return s.d.Keyring.ResealErasureTree(lctx, to)
}

// unfinished names each rotation kind and the command that finishes it.
var unfinished = map[domain.RotationKind]string{
	domain.RotationMaster: "a master key rotation (v%d→v%d) is unfinished; finish it first with custos keys rotate",
	domain.RotationIndex:  "a blind-index key rotation (v%d→v%d) is unfinished; finish it first with custos keys rotate --index",
}

// startRotation takes the rotation lease and returns the open rotation of
// kind, resumed or begun, refusing while one of the other kind is
// unfinished. The caller works under the returned context (cancelled if
// the lease is lost) and calls release when done.
func (s *Service) startRotation(ctx context.Context, kind domain.RotationKind, begin func(context.Context) (*domain.Rotation, error)) (context.Context, *domain.Rotation, func(), error) {
	lctx, release, err := s.acquire(ctx, domain.LeaseKeyRotation, 0)
	var held *domain.LeaseHeldError
	if errors.As(err, &held) {
		return nil, nil, nil, rotationRunning(held)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	other := domain.RotationIndex
	if kind == domain.RotationIndex {
		other = domain.RotationMaster
	}
	rot, err := s.d.MasterKeys.OpenRotation(lctx, other)
	if err == nil && rot != nil {
		err = domain.Conflict("", unfinished[other], rot.From, rot.To)
	}
	if err == nil {
		if rot, err = s.d.MasterKeys.OpenRotation(lctx, kind); err == nil && rot == nil {
			rot, err = begin(lctx)
		} else if err == nil {
			s.o.Log.Info("resuming key rotation", slog.String("kind", string(kind)), slog.Int("from", rot.From),
				slog.Int("to", rot.To), slog.String("phase", string(rot.Phase)), slog.Int64("done", rot.Done))
		}
	}
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	return lctx, rot, release, nil
}
