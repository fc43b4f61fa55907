// Package keylifecycle is the key lifecycle service: master key rotation (new
// version, online rewrap of every data key, index key and the erasure
// tree, then retirement), blind-index key rotation (entries rebuilt
// online), destruction of retired versions, puncturing the erasure tree
// for destroyed data keys (crypto-shredding), the periodic refresh that
// lets running processes follow all of that, and key status. Operator
// actions require keys.manage and are audited; the store holds progress
// so that a rotation interrupted by a crash resumes where it stopped.
package keylifecycle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/vault"
)

// Deps are what the service is built on; every one is required.
type Deps struct {
	MasterKeys MasterKeyStore
	IndexKeys  IndexKeyStore
	DataKeys   DataKeyStore
	Leases     LeaseStore
	Customers  CustomerReader
	Sealing    SealStore
	Keyring    *masterkey.Keyring
	Vault      *vault.Vault
	Index      *vault.BlindIndex
}

// Options tune a Service.
type Options struct {
	Now func() time.Time
	Log *slog.Logger
	// MasterRotationPeriod and IndexRotationPeriod are the policy the
	// status compares key ages with.
	MasterRotationPeriod time.Duration
	IndexRotationPeriod  time.Duration
	// Grace is how long a rotation waits for every running process to
	// pick up a key change (at least two refresh intervals).
	Grace time.Duration
	// LeaseTTL bounds how long a crashed holder blocks the next rotation
	// (a holder on this machine whose process is gone is taken over at
	// once).
	LeaseTTL time.Duration
}

// Service runs key lifecycle operations.
type Service struct {
	d      Deps
	o      Options
	holder string
}

// New returns a service over d.
func New(d Deps, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.MasterRotationPeriod <= 0 {
		o.MasterRotationPeriod = 365 * 24 * time.Hour
	}
	if o.IndexRotationPeriod <= 0 {
		o.IndexRotationPeriod = 2 * 365 * 24 * time.Hour
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Service{d: d, o: o, holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
}

// Holder names this process in leases.
func (s *Service) Holder() string { return s.holder }

// errRotationRunning wraps a held rotation lease for callers.
func rotationRunning(h *domain.LeaseHeldError) error {
	return &domain.Error{Code: domain.CodeConflict, Message: "another key rotation is running: " + h.Error(), Err: h}
}

// acquire takes lease name, taking over a lease whose holder was a
// process on this machine that no longer exists (killed mid-rotation).
// wait > 0 retries until then. It returns a release func and a context
// that is cancelled if the lease is lost.
func (s *Service) acquire(ctx context.Context, name string, wait time.Duration) (context.Context, func(), error) {
	deadline := time.Now().Add(wait)
	for {
		err := s.d.Leases.AcquireLease(ctx, name, s.holder, s.o.LeaseTTL)
		var held *domain.LeaseHeldError
		if errors.As(err, &held) && holderGone(held.Holder) {
			s.o.Log.Warn("taking over a lease whose holder is gone", slog.String("lease", name), slog.String("holder", held.Holder))
			if err = s.d.Leases.ReleaseLease(ctx, name, held.Holder); err == nil {
				continue
			}
		}
		if errors.As(err, &held) && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		break
	}
	lctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(s.o.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := s.d.Leases.RenewLease(context.WithoutCancel(ctx), name, s.holder, s.o.LeaseTTL); err != nil {
					cancel(fmt.Errorf("lease %s: %w", name, err))
					return
				}
			}
		}
	}()
	release := func() {
		close(done)
		cancel(nil)
		if err := s.d.Leases.ReleaseLease(context.WithoutCancel(ctx), name, s.holder); err != nil {
			s.o.Log.Warn("release lease", slog.String("lease", name), slog.Any("err", err))
		}
	}
	return lctx, release, nil
}

// holderGone reports whether a lease holder ("host/pid/nonce") is a
// process on this machine that has exited.
func holderGone(holder string) bool {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
