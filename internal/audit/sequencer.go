package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"golang.org/x/mod/sumdb/tlog"
)

// SequencerOptions configure the sequencer.
type SequencerOptions struct {
	// Interval is how often pending events are integrated (default 1s).
	Interval time.Duration
	// CheckpointInterval is how often a grown tree is signed (default 1m).
	CheckpointInterval time.Duration
	// AnchorFile, when set, receives every signed checkpoint.
	AnchorFile string
	// AnchorURL, when set, is POSTed every signed checkpoint.
	AnchorURL    string
	AnchorClient *http.Client
	// Batch bounds the events integrated per transaction (default 1000).
	Batch int
	Now   func() time.Time
	Log   *slog.Logger
	// OnLeader runs while this node holds the sequencer lease (SIEM
	// shippers, which must run on one node only); its context ends when
	// the lease is lost or the sequencer stops.
	OnLeader func(ctx context.Context)
}

// Sequencer integrates durable events into the Merkle log in order and
// signs checkpoints. One runs per node; a database lease elects the one
// that works, and every integration is also guarded in the database (see
// store.IntegrateAudit), so positions are never assigned twice.
type Sequencer struct {
	st   Store
	sign *Signer
	opts SequencerOptions

	mu           sync.Mutex // serializes integration and signing in this process
	lastAnchored int64      // size of the newest checkpoint anchored by this process
	trimmed      bool       // the audit queue was trimmed once since start

	stop chan struct{}
	done chan struct{}
}

// NewSequencer returns a sequencer; Run starts its loop.
func NewSequencer(st Store, s *Signer, opts SequencerOptions) *Sequencer {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = time.Minute
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.AnchorClient == nil {
		opts.AnchorClient = &http.Client{Timeout: 15 * time.Second}
	}
	return &Sequencer{st: st, sign: s, opts: opts, lastAnchored: -1}
}

// Integrate assigns log positions to every pending event, in batches, and
// returns how many it added.
func (q *Sequencer) Integrate(ctx context.Context) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var total int64
	for {
		n, err := q.integrateBatch(ctx)
		total += int64(n)
		if errors.Is(err, domain.ErrAuditMoved) {
			continue // another sequencer advanced the log: prepare again
		}
		if err != nil || n < q.opts.Batch {
			return total, err
		}
	}
}

// integrateBatch prepares one batch outside any transaction (reads and
// hashing), then applies it in one short write that fails if the log
// moved meanwhile.
func (q *Sequencer) integrateBatch(ctx context.Context) (int, error) {
	tree, err := q.st.AuditTree(ctx)
	if err != nil {
		return 0, err
	}
	if !q.trimmed {
		// Queued rows integrated before a crash, not yet deleted. (Each
		// integration deletes its own afterwards.)
		if err := q.st.TrimAuditQueue(ctx, tree.QueueCursor); err != nil {
			return 0, err
		}
		q.trimmed = true
	}
	pend, err := q.st.PendingAudit(ctx, tree.QueueCursor, q.opts.Batch)
	if err != nil || len(pend) == 0 {
		return 0, err
	}
	r := newMemoReader(ctx, q.st)
	b := &domain.AuditBatch{OldSize: tree.Size, OldRoot: tree.Root, OldQueueCursor: tree.QueueCursor, Pending: pend}
	for i, p := range pend {
		n := tree.Size + int64(i)
		p.Event.Seq = n
		hs, err := tlog.StoredHashes(n, p.Event.Leaf(), r)
		if err != nil {
			return 0, fmt.Errorf("audit: hash entry %d: %w", n, err)
		}
		r.add(tlog.StoredHashIndex(0, n), hs)
		b.Hashes = append(b.Hashes, hs...)
	}
	if b.NewRoot, err = tlog.TreeHash(tree.Size+int64(len(pend)), r); err != nil {
		return 0, fmt.Errorf("audit: tree hash: %w", err)
	}
	if err := q.st.IntegrateAudit(ctx, b); err != nil {
		return 0, err
	}
	return len(pend), nil
}

