package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/custoscrm/custos/internal/domain"
)

// When the database cannot take writes — a full disk, an I/O error, a lost
// PostgreSQL connection — a write answers store_unavailable (503 with
// Retry-After) instead of an internal error, and the store reports itself
// not ready until a write succeeds again. On SQLite a disk guard watches
// the free space of the data volume: below the reserve it first
// checkpoints the WAL and truncates it, and refuses writes only if that
// did not bring the free space back above the reserve.

// storeRetryAfter is what a refused write tells the caller to wait.
const storeRetryAfter = 5 * time.Second

// storageFault reports whether err says the database cannot take writes
// now (as opposed to a write that is wrong), classified by driver codes.
func storageFault(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrReadonly:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "53": // insufficient resources: disk full, out of memory, too many connections
			return true
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutting down, crashed, cannot connect now
			return true
		case pe.Code == "58030": // io_error
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EIO) || errors.Is(err, errDiskReserve)
}

// errDiskReserve is the cause of a write the disk guard refused.
var errDiskReserve = errors.New("free space on the data volume is below the reserve")

// unavailable wraps a storage fault for callers.
func unavailable(err error) error {
	return &domain.Error{
		Code:       domain.CodeStoreUnavailable,
		Message:    "the database cannot take writes right now; nothing was changed, try again shortly",
		RetryAfter: storeRetryAfter,
		Err:        err,
	}
}

// writeHealth remembers whether the last write failed with a storage
// fault, and when the readiness check last probed.
type writeHealth struct {
	failing   atomic.Bool
	mu        sync.Mutex
	lastProbe time.Time
	log       *slog.Logger
}

// record notes the outcome of a write and returns err as callers see it.
func (h *writeHealth) record(err error) error {
	switch {
	case err == nil:
		if h.failing.CompareAndSwap(true, false) {
			h.log.Warn("store: writes succeed again")
		}
		return nil
	case storageFault(err):
		if !h.failing.Swap(true) {
			h.log.Error("store: writes fail; answering store_unavailable until they succeed", slog.Any("err", err))
		}
		return unavailable(err)
	}
	return err
}

// diskGuard keeps a reserve of free space on the SQLite data volume.
type diskGuard struct {
	dir     string
	reserve uint64
	free    func(dir string) (uint64, error)
	// checkpoint gives WAL space back (PRAGMA wal_checkpoint(TRUNCATE)).
	checkpoint func() error
	log        *slog.Logger

	mu      sync.Mutex
	checked time.Time
	refuse  bool
}

// guardInterval bounds how often the guard asks the file system.
const guardInterval = 250 * time.Millisecond

// check returns errDiskReserve while the free space stays below the
// reserve after a checkpoint.
func (g *diskGuard) check(now time.Time) error {
	if g == nil || g.reserve == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.checked) < guardInterval {
		if g.refuse {
			return errDiskReserve
		}
		return nil
	}
	g.checked = now
	free, err := g.free(g.dir)
	if err != nil {
		g.log.Warn("store: cannot read the free space of the data volume", slog.Any("err", err))
		return nil
	}
	if free >= g.reserve {
		if g.refuse {
			g.log.Warn("store: free space is back above the reserve; writes are accepted again", slog.Uint64("free_bytes", free))
		}
		g.refuse = false
		return nil
	}
	if err := g.checkpoint(); err != nil {
		g.log.Warn("store: WAL checkpoint to free space failed", slog.Any("err", err))
	} else if free, err = g.free(g.dir); err == nil && free >= g.reserve {
		g.log.Warn("store: free space was low; a WAL checkpoint gave enough back", slog.Uint64("free_bytes", free))
		g.refuse = false
		return nil
	}
	if !g.refuse {
		g.log.Error("store: free space on the data volume is below the reserve; refusing writes",
			slog.Uint64("free_bytes", free), slog.Uint64("reserve_bytes", g.reserve))
	}
	g.refuse = true
	return errDiskReserve
}

// statfsFree returns the bytes an unprivileged writer may still use on
// the file system holding dir.
func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil //nolint:gosec // block size is positive
}

// Ready reports whether the database serves reads and takes writes. While
// writes fail it probes with a small write (at most once a second), so it
// reports ready again as soon as one succeeds.
func (s *DB) Ready(ctx context.Context) error {
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if !s.health.failing.Load() {
		return nil
	}
	s.health.mu.Lock()
	probe := time.Since(s.health.lastProbe) >= time.Second
	if probe {
		s.health.lastProbe = time.Now()
	}
	s.health.mu.Unlock()
	if probe {
		pad := make([]byte, 64<<10)
		_, _ = rand.Read(pad) // incompressible, so it takes its space on PostgreSQL too
		_ = s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE store_health SET checked_at = ?, pad = ? WHERE id = 1`, s.now().UnixMicro(), pad); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE store_health SET pad = NULL WHERE id = 1`)
			return err
		})
	}
	if s.health.failing.Load() {
		return errors.New("the database does not take writes")
	}
	return nil
}
