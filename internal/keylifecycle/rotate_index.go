package keylifecycle

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/vault"
)

// RotateIndex replaces the blind-index key online: a new index key is
// created and every running process starts writing entries under it as
// well; the entries of every customer are built under it in batches
// (decrypt, recompute, insert) while searches keep using the old key;
// then the new key becomes the one searched, the old one stops being
// written, and its entries and the key itself are deleted. Each phase is
// recorded, so an interrupted rotation resumes where it stopped.
//
// Authorization: keys.manage. Errors: forbidden, conflict (another
// rotation is running, or a master key rotation is unfinished).
func (s *Service) RotateIndex(ctx context.Context, o RotateOptions) (*domain.Rotation, error) {
	if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
		return nil, err
	}
	o.defaults()
	ctx, rot, release, err := s.startRotation(ctx, domain.RotationIndex, s.beginIndex)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := s.d.IndexKeys.RefreshIndexKeys(ctx); err != nil {
		return rot, err
	}
	if rot.Phase == domain.PhaseBuild {
		// Every process must write entries under the new key before the
		// build starts, or a customer saved behind the build would lack them.
		if err := sleep(ctx, s.o.Grace); err != nil {
			return rot, err
		}
		if err := s.buildIndex(ctx, rot, o); err != nil {
			return rot, err
		}
		if err := s.d.IndexKeys.ActivateIndexKey(ctx, rot.To); err != nil {
			return rot, err
		}
		rot.Phase = domain.PhaseSwitch
		if err := s.d.MasterKeys.UpdateRotation(ctx, rot); err != nil {
			return rot, err
		}
		if err := s.d.IndexKeys.RefreshIndexKeys(ctx); err != nil {
			return rot, err
		}
	}
	if rot.Phase == domain.PhaseSwitch {
		// Every process must search with the new key before the old one
		// stops being written.
		if err := sleep(ctx, s.o.Grace); err != nil {
			return rot, err
		}
		if err := s.d.IndexKeys.RetireIndexKeys(ctx); err != nil {
			return rot, err
		}
		rot.Phase = domain.PhaseCleanup
		if err := s.d.MasterKeys.UpdateRotation(ctx, rot); err != nil {
			return rot, err
		}
		if err := s.d.IndexKeys.RefreshIndexKeys(ctx); err != nil {
			return rot, err
		}
	}
	if rot.Phase == domain.PhaseCleanup {
		if err := sleep(ctx, s.o.Grace); err != nil {
			return rot, err
		}
		o.Progress(domain.PhaseCleanup, rot.Done, rot.Total)
		for {
			n, err := s.d.IndexKeys.DeleteIndexEntries(ctx, rot.From, 5000)
			if err != nil {
				return rot, err
			}
			if n == 0 {
				break
			}
		}
		ev := domain.NewAuditEvent(ctx, s.o.Now(), "key.index.rotate.finish", "index_key", strconv.Itoa(rot.To))
		ev.Reason = fmt.Sprintf("destroyed index key v%d; %d customers indexed", rot.From, rot.Done)
		if err := s.d.IndexKeys.FinishIndexRotation(ctx, rot, ev); err != nil {
			return rot, err
		}
	}
	o.Progress(domain.PhaseDone, rot.Done, rot.Total)
	return rot, nil
}

func (s *Service) beginIndex(ctx context.Context) (*domain.Rotation, error) {
	newest, err := s.d.IndexKeys.NewestIndexKeyVersion(ctx)
	if err != nil {
		return nil, err
	}
	to := newest + 1
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	kv, wrapped, err := s.d.Vault.WrapNamed(ctx, vault.IndexKeyName(to), raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("wrap blind index key: %w", err)
	}
	total, err := s.d.IndexKeys.CountLiveCustomers(ctx)
	if err != nil {
		return nil, err
	}
	ev := domain.NewAuditEvent(ctx, s.o.Now(), "key.index.rotate.begin", "index_key", strconv.Itoa(to))
	rot, err := s.d.IndexKeys.BeginIndexRotation(ctx, to, kv, wrapped, total, ev)
	if err != nil {
		return nil, err
	}
	s.o.Log.Info("blind index key rotation begun", slog.Int("from", rot.From), slog.Int("to", to), slog.Int64("customers", total))
	return rot, nil
}

func (s *Service) buildIndex(ctx context.Context, rot *domain.Rotation, o RotateOptions) error {
	o.Progress(domain.PhaseBuild, rot.Done, rot.Total)
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		cs, err := s.d.IndexKeys.CustomersAfter(ctx, domain.ID(rot.Cursor), o.BatchSize)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return nil
		}
		pending := cs
		for tries := 0; len(pending) > 0; tries++ {
			if tries == 5 {
				return fmt.Errorf("customers keep changing under the index rebuild; run it again")
			}
			stale, err := s.d.IndexKeys.WriteIndexEntries(ctx, rot.To, pending)
			if err != nil {
				return err
			}
			pending = pending[:0]
			for _, c := range stale {
				fresh, err := s.d.Customers.GetCustomer(ctx, c.ID, nil)
				if errors.Is(err, domain.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if !fresh.Erased {
					pending = append(pending, fresh)
				}
			}
		}
		rot.Cursor = string(cs[len(cs)-1].ID)
		rot.Done += int64(len(cs))
		if rot.Done > rot.Total {
			rot.Total = rot.Done
		}
		if err := s.d.MasterKeys.UpdateRotation(ctx, rot); err != nil {
			return err
		}
		o.Progress(domain.PhaseBuild, rot.Done, rot.Total)
	}
}