// Checkpoint signs the current tree when it has grown since the newest
// stored checkpoint, stores the checkpoint and anchors it (file, URL). It
// returns the newest checkpoint either way (nil for an empty log).
func (q *Sequencer) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	tree, err := q.st.AuditTree(ctx)
	if err != nil {
		return nil, err
	}
	latest, err := q.st.LatestAuditCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	var cp *Checkpoint
	if tree.Size > 0 && (latest == nil || latest.Size < tree.Size) {
		if cp, err = q.sign.Sign(tree); err != nil {
			return nil, err
		}
		if _, err := q.st.AddAuditCheckpoint(ctx, &domain.AuditCheckpoint{Size: cp.Size, Root: cp.Root, Note: string(cp.Note), CreatedAt: q.opts.Now().UTC()}); err != nil {
			return nil, err
		}
	} else if latest != nil {
		if cp, err = OpenCheckpoint([]byte(latest.Note), q.sign.Verifier(), q.sign.Origin()); err != nil {
			return nil, fmt.Errorf("stored checkpoint of size %d: %w", latest.Size, err)
		}
	}
	if cp == nil {
		return nil, nil
	}
	return cp, q.anchor(ctx, cp)
}

// anchor writes cp off the box unless this process already did.
func (q *Sequencer) anchor(ctx context.Context, cp *Checkpoint) error {
	if cp.Size <= q.lastAnchored {
		return nil
	}
	var errs []error
	if q.opts.AnchorFile != "" {
		last, err := LastAnchored(q.opts.AnchorFile, q.sign)
		switch {
		case err != nil:
			errs = append(errs, err)
		case last != nil && last.Size >= cp.Size:
			// Already anchored (by another node or an earlier run).
		default:
			errs = append(errs, AppendAnchor(q.opts.AnchorFile, q.sign, cp))
		}
	}
	if q.opts.AnchorURL != "" {
		errs = append(errs, PostAnchor(ctx, q.opts.AnchorClient, q.opts.AnchorURL, q.sign, cp))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("anchor checkpoint of size %d: %w", cp.Size, err)
	}
	q.lastAnchored = cp.Size
	return nil
}

// Start runs the sequencer loop in the background until Stop.
func (q *Sequencer) Start() {
	q.stop, q.done = make(chan struct{}), make(chan struct{})
	go q.run()
}

// Stop ends the loop after a last integration and checkpoint, so a clean
// shutdown leaves every event integrated, signed and anchored.
func (q *Sequencer) Stop() {
	if q.stop == nil {
		return
	}
	close(q.stop)
	<-q.done
	q.stop = nil
}

