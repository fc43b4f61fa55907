package identity

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// DefaultIdlePrecision is how far a session's stored last-seen time may
// fall behind its last request. Idle timeouts are enforced to within it,
// on every node.
const DefaultIdlePrecision = 5 * time.Second

// activityBatch bounds how many sessions one write touches.
const activityBatch = 500

// idleExpired reports whether a session whose stored last-seen time is
// lastSeen has certainly been idle for longer than timeout at now.
//
// The stored time lags the session's last request L by at most precision:
// a request writes its time whenever the stored one is more than precision
// behind it (activity.note), so lastSeen ≤ L ≤ lastSeen + precision. A
// session is therefore refused only once now − (lastSeen + precision)
// exceeds the timeout: never before the timeout has passed since its last
// request, and at most precision after it — whichever node reads it.
func idleExpired(now, lastSeen time.Time, timeout, precision time.Duration) bool {
	return timeout > 0 && now.Sub(lastSeen) > timeout+precision
}

// activity writes sessions' last-seen times, off the request path. A
// request notes its time only when the stored time is more than the
// precision behind it, so a busy session costs one write per precision,
// not one per request; the writes of every session noted meanwhile on
// this node go to the store together, in one transaction.
type activity struct {
	sessions  SessionStore
	log       *slog.Logger
	precision time.Duration

	mu       sync.Mutex
	pending  map[domain.ID]time.Time // noted, not yet handed to the store
	recent   map[domain.ID]time.Time // being written, or written last
	flushing bool
	done     chan struct{} // closed when the running flush ends
}

func newActivity(sessions SessionStore, log *slog.Logger, precision time.Duration) *activity {
	return &activity{sessions: sessions, log: log, precision: precision, pending: map[domain.ID]time.Time{}}
}

// seen is called for every request in session id at now, whose stored
// last-seen time is stored. It notes the time when the stored one is more
// than the precision behind, and starts a flush if none is running.
func (a *activity) seen(ctx context.Context, id domain.ID, stored, now time.Time) {
	if now.Sub(stored) <= a.precision {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if t, ok := a.pending[id]; ok && !now.After(t) {
		return
	}
	if t, ok := a.recent[id]; ok && now.Sub(t) <= a.precision {
		// A recent enough time is being written (or was, and this
		// request read the row before it landed).
		return
	}
	a.pending[id] = now
	if a.flushing {
		return
	}
	a.flushing, a.done = true, make(chan struct{})
	// The flush outlives the request: keep ctx's values, not its
	// cancellation.
	go a.flush(context.WithoutCancel(ctx))
}

// flush writes what is pending, in batches, until nothing is.
func (a *activity) flush(ctx context.Context) {
	for {
		a.mu.Lock()
		if len(a.pending) == 0 {
			a.flushing = false
			close(a.done)
			a.mu.Unlock()
			return
		}
		batch := make(map[domain.ID]time.Time, min(len(a.pending), activityBatch))
		for id, t := range a.pending {
			if len(batch) == activityBatch {
				break
			}
			batch[id] = t
			delete(a.pending, id)
		}
		a.recent = batch
		a.mu.Unlock()

		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := a.sessions.TouchSessions(wctx, batch); err != nil {
			// A lost write can only end a session early, by at most the
			// time since the write before it.
			a.log.Warn("recording session activity failed", slog.Int("sessions", len(batch)), slog.Any("err", err))
		}
		cancel()
	}
}

// wait returns once every time noted so far is written (or ctx ends).
func (a *activity) wait(ctx context.Context) error {
	for {
		a.mu.Lock()
		if !a.flushing {
			a.mu.Unlock()
			return nil
		}
		done := a.done
		a.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// FlushActivity returns once the last-seen times of the requests served so
// far are stored (or ctx ends): call it before the store closes, so the
// activity of the last seconds reaches the other nodes.
func (s *Service) FlushActivity(ctx context.Context) error {
	return s.activity.wait(ctx)
}

// IdlePrecision returns how far a session's stored last-seen time may lag
// its last request: idle timeouts are enforced to within it.
func (s *Service) IdlePrecision() time.Duration { return s.activity.precision }
