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
	st.Problem = s.check(ctx, st, tree, sc)
	st.Consistent = st.Problem == ""
	return st, nil
}

// check verifies the newest stored checkpoint sc and the tree against it,
// filling st's checkpoint and proof; it returns what failed, or "". A
// failure is the answer of the check, not an error of the call.
func (s *Service) check(ctx context.Context, st *LogState, tree domain.AuditTree, sc *domain.AuditCheckpoint) string {
	if sc != nil {
		cp, err := OpenCheckpoint([]byte(sc.Note), s.sign.Verifier(), s.sign.Origin())
		if err != nil {
			return "the newest stored checkpoint does not verify with this log's key: " + err.Error()
		}
		if cp.Size != sc.Size || cp.Root != sc.Root {
			return "the newest stored checkpoint's columns differ from what was signed"
		}
		cp.SignedAt = sc.CreatedAt
		st.Checkpoint = cp
	}
	r := s.st.AuditHashReader(ctx)
	if tree.Size > 0 {
		root, err := tlog.TreeHash(tree.Size, r)
		if err != nil {
			return "the log's stored hashes are incomplete"
		}
		if root != tree.Root {
			return "the log's recorded root does not match its stored hashes"
		}
	}
	cp := st.Checkpoint
	if cp == nil {
		return ""
	}
	if tree.Size < cp.Size {
		return "the log holds fewer entries than its newest signed checkpoint: it was truncated"
	}
	proof, err := tlog.ProveTree(tree.Size, cp.Size, r)
	if err != nil {
		return "the log's stored hashes are incomplete"
	}
	st.Proof = proof
	if err := tlog.CheckTree(proof, tree.Size, tree.Root, cp.Size, cp.Root); err != nil {
		return "the log does not extend its newest signed checkpoint: it was rewritten"
	}
	return ""
}
