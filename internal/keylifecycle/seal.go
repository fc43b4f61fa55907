package keylifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// SealStore seals values that earlier versions stored in clear and writes
// the partial-search entries of customers stored before those existed,
// batch by batch, and records the progress of a run.
type SealStore interface {
	OpenSealRun(ctx context.Context) (*domain.SealRun, error)
	LastSealRun(ctx context.Context) (*domain.SealRun, error)
	BeginSealRun(ctx context.Context, total int64, evs ...*domain.AuditEvent) (*domain.SealRun, error)
	UpdateSealRun(ctx context.Context, r *domain.SealRun) error
	FinishSealRun(ctx context.Context, r *domain.SealRun, evs ...*domain.AuditEvent) error
	CountSealWork(ctx context.Context) (int64, error)
	ClearValues(ctx context.Context) (int64, error)
	SealCustomers(ctx context.Context, after domain.ID, limit int) (domain.SealBatch, error)
	SealContacts(ctx context.Context, after domain.ID, limit int) (domain.SealBatch, error)
	SealDeals(ctx context.Context, after domain.ID, limit int) (domain.SealBatch, error)
}

// SealOptions tune a seal run.
type SealOptions struct {
	// BatchSize is how many records each transaction handles (default 200:
	// a customer writes about a dozen index entries, and servers writing
	// meanwhile wait for the transaction).
	BatchSize int
	// Rescan visits every customer again even when the last run finished
	// and nothing is left in clear (to index customers that servers of an
	// earlier version wrote after it).
	Rescan   bool
	Progress func(phase domain.SealPhase, done, total int64)
}

// SealAtRest runs `custos data seal`: it seals the company names,
// employers, contact titles and deal titles that earlier versions stored
// in clear, and writes every customer's blind-index entries for partial
// search (phone suffixes, name bigrams and prefixes, email local parts),
// in batches, while servers keep serving: they read both forms and write
// only the sealed one. Progress is stored after every batch, so a run
// interrupted at any point (even by kill -9) resumes where it stopped
// when run again; every step is idempotent. A finished run with nothing
// left in clear is not repeated unless o.Rescan. It holds the key
// rotation lease: one rotation or seal run at a time.
//
// Authorization: keys.manage. Errors: forbidden, conflict (a rotation or
// another seal run is running).
func (s *Service) SealAtRest(ctx context.Context, o SealOptions) (*domain.SealRun, error) {
	if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
		return nil, err
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 200
	}
	if o.Progress == nil {
		o.Progress = func(domain.SealPhase, int64, int64) {}
	}
	lctx, release, err := s.acquire(ctx, domain.LeaseKeyRotation, 0)
	var held *domain.LeaseHeldError
	if errors.As(err, &held) {
		return nil, &domain.Error{Code: domain.CodeConflict, Message: "a key rotation or another seal run is running: " + held.Error(), Err: held}
	}
	if err != nil {
		return nil, err
	}
	defer release()
	ctx = lctx
	// Entries are written under every loaded index key version.
	if err := s.d.IndexKeys.RefreshIndexKeys(ctx); err != nil {
		return nil, err
	}
	run, err := s.d.Sealing.OpenSealRun(ctx)
	if err != nil {
		return nil, err
	}
	if run == nil {
		last, err := s.d.Sealing.LastSealRun(ctx)
		if err != nil {
			return nil, err
		}
		left, err := s.d.Sealing.ClearValues(ctx)
		if err != nil {
			return nil, err
		}
		if last != nil && left == 0 && !o.Rescan {
			o.Progress(domain.SealDone, last.Done, last.Total)
			return last, nil
		}
		total, err := s.d.Sealing.CountSealWork(ctx)
		if err != nil {
			return nil, err
		}
		ev := domain.NewAuditEvent(ctx, s.o.Now(), "data.seal.begin", "data", "")
		ev.Reason = fmt.Sprintf("%d records to visit, %d values in clear", total, left)
		if run, err = s.d.Sealing.BeginSealRun(ctx, total, ev); err != nil {
			return nil, err
		}
		s.o.Log.Info("seal run begun", slog.Int64("records", total), slog.Int64("clear_values", left))
	} else {
		s.o.Log.Info("resuming seal run", slog.String("phase", string(run.Phase)), slog.Int64("done", run.Done))
	}
	steps := []struct {
		phase domain.SealPhase
		batch func(context.Context, domain.ID, int) (domain.SealBatch, error)
	}{
		{domain.SealCustomers, s.d.Sealing.SealCustomers},
		{domain.SealContacts, s.d.Sealing.SealContacts},
		{domain.SealDeals, s.d.Sealing.SealDeals},
	}
	for i, st := range steps {
		if run.Phase != st.phase {
			continue
		}
		o.Progress(run.Phase, run.Done, run.Total)
		for {
			if err := context.Cause(ctx); err != nil {
				return run, err
			}
			b, err := st.batch(ctx, domain.ID(run.Cursor), o.BatchSize)
			if err != nil {
				return run, err
			}
			if b.Visited == 0 {
				break
			}
			run.Cursor, run.Done, run.Sealed = string(b.Next), run.Done+b.Visited, run.Sealed+b.Sealed
			run.Total = max(run.Total, run.Done)
			if err := s.d.Sealing.UpdateSealRun(ctx, run); err != nil {
				return run, err
			}
			o.Progress(run.Phase, run.Done, run.Total)
		}
		if i+1 < len(steps) {
			run.Phase, run.Cursor = steps[i+1].phase, ""
			if err := s.d.Sealing.UpdateSealRun(ctx, run); err != nil {
				return run, err
			}
		}
	}
	ev := domain.NewAuditEvent(ctx, s.o.Now(), "data.seal.finish", "data", strconv.FormatInt(run.ID, 10))
	ev.Reason = fmt.Sprintf("%d records visited, %d values sealed", run.Done, run.Sealed)
	if err := s.d.Sealing.FinishSealRun(ctx, run, ev); err != nil {
		return run, err
	}
	o.Progress(domain.SealDone, run.Done, run.Total)
	return run, nil
}

// SealStatus is where sealing stored data stands.
type SealStatus struct {
	// Last is the latest run (nil if none ever ran); Running tells an
	// unfinished one whose process holds the lease (alive, as far as this
	// machine can tell) from an interrupted one.
	Last    *domain.SealRun `json:"last,omitempty"`
	Running bool            `json:"running"`
	// ClearValues counts values still stored in clear.
	ClearValues int64 `json:"clear_values"`
}

// SealStatus reports the latest seal run and what is still in clear.
//
// Authorization: keys.manage.
func (s *Service) SealStatus(ctx context.Context) (*SealStatus, error) {
	if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
		return nil, err
	}
	var st SealStatus
	var err error
	if st.Last, err = s.d.Sealing.LastSealRun(ctx); err != nil {
		return nil, err
	}
	if st.ClearValues, err = s.d.Sealing.ClearValues(ctx); err != nil {
		return nil, err
	}
	leases, err := s.d.Leases.Leases(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range leases {
		if l.Name == domain.LeaseKeyRotation && l.ExpiresAt.After(s.o.Now()) && !holderGone(l.Holder) &&
			st.Last != nil && st.Last.FinishedAt.IsZero() {
			st.Running = true
		}
	}
	return &st, nil
}
