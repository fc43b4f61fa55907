package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/domain"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// AnchorFile is an anchor file to check the log against (truncation
	// and rewrites are caught against it). It must exist when set.
	AnchorFile string
	// VerifierKey pins the log's verifier key (obtained out of band).
	VerifierKey string
	// Signer, when the master key is at hand, proves the stored verifier
	// key is the one sealed with the private key.
	Signer *Signer
	// Progress is called as entries are checked (done of total).
	Progress func(done, total int64)
}

// VerifyReport describes an intact log.
type VerifyReport struct {
	Entries      int64 // entries in the tree
	Pending      int64 // durable events not yet integrated
	Checkpoints  int   // stored checkpoints verified
	Anchored     int   // anchored checkpoints verified
	AnchoredSize int64 // size of the newest anchored checkpoint
	Root         tlog.Hash
	Verifier     string
	Origin       string
}

// VerifyError reports a log that is not intact: Seq names the first bad
// entry (-1 when the problem is not with an entry, e.g. a forged
// checkpoint); Last > Seq when the damage is only known to lie in the
// range Seq..Last (the entry and its hashes were rewritten together, so
// only a signed checkpoint could tell).
type VerifyError struct {
	Seq    int64
	Last   int64
	Msg    string
	Others int // further problems found
}

func (e *VerifyError) Error() string {
	s := e.Msg
	switch {
	case e.Seq >= 0 && e.Last > e.Seq:
		s = fmt.Sprintf("first bad entry: in seq %d–%d: %s", e.Seq, e.Last, e.Msg)
	case e.Seq >= 0:
		s = fmt.Sprintf("first bad entry: seq %d: %s", e.Seq, e.Msg)
	}
	if e.Others > 0 {
		s += fmt.Sprintf(" (and %d further problem(s))", e.Others)
	}
	return s
}

// problem is one finding; exact ones name their entry precisely.
type problem struct {
	seq, last int64
	exact     bool
	msg       string
}

// hashSlice is the recomputed tree: every stored hash, by index.
type hashSlice []tlog.Hash

func (h hashSlice) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(len(h)) {
			return nil, fmt.Errorf("hash %d not computed", idx)
		}
		out[i] = h[idx]
	}
	return out, nil
}

var errStop = errors.New("stop")

// Verify checks the whole audit log from its stored columns: it
// recomputes every entry's leaf and the RFC 6962 tree, compares them with
// the stored hashes and the recorded root, checks every stored
// checkpoint's signature and that the recomputed tree matches it, and
// checks the log against the anchor file (consistency with every
// anchored checkpoint; a log shorter than an anchored checkpoint was
// truncated). It returns a *VerifyError naming the first bad entry when
// the log is not intact, and other errors when it cannot check.
func Verify(ctx context.Context, st Store, opts VerifyOptions) (*VerifyReport, error) {
	var rep *VerifyReport
	err := st.ReadAuditSnapshot(ctx, func(ctx context.Context, snap domain.AuditSnapshot) error {
		var err error
		rep, err = verifySnapshot(ctx, snap, opts)
		return err
	})
	return rep, err
}

