// Package jobs runs background jobs on one node at a time. Each job has
// a database lease: at every interval each node tries to take it, and
// only the node that does runs the job, renewing the lease while it
// runs and giving it up when done. However many nodes serve, a job runs
// once per interval; if its node dies mid-run, the lease expires and the
// next interval runs it elsewhere. Jobs must therefore be idempotent:
// run twice, the second run finds nothing left to do.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// LeaseStore holds the leases, in the database every node shares.
type LeaseStore interface {
	// AcquireLease takes lease name for holder, or fails with a
	// *domain.LeaseHeldError.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) error
	// RenewLease extends holder's lease, or fails with domain.ErrLeaseLost.
	RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Job is one background job.
type Job struct {
	// Lease names the job's lease (domain.LeasePoolReturn…).
	Lease string
	// Every is how often it runs.
	Every time.Duration
	// Run does the work; its context ends if the lease is lost.
	Run func(ctx context.Context) error
}

// Deps are what the runner is built on; every one is required.
type Deps struct {
	Leases LeaseStore
}

// Options tune the runner.
type Options struct {
	Log *slog.Logger
	// LeaseTTL bounds how long a node that died mid-run blocks the job
	// (default 30 s); the lease is renewed every third of it.
	LeaseTTL time.Duration
}

// Runner runs jobs under their leases.
type Runner struct {
	leases LeaseStore
	log    *slog.Logger
	ttl    time.Duration
	holder string

	mu   sync.Mutex
	stop []func()
}

// New returns a runner over d.
func New(d Deps, o Options) *Runner {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Runner{leases: d.Leases, log: o.Log, ttl: o.LeaseTTL,
		holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))}
}

// ErrHeld is returned by RunNow when another node is running the job.
var ErrHeld = &domain.Error{Code: domain.CodeConflict, Message: "the job is running on another node"}

// RunNow runs j once, now, if no other node is running it (ErrHeld
// otherwise). The job's context is cancelled if the lease is lost.
func (r *Runner) RunNow(ctx context.Context, j Job) error {
	err := r.leases.AcquireLease(ctx, j.Lease, r.holder, r.ttl)
	var held *domain.LeaseHeldError
	if errors.As(err, &held) {
		return fmt.Errorf("%w: %w", ErrHeld, held)
	}
	if err != nil {
		return fmt.Errorf("job %s: %w", j.Lease, err)
	}
	lctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(r.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := r.leases.RenewLease(context.WithoutCancel(ctx), j.Lease, r.holder, r.ttl); err != nil {
					cancel(fmt.Errorf("lease %s: %w", j.Lease, err))
					return
				}
			}
		}
	})
	runErr := j.Run(lctx)
	close(done)
	wg.Wait()
	cancel(nil)
	if err := r.leases.ReleaseLease(context.WithoutCancel(ctx), j.Lease, r.holder); err != nil {
		r.log.Warn("release job lease", slog.String("lease", j.Lease), slog.Any("err", err))
	}
	return runErr
}

// Start runs each job every interval until Stop (or ctx ends). A run
// another node holds is skipped; a failed one is logged and tried again
// at the next interval.
func (r *Runner) Start(ctx context.Context, jobs ...Job) {
	for _, j := range jobs {
		if j.Every <= 0 {
			continue
		}
		jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.loop(jctx, j)
		}()
		r.mu.Lock()
		r.stop = append(r.stop, func() {
			cancel()
			<-done
		})
		r.mu.Unlock()
	}
}

func (r *Runner) loop(ctx context.Context, j Job) {
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := r.RunNow(ctx, j)
			switch {
			case errors.Is(err, ErrHeld):
				r.log.Debug("job runs on another node", slog.String("job", j.Lease))
			case err != nil && ctx.Err() == nil:
				r.log.Error("job failed", slog.String("job", j.Lease), slog.Any("err", err))
			}
		}
	}
}

// Stop stops every started job, waiting for runs in progress.
func (r *Runner) Stop() {
	r.mu.Lock()
	stops := r.stop
	r.stop = nil
	r.mu.Unlock()
	for _, s := range stops {
		s()
	}
}
