// Package audit owns the audit log: recording events durably and
// fail-closed, with group commit so auditing every read stays cheap.
package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// Appender makes a batch of events durable in one transaction.
type Appender interface {
	AppendAudit(ctx context.Context, evs []*domain.AuditEvent) error
}

// DefaultLinger is how long a flusher under concurrent load waits for
// more events before committing a batch.
const DefaultLinger = 2 * time.Millisecond

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Recorder group-commits audit events: concurrent Record calls are
// gathered into one append (one transaction, one fsync). Record returns
// only when its event is durable, or with an error, in which case the
// caller must fail its action.
type Recorder struct {
	app     Appender
	log     *slog.Logger
	maxSize int
	linger  time.Duration
	timeout time.Duration

	queue chan *pending
	wg    sync.WaitGroup

	mu     sync.RWMutex
	closed bool

	events, batches atomic.Int64 // appended so far, for Stats
}

// RecorderStats counts what a recorder has appended.
type RecorderStats struct {
	Events  int64 // events made durable
	Batches int64 // appends (transactions) that carried them
}

// Stats returns the recorder's counters.
func (r *Recorder) Stats() RecorderStats {
	return RecorderStats{Events: r.events.Load(), Batches: r.batches.Load()}
}

type pending struct {
	ev   *domain.AuditEvent
	errc chan error
}

var pendingPool = sync.Pool{New: func() any { return &pending{errc: make(chan error, 1)} }}

// NewRecorder starts a recorder appending through app with the given
// number of concurrent flushers (2 suits both SQLite and PostgreSQL).
func NewRecorder(app Appender, log *slog.Logger, flushers int) *Recorder {
	if flushers < 1 {
		flushers = 1
	}
	r := &Recorder{app: app, log: log, maxSize: 512, linger: DefaultLinger, timeout: 10 * time.Second, queue: make(chan *pending, 4096)}
	for range flushers {
		r.wg.Add(1)
		go r.flusher()
	}
	return r
}

// Record makes ev durable. It implements domain.Auditor.
func (r *Recorder) Record(ctx context.Context, ev *domain.AuditEvent) error {
	p := pendingPool.Get().(*pending)
	p.ev = ev
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		pendingPool.Put(p)
		return ErrClosed
	}
	select {
	case r.queue <- p:
	case <-ctx.Done():
		r.mu.RUnlock()
		pendingPool.Put(p)
		return ctx.Err()
	}
	r.mu.RUnlock()
	// Once queued the event will be appended: wait for the outcome even if
	// ctx ends, so no caller reports success or failure prematurely.
	err := <-p.errc
	p.ev = nil
	pendingPool.Put(p)
	return err
}

func (r *Recorder) flusher() {
	defer r.wg.Done()
	batch := make([]*pending, 0, r.maxSize)
	evs := make([]*domain.AuditEvent, 0, r.maxSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	last := 0 // size of the previous batch
	for p := range r.queue {
		batch = append(batch[:0], p)
		// Under concurrent load (the previous batch held several events)
		// wait a moment for more, so one commit carries more events:
		// every commit costs the writer an fsync and makes every reader
		// connection refetch its cached pages. A lone request never waits.
		lingering := r.linger > 0 && last > 1
		if lingering {
			timer.Reset(r.linger)
		}
	fill:
		for len(batch) < r.maxSize {
			select {
			case q, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, q)
				continue
			default:
			}
			if !lingering {
				break
			}
			select {
			case q, ok := <-r.queue:
				if !ok {
					break fill
				}
				batch = append(batch, q)
			case <-timer.C:
				lingering = false
				break fill
			}
		}
		if lingering && !timer.Stop() {
			<-timer.C
		}
		last = len(batch)
		evs = evs[:0]
		for _, q := range batch {
			evs = append(evs, q.ev)
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		err := r.app.AppendAudit(ctx, evs)
		cancel()
		if err == nil {
			r.events.Add(int64(len(evs)))
			r.batches.Add(1)
		}
		if err != nil {
			r.log.Error("audit: append failed; the audited actions fail", slog.Int("events", len(evs)), slog.Any("err", err))
			err = fmt.Errorf("audit log unavailable: %w", err)
		}
		for _, q := range batch {
			q.errc <- err
		}
	}
}

// Close stops accepting events and waits for queued ones to be written.
func (r *Recorder) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	close(r.queue)
	r.mu.Unlock()
	r.wg.Wait()
}
