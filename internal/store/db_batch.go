package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// errClosed is returned for writes after Close.
var errClosed = errors.New("store: closed")

// batcher is SQLite's single writer. Writers queue operations; one
// goroutine runs as many as are waiting (up to max) in one IMMEDIATE
// transaction, commits once and reports every result. Under load this
// turns N commits (and N fsyncs) into one. If an operation fails, the
// batch is rolled back and its operations run again one transaction each.
type batcher struct {
	db   *sql.DB
	max  int
	log  *slog.Logger
	ops  chan *writeOp
	done chan struct{}

	closeOnce sync.Once
	mu        sync.RWMutex
	closed    bool
}

type writeOp struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	errc chan error
}

var opPool = sync.Pool{New: func() any { return &writeOp{errc: make(chan error, 1)} }}

func newBatcher(db *sql.DB, max int, log *slog.Logger) *batcher {
	b := &batcher{db: db, max: max, log: log, ops: make(chan *writeOp, 4*max), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *batcher) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := opPool.Get().(*writeOp)
	op.ctx, op.fn = ctx, fn
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		opPool.Put(op)
		return errClosed
	}
	b.ops <- op
	b.mu.RUnlock()
	// The op has been handed to the writer, which always answers: wait for
	// the answer even if ctx ends, so the caller never returns before the
	// outcome is known.
	err := <-op.errc
	op.ctx, op.fn = nil, nil
	opPool.Put(op)
	return err
}

func (b *batcher) close() {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		close(b.ops)
		b.mu.Unlock()
		<-b.done
	})
}

func (b *batcher) run() {
	defer close(b.done)
	batch := make([]*writeOp, 0, b.max)
	for op := range b.ops {
		batch = append(batch[:0], op)
	fill:
		for len(batch) < b.max {
			select {
			case next, ok := <-b.ops:
				if !ok {
					break fill
				}
				batch = append(batch, next)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

func (b *batcher) commit(batch []*writeOp) {
	// Optimistically run the whole batch in one transaction. Failures are
	// rare (a taken unique value, a stale version); when one happens the
	// batch is rolled back and each operation runs again in a transaction
	// of its own, so a failing write never takes others with it. This
	// costs less than a savepoint per operation, which SQLite implements
	// by journaling every page an operation first touches.
	results := make([]error, len(batch))
	pending := make([]int, 0, len(batch))
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		pending = append(pending, i)
	}
	if len(pending) > 0 {
		err := b.runTx(func(tx *sql.Tx) error {
			for _, i := range pending {
				if err := batch[i].fn(batch[i].ctx, tx); err != nil {
					results[i] = err
					return errOpFailed
				}
			}
			return nil
		})
		switch {
		case err == nil:
		case errors.Is(err, errOpFailed) && len(pending) == 1:
			// The only operation failed: its error is its result.
		case errors.Is(err, errOpFailed):
			for _, i := range pending {
				results[i] = b.runTx(func(tx *sql.Tx) error { return batch[i].fn(batch[i].ctx, tx) })
			}
		default:
			b.log.Error("store: group commit failed", slog.Int("ops", len(pending)), slog.Any("err", err))
			for _, i := range pending {
				results[i] = err
			}
		}
	}
	for i, op := range batch {
		op.errc <- results[i]
	}
}

// errOpFailed marks a batch rolled back because one operation failed.
var errOpFailed = errors.New("store: an operation of the batch failed")

// runTx runs fn in one IMMEDIATE transaction and commits it. The
// transaction belongs to no single caller: no caller's cancellation may
// end it.
func (b *batcher) runTx(fn func(tx *sql.Tx) error) error {
	tx, err := b.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