func (q *Sequencer) run() {
	defer close(q.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := time.NewTicker(q.opts.Interval)
	defer tick.Stop()
	var lease domain.SequencerLease
	var leaderCancel context.CancelFunc
	var leaderDone chan struct{}
	lose := func() {
		if leaderCancel != nil {
			leaderCancel()
			<-leaderDone
			leaderCancel = nil
		}
		lease.Release()
		lease = nil
	}
	defer func() {
		if lease == nil {
			if l, err := q.tryLease(ctx); err == nil {
				lease = l
			}
		}
		if lease != nil {
			q.round(ctx, true)
			lose()
		}
	}()
	lastCheckpoint := q.opts.Now()
	for {
		select {
		case <-q.stop:
			return
		case <-tick.C:
		}
		if lease != nil {
			if err := lease.Check(ctx); err != nil {
				q.opts.Log.Warn("audit: sequencer lease lost", slog.Any("err", err))
				lose()
			}
		}
		if lease == nil {
			l, err := q.tryLease(ctx)
			if err != nil {
				q.opts.Log.Warn("audit: sequencer election failed", slog.Any("err", err))
				continue
			}
			if l == nil {
				continue // another node sequences
			}
			lease = l
			q.opts.Log.Info("audit: this node sequences the audit log")
			if q.opts.OnLeader != nil {
				lctx, lcancel := context.WithCancel(ctx)
				leaderCancel, leaderDone = lcancel, make(chan struct{})
				go func() { defer close(leaderDone); q.opts.OnLeader(lctx) }()
			}
		}
		now := q.opts.Now()
		sign := now.Sub(lastCheckpoint) >= q.opts.CheckpointInterval
		q.round(ctx, sign)
		if sign {
			lastCheckpoint = now
		}
	}
}

func (q *Sequencer) round(ctx context.Context, sign bool) {
	if _, err := q.Integrate(ctx); err != nil {
		q.opts.Log.Error("audit: integration failed; will retry", slog.Any("err", err))
		return
	}
	if sign {
		if _, err := q.Checkpoint(ctx); err != nil {
			q.opts.Log.Error("audit: checkpoint failed; will retry", slog.Any("err", err))
		}
	}
}

// memoReader reads stored hashes, remembering the ones of the batch being
// prepared and those already read, so a batch reads each earlier hash
// from the database at most once.
type memoReader struct {
	ctx  context.Context
	st   Store
	memo map[int64]tlog.Hash
}

func newMemoReader(ctx context.Context, st Store) *memoReader {
	return &memoReader{ctx: ctx, st: st, memo: make(map[int64]tlog.Hash)}
}

func (m *memoReader) add(first int64, hs []tlog.Hash) {
	for i, h := range hs {
		m.memo[first+int64(i)] = h
	}
}

func (m *memoReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for _, idx := range indexes {
		if _, ok := m.memo[idx]; !ok {
			missing = append(missing, idx)
		}
	}
	if len(missing) > 0 {
		hs, err := m.st.ReadAuditHashes(m.ctx, missing)
		if err != nil {
			return nil, err
		}
		for i, idx := range missing {
			m.memo[idx] = hs[i]
		}
	}
	for i, idx := range indexes {
		out[i] = m.memo[idx]
	}
	return out, nil
}

// CheckAnchored checks, at start-up, that the log is consistent with the
// newest checkpoint in the anchor file at path (see CheckConsistent).
func CheckAnchored(ctx context.Context, st Store, s *Signer, path string) error {
	anchored, err := LastAnchored(path, s)
	if err != nil {
		return fmt.Errorf("audit log check against the anchor file: %w", err)
	}
	return CheckConsistent(ctx, st, anchored, path)
}

// CheckAnchoredURL checks, at start-up, that the log is consistent with
// the newest checkpoint the anchoring service at url holds (FetchAnchored;
// see CheckConsistent). A service that cannot be asked is an error too:
// without its answer truncation could go unnoticed.
func CheckAnchoredURL(ctx context.Context, st Store, s *Signer, client *http.Client, url string) error {
	anchored, err := FetchAnchored(ctx, client, url, s)
	if err != nil {
		return fmt.Errorf("audit log check against the anchor URL: %w", err)
	}
	return CheckConsistent(ctx, st, anchored, url)
}

// CheckConsistent checks that the log is consistent with anchored (nil:
// nothing anchored yet), a verified checkpoint kept at where: the log must
// be at least as large, its stored root must match its hashes, and an RFC
// 6962 consistency proof must connect the anchored root to the current
// one. An error means the log was truncated or rewritten; the server must
// not serve.
func CheckConsistent(ctx context.Context, st Store, anchored *Checkpoint, where string) error {
	if anchored == nil {
		return nil
	}
	tree, err := st.AuditTree(ctx)
	if err != nil {
		return err
	}
	if tree.Size < anchored.Size {
		return fmt.Errorf("the audit log holds %d entries but a checkpoint of %d entries was anchored in %s: the log was truncated (first missing entry: seq %d); run 'custos audit verify'",
			tree.Size, anchored.Size, where, tree.Size)
	}
	r := st.AuditHashReader(ctx)
	root, err := tlog.TreeHash(tree.Size, r)
	if err != nil {
		return fmt.Errorf("the audit log's hashes are incomplete: %w; run 'custos audit verify'", err)
	}
	if root != tree.Root {
		return fmt.Errorf("the audit log's recorded root hash does not match its stored hashes: the log was altered; run 'custos audit verify'")
	}
	proof, err := tlog.ProveTree(tree.Size, anchored.Size, r)
	if err != nil {
		return fmt.Errorf("the audit log's hashes are incomplete: %w; run 'custos audit verify'", err)
	}
	if err := tlog.CheckTree(proof, tree.Size, tree.Root, anchored.Size, anchored.Root); err != nil {
		return fmt.Errorf("the audit log is not consistent with the checkpoint of %d entries anchored in %s: the log was rewritten; run 'custos audit verify'", anchored.Size, where)
	}
	return nil
}

// tryLease tries to become the sequencer, giving up after 10 seconds so a
// database that does not answer never blocks the loop (or Stop).
func (q *Sequencer) tryLease(ctx context.Context) (domain.SequencerLease, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return q.st.TrySequencerLease(ctx)
}
