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
// transaction, each inside a savepoint, then commits once and reports
// every result. Under load this turns N commits (and N fsyncs) into one.
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
	results := make([]error, len(batch))
	// The shared transaction belongs to no single caller: no caller's
	// cancellation may end it.
	bg := context.Background()
	tx, err := b.db.BeginTx(bg, nil)
	if err != nil {
		b.fail(batch, fmt.Errorf("store: begin: %w", err))
		return
	}
	single := len(batch) == 1
	ran := 0
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if single {
			results[i] = op.fn(op.ctx, tx)
			ran++
			continue
		}
		if _, err := tx.ExecContext(bg, "SAVEPOINT op"); err != nil {
			_ = tx.Rollback()
			b.fail(batch, fmt.Errorf("store: savepoint: %w", err))
			return
		}
		results[i] = op.fn(op.ctx, tx)
		if results[i] != nil {
			if _, err := tx.ExecContext(bg, "ROLLBACK TO op"); err != nil {
				_ = tx.Rollback()
				b.fail(batch, fmt.Errorf("store: rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(bg, "RELEASE op"); err != nil {
			_ = tx.Rollback()
			b.fail(batch, fmt.Errorf("store: release savepoint: %w", err))
			return
		}
		ran++
	}
	if single && results[0] != nil {
		_ = tx.Rollback()
		batch[0].errc <- results[0]
		return
	}
	if ran == 0 {
		_ = tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		b.log.Error("store: group commit failed", slog.Int("ops", len(batch)), slog.Any("err", err))
		b.fail(batch, fmt.Errorf("store: commit: %w", err))
		return
	}
	for i, op := range batch {
		op.errc <- results[i]
	}
}

func (b *batcher) fail(batch []*writeOp, err error) {
	for _, op := range batch {
		op.errc <- err
	}
}
