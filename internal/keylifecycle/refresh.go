package keylifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Refresh brings this process's keys in line with the database and the
// provider: the active master key version, the erasure tree (punctures
// and reseals made elsewhere), the blind-index keys in use, and any
// erasure whose puncture is still pending.
func (s *Service) Refresh(ctx context.Context) error {
	v, err := s.d.MasterKeys.ActiveMasterVersion(ctx)
	if err != nil {
		return err
	}
	s.d.Keyring.SetActive(v)
	if err := s.d.Keyring.ReloadErasureTree(ctx); err != nil {
		return err
	}
	if err := s.d.IndexKeys.RefreshIndexKeys(ctx); err != nil {
		return err
	}
	if _, err := s.Shred(ctx); err != nil {
		return fmt.Errorf("pending erasures: %w", err)
	}
	return nil
}

// Run refreshes every interval until ctx ends. Failures are logged (no
// key material is ever in them) and retried at the next tick.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.o.Log.Error("key refresh failed", slog.Any("err", err))
			}
		}
	}
}
