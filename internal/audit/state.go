package audit

import (
	"context"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/domain"
)

// LogState is what a server can honestly say about its own log: how far
// it has grown, the newest checkpoint it signed, and whether the log as
// stored now still extends that checkpoint. It is a check by the server
// of itself: it reads the recorded tree and its stored hashes, not every
// entry (custos audit verify recomputes every leaf, and checks anchors
// kept off the box).
type LogState struct {
	// Size and Root are the integrated tree as recorded now.
	Size int64
	Root tlog.Hash
	// Checkpoint is the newest signed checkpoint (nil before the first).
	Checkpoint  *Checkpoint
	VerifierKey string
	Origin      string
	// Consistent is true when the stored hashes reproduce the recorded
	// root and an RFC 6962 consistency proof from the checkpoint's tree to
	// the current one checks out (trivially true before a checkpoint).
	Consistent bool
	// Problem says what failed when not Consistent (no personal data).
	Problem string
	// Proof is the consistency proof from Checkpoint.Size to Size.
	Proof tlog.TreeProof
	// CheckedAt is when the check ran.
	CheckedAt time.Time
}

// State checks the log against its newest signed checkpoint.
//
// Authorization: audit.read. Errors: internal (the store).
func (s *Service) State(ctx context.Context) (*LogState, error) {
	if err := s.require(ctx, domain.ActionAuditCheckpoint); err != nil {
		return nil, err
	}
	st := &LogState{VerifierKey: s.sign.VerifierKey(), Origin: s.sign.Origin(), CheckedAt: s.now().UTC()}
	tree, err := s.st.AuditTree(ctx)
	if err != nil {
		return nil, err
	}
	st.Size, st.Root = tree.Size, tree.Root
	sc, err := s.st.LatestAuditCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if sc != nil {
		cp, err := OpenCheckpoint([]byte(sc.Note), s.sign.Verifier(), s.sign.Origin())
		if err != nil {
			st.Problem = "the newest stored checkpoint does not verify with this log's key: " + err.Error()
			return st, nil
		}
		if cp.Size != sc.Size || cp.Root != sc.Root {
			st.Problem = "the newest stored checkpoint's columns differ from what was signed"
			return st, nil
		}
		cp.SignedAt = sc.CreatedAt
		st.Checkpoint = cp
	}
	r := s.st.AuditHashReader(ctx)
	if tree.Size > 0 {
		root, err := tlog.TreeHash(tree.Size, r)
		if err != nil {
			st.Problem = "the log's stored hashes are incomplete"
			return st, nil
		}
		if root != tree.Root {
			st.Problem = "the log's recorded root does not match its stored hashes"
			return st, nil
		}
	}
	if cp := st.Checkpoint; cp != nil {
		if tree.Size < cp.Size {
			st.Problem = "the log holds fewer entries than its newest signed checkpoint: it was truncated"
			return st, nil
		}
		if st.Proof, err = tlog.ProveTree(tree.Size, cp.Size, r); err != nil {
			st.Problem = "the log's stored hashes are incomplete"
			return st, nil
		}
		if err := tlog.CheckTree(st.Proof, tree.Size, tree.Root, cp.Size, cp.Root); err != nil {
			st.Problem = "the log does not extend its newest signed checkpoint: it was rewritten"
			return st, nil
		}
	}
	st.Consistent = true
	return st, nil
}
