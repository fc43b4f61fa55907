package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

func readEvent(a *testkit.TestApp, i int) *domain.AuditEvent {
	ev := domain.NewAuditEvent(a.System(), time.Now(), domain.ActionCustomerRead, "customer", fmt.Sprintf("cus_%026d", i))
	ev.Fields = []string{"phone"}
	return ev
}

// Events recorded from many goroutines while two sequencers integrate
// concurrently end up in one contiguous log that verifies.
func TestConcurrentSequencersKeepTheLogContiguous(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := context.Background()
		second := audit.NewSequencer(a.Store.AuditLog, a.AuditSigner, audit.SequencerOptions{Batch: 7})
		var wg sync.WaitGroup
		const writers, each = 4, 40
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := a.Audit.Record(ctx, readEvent(a, w*each+i)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		stop := make(chan struct{})
		var seqWG sync.WaitGroup
		for _, q := range []*audit.Sequencer{a.AuditSequencer, second} {
			seqWG.Add(1)
			go func() {
				defer seqWG.Done()
				for {
					if _, err := q.Integrate(ctx); err != nil {
						t.Error(err)
						return
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		wg.Wait()
		close(stop)
		seqWG.Wait()
		if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := second.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, a.Store.AuditLog, audit.VerifyOptions{Signer: a.AuditSigner})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Entries < writers*each || rep.Pending != 0 || rep.Checkpoints != 1 {
			t.Fatalf("report %+v", rep)
		}
	})
}

// On PostgreSQL, identity values commit out of order: an event inserted
// first may commit last. The sequencer assigns positions as events become
// visible, so the log stays contiguous and nothing is skipped.
func TestOutOfOrderCommits(t *testing.T) {
	// SQLite has one writer, so commits cannot interleave there.
	for _, d := range testkit.Dialects(t) {
		if d == testkit.Postgres {
			t.Run(string(d), func(t *testing.T) { testOutOfOrderCommits(t, d) })
		}
	}
}

func testOutOfOrderCommits(t *testing.T, d testkit.Dialect) {
	a := testkit.NewApp(t, d, testkit.AppOptions{})
	ctx := context.Background()
	raw := testkit.RawDB(t, a)
	raw.DB.SetMaxOpenConns(2)
	slow, err := raw.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slow.Exec(`INSERT INTO audit_pending (time, action, outcome) VALUES (1, 'slow.insert', 'allowed')`); err != nil {
		t.Fatal(err)
	}
	if err := a.Audit.Record(ctx, readEvent(a, 1)); err != nil { // a later id, committed first
		t.Fatal(err)
	}
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := a.Store.AuditLog.AuditTree(ctx)
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := a.AuditSequencer.Integrate(ctx); err != nil || n != 1 {
		t.Fatalf("integrate the late commit: %d %v", n, err)
	}
	ev, err := a.Store.AuditLog.AuditEventBySeq(ctx, before.Size)
	if err != nil || ev.Action != "slow.insert" {
		t.Fatalf("the late event is not next in the log: %+v %v", ev, err)
	}
	if _, err := audit.Verify(ctx, a.Store.AuditLog, audit.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Exactly one node holds the sequencer lease on PostgreSQL; SQLite's
// single writer needs no election and always grants it.
func TestSequencerLease(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := context.Background()
		other := testkit.OpenStore(t, a)
		l1, err := a.Store.AuditLog.TrySequencerLease(ctx)
		if err != nil || l1 == nil {
			t.Fatalf("first lease: %v %v", l1, err)
		}
		l2, err := other.AuditLog.TrySequencerLease(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d == testkit.Postgres {
			if l2 != nil {
				t.Fatal("two nodes hold the sequencer lease")
			}
			l1.Release()
			if l2, err = other.AuditLog.TrySequencerLease(ctx); err != nil || l2 == nil {
				t.Fatalf("lease not granted after release: %v", err)
			}
			if err := l2.Check(ctx); err != nil {
				t.Fatal(err)
			}
		} else if l2 == nil {
			t.Fatal("SQLite refused a lease")
		}
		l2.Release()
		l1.Release()
	})
}

// The background loop integrates, signs at its interval and on stop, and
// anchors to a file and a URL.
func TestSequencerLoopSignsAndAnchors(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		var mu sync.Mutex
		var posted []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet { // start-up asks for the newest anchored checkpoint
				http.NotFound(w, r)
				return
			}
			b := make([]byte, 4096)
			n, _ := r.Body.Read(b)
			mu.Lock()
			posted = append(posted, r.Header.Get("Custos-Audit-Verifier")+"|"+string(b[:n]))
			mu.Unlock()
		}))
		defer srv.Close()
		anchor := filepath.Join(t.TempDir(), "anchors")
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: func(c *config.Config) {
			c.AuditAnchorFile = anchor
			c.AuditAnchorURL = srv.URL
			c.AuditSequenceInterval = 10 * time.Millisecond
			c.AuditCheckpointInterval = time.Hour // only the stop signs
		}})
		ctx := context.Background()
		raw := testkit.RawDB(t, a)
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			if err := a.Audit.Record(ctx, readEvent(a, i)); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			tree, err := a.Store.AuditLog.AuditTree(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tree.Size >= 20 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the loop integrated only %d entries", tree.Size)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		last, err := audit.LastAnchored(anchor, a.AuditSigner)
		if err != nil || last == nil {
			t.Fatalf("anchor file: %v %v", last, err)
		}
		var total int64
		if err := raw.QueryRow(`SELECT COUNT(*) FROM audit_events`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		if last.Size != total || total < 20 {
			t.Fatalf("anchored %d of %d entries at shutdown", last.Size, total)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(posted) != 1 || !strings.HasPrefix(posted[0], a.AuditSigner.VerifierKey()+"|") {
			t.Fatalf("posted: %q", posted)
		}
		if _, err := audit.OpenCheckpoint([]byte(strings.SplitN(posted[0], "|", 2)[1]), a.AuditSigner.Verifier(), a.AuditSigner.Origin()); err != nil {
			t.Fatalf("posted checkpoint: %v", err)
		}
		b, err := os.Stat(anchor)
		if err != nil || b.Mode().Perm() != 0o600 {
			t.Fatalf("anchor file mode: %v %v", b, err)
		}
	})
}