func verifySnapshot(ctx context.Context, snap domain.AuditSnapshot, opts VerifyOptions) (*VerifyReport, error) {
	keys, err := snap.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("the database holds no audit signing key: is this a Custos database?")
	}
	key := keys[len(keys)-1]
	ver, err := note.NewVerifier(key.Verifier)
	if err != nil {
		return nil, fmt.Errorf("the stored audit verifier key is malformed: %w", err)
	}
	if opts.Signer != nil && (opts.Signer.VerifierKey() != key.Verifier || opts.Signer.Origin() != key.Origin) {
		return nil, errors.New("the stored audit verifier key or origin does not match the sealed signing key: the key record was altered")
	}
	if opts.VerifierKey != "" && opts.VerifierKey != key.Verifier {
		return nil, fmt.Errorf("the log's verifier key %s is not the expected key %s", key.Verifier, clip(opts.VerifierKey, 120))
	}
	var anchored []*Checkpoint
	if opts.AnchorFile != "" {
		af, err := ReadAnchorFile(opts.AnchorFile)
		if err != nil {
			return nil, err
		}
		if af == nil {
			return nil, fmt.Errorf("anchor file %s does not exist", opts.AnchorFile)
		}
		if anchored, err = af.Checkpoints(ver, key.Origin); err != nil {
			return nil, fmt.Errorf("%s: %w", opts.AnchorFile, err)
		}
	}

	tree, err := snap.Tree(ctx)
	if err != nil {
		return nil, err
	}
	integrated, pending, err := snap.Counts(ctx)
	if err != nil {
		return nil, err
	}
	total := max(integrated, tree.Size)
	rep := &VerifyReport{Pending: pending, Verifier: key.Verifier, Origin: key.Origin}
	var probs []problem
	add := func(p problem) {
		if p.last < p.seq {
			p.last = p.seq
		}
		probs = append(probs, p)
	}

	// 1. Every entry, in order, recomputed from its columns.
	hashes := make(hashSlice, 0, tlog.StoredHashCount(total))
	var next int64
	err = pipeEvents(ctx, snap, func(ev *domain.AuditEvent) error {
		if ev.Seq != next {
			if ev.Seq > next {
				add(problem{seq: next, exact: true, msg: fmt.Sprintf("the entry is missing (the log goes from seq %d to seq %d): an entry was deleted or renumbered", next-1, ev.Seq)})
			} else {
				add(problem{seq: ev.Seq, exact: true, msg: "the entry appears more than once"})
			}
			return errStop
		}
		hs, err := tlog.StoredHashes(next, ev.Leaf(), hashes)
		if err != nil {
			return err
		}
		hashes = append(hashes, hs...)
		next++
		if opts.Progress != nil && next%8192 == 0 {
			opts.Progress(next, total)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if opts.Progress != nil {
		opts.Progress(next, total)
	}
	rep.Entries = next
	switch {
	case next < tree.Size:
		add(problem{seq: next, exact: true, msg: fmt.Sprintf("the entry is missing: the tree records %d entries but the log ends before seq %d", tree.Size, next)})
	case next > tree.Size:
		add(problem{seq: tree.Size, exact: true, msg: fmt.Sprintf("the entry lies beyond the tree's recorded size %d: it was inserted, or the tree was rolled back", tree.Size)})
	}

	// 2. The stored hashes against the recomputed ones.
	want := int64(len(hashes))
	var idx int64
	leafOf := func(i int64) (int64, int64, int) {
		level, n := tlog.SplitStoredHashIndex(i)
		return n << level, (n+1)<<level - 1, level
	}
	err = snap.Hashes(ctx, func(i int64, h []byte) error {
		if i != idx || i >= want {
			first, _, _ := leafOf(min(i, idx))
			add(problem{seq: first, exact: true, msg: fmt.Sprintf("the stored tree hashes do not match the log at index %d (hashes added, removed or the log shortened)", min(i, idx))})
			return errStop
		}
		if !bytes.Equal(h, hashes[i][:]) {
			first, last, level := leafOf(i)
			msg := "the entry does not match its stored leaf hash: the entry or its hash was changed"
			if level > 0 {
				msg = fmt.Sprintf("a stored interior hash over seq %d–%d does not match the entries", first, last)
			}
			add(problem{seq: first, exact: true, msg: msg})
			return errStop
		}
		idx++
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if err == nil && idx < want {
		first, _, _ := leafOf(idx)
		add(problem{seq: first, exact: true, msg: fmt.Sprintf("the stored tree hashes end at index %d, before the log does", idx)})
	}
	root, err := tlog.TreeHash(next, hashes)
	if err != nil {
		return nil, err
	}
	rep.Root = root
	if next == tree.Size && root != tree.Root {
		add(problem{seq: -1, msg: "the recorded root hash of the tree does not match the entries"})
	}

	// 3. Signed checkpoints, stored and anchored.
	stored, err := snap.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	type signed struct {
		cp     *Checkpoint
		source string
	}
	var all []signed
	for _, sc := range stored {
		cp, err := OpenCheckpoint([]byte(sc.Note), ver, key.Origin)
		if err != nil {
			add(problem{seq: -1, msg: fmt.Sprintf("stored checkpoint of size %d: %v", sc.Size, err)})
			continue
		}
		if cp.Size != sc.Size || cp.Root != sc.Root {
			add(problem{seq: -1, msg: fmt.Sprintf("stored checkpoint of size %d: its size or root column differs from what was signed", sc.Size)})
			continue
		}
		all = append(all, signed{cp, "stored checkpoint"})
		rep.Checkpoints++
	}
	for _, cp := range anchored {
		all = append(all, signed{cp, "anchored checkpoint"})
		rep.Anchored++
		rep.AnchoredSize = cp.Size
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].cp.Size < all[j].cp.Size })
	var good int64 // entries below good match a signed checkpoint
	for _, s := range all {
		cp := s.cp
		if cp.Size > next {
			add(problem{seq: next, exact: true, msg: fmt.Sprintf("the log was truncated: a %s signed %d entries but the log has %d", s.source, cp.Size, next)})
			continue
		}
		h, err := tlog.TreeHash(cp.Size, hashes)
		if err != nil {
			return nil, err
		}
		if h != cp.Root {
			add(problem{seq: good, last: cp.Size - 1, msg: fmt.Sprintf("the first %d entries do not match the %s of that size: an entry was changed and its hashes rewritten", cp.Size, s.source)})
			continue
		}
		good = max(good, cp.Size)
	}
	if len(probs) > 0 {
		return nil, firstProblem(probs)
	}
	return rep, nil
}

// pipeEvents reads the snapshot's events in one goroutine and hands them,
// in batches, to fn in the caller's, so reading the database and hashing
// use both cores. fn returning an error stops the reader.
func pipeEvents(ctx context.Context, snap domain.AuditSnapshot, fn func(ev *domain.AuditEvent) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const size = 512
	batches := make(chan []*domain.AuditEvent, 8)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]*domain.AuditEvent, 0, size)
		err := snap.Events(ctx, func(ev *domain.AuditEvent) error {
			batch = append(batch, ev)
			if len(batch) < size {
				return nil
			}
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]*domain.AuditEvent, 0, size)
			return nil
		})
		if err == nil && len(batch) > 0 {
			select {
			case batches <- batch:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		readErr <- err
	}()
	for batch := range batches {
		for _, ev := range batch {
			if err := fn(ev); err != nil {
				cancel()
				for range batches {
				}
				if rerr := <-readErr; rerr != nil && !errors.Is(rerr, context.Canceled) {
					return errors.Join(err, rerr)
				}
				return err
			}
		}
	}
	return <-readErr
}

// firstProblem picks the earliest damage: the problem starting at the
// lowest sequence number, made exact when an exact finding falls inside
// its range; problems not about an entry come last.
func firstProblem(probs []problem) *VerifyError {
	sort.SliceStable(probs, func(i, j int) bool {
		a, b := probs[i], probs[j]
		if (a.seq < 0) != (b.seq < 0) {
			return b.seq < 0
		}
		if a.seq != b.seq {
			return a.seq < b.seq
		}
		return a.exact && !b.exact
	})
	p := probs[0]
	if p.seq >= 0 && !p.exact {
		for _, q := range probs {
			if q.exact && q.seq >= p.seq && q.seq <= p.last {
				p = q
				break
			}
		}
	}
	return &VerifyError{Seq: p.seq, Last: p.last, Msg: p.msg, Others: len(probs) - 1}
}