// A failing anchor URL does not lose the checkpoint: it is stored and
// the error is reported, to be retried.
func TestAnchorURLFailureIsReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) { c.AuditAnchorURL = srv.URL }})
	ctx := context.Background()
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := a.AuditSequencer.Checkpoint(ctx)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("checkpoint with the anchor down: %v", err)
	}
	cp, err := a.Store.AuditLog.LatestAuditCheckpoint(ctx)
	if err != nil || cp == nil {
		t.Fatalf("checkpoint not stored: %v", err)
	}
}

// On SQLite, reads are recorded in a queue file beside the database. A
// queue file that is lost (after its events were integrated) must not
// make later events look integrated already.
func TestLostAuditQueueLosesNoLaterEvents(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := a.Audit.Record(ctx, readEvent(a, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := a.Store.AuditLog.AuditTree(ctx)
	if before.QueueCursor < 3 {
		t.Fatalf("queue cursor %d after integrating three queued events", before.QueueCursor)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(testkit.AuditQueuePath(a) + suffix)
	}
	b := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Dir: a.Dir})
	if err := b.Audit.Record(ctx, readEvent(b, 9)); err != nil {
		t.Fatal(err)
	}
	if n, err := b.AuditSequencer.Integrate(ctx); err != nil || n != 1 {
		t.Fatalf("integrated %d, %v after the queue was lost", n, err)
	}
	if _, err := audit.Verify(ctx, b.Store.AuditLog, audit.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Queued events already integrated but not yet deleted when the process
// stopped are never integrated twice.
func TestQueuedEventsAreNotIntegratedTwice(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := a.Audit.Record(ctx, readEvent(a, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	tree, _ := a.Store.AuditLog.AuditTree(ctx)
	// Put back a queued row the integration already covered, as if the
	// process had stopped before deleting it.
	q := testkit.OpenRawAuditQueue(t, a)
	if _, err := q.Exec(`INSERT INTO audit_queue (id, time, action, outcome) VALUES (?, 1, 'customer.read', 'allowed')`, tree.QueueCursor-1); err != nil {
		t.Fatal(err)
	}
	restarted := audit.NewSequencer(a.Store.AuditLog, a.AuditSigner, audit.SequencerOptions{})
	if n, err := restarted.Integrate(ctx); err != nil || n != 0 {
		t.Fatalf("integrated %d, %v: an event was integrated twice", n, err)
	}
	var left int
	if err := q.QueryRow(`SELECT COUNT(*) FROM audit_queue WHERE id < ?`, tree.QueueCursor).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d integrated rows left in the queue: %v", left, err)
	}
}
