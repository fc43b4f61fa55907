package audit

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Service answers auditors: checkpoints, proofs, search and export. Every
// method requires the audit.read function (auditor and admin roles).
type Service struct {
	st   Store
	sign *Signer
	rec  domain.Auditor
	now  func() time.Time
	log  *slog.Logger
}

// NewService returns the auditors' service over the log in st.
func NewService(st Store, s *Signer, rec domain.Auditor, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, sign: s, rec: rec, now: now, log: log}
}

// VerifierKey returns the log's public verifier key and origin.
func (s *Service) VerifierKey() (vkey, origin string) { return s.sign.VerifierKey(), s.sign.Origin() }

var errNoCheckpoint = &domain.Error{Code: domain.CodeNotFound, Message: "no checkpoint has been signed yet"}

// LatestCheckpoint returns the newest signed checkpoint.
//
// Authorization: audit.read. Errors: not found (nothing signed yet).
func (s *Service) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	if err := s.require(ctx, domain.ActionAuditCheckpoint); err != nil {
		return nil, err
	}
	return s.latest(ctx)
}

func (s *Service) latest(ctx context.Context) (*Checkpoint, error) {
	sc, err := s.st.LatestAuditCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if sc == nil {
		return nil, errNoCheckpoint
	}
	cp, err := OpenCheckpoint([]byte(sc.Note), s.sign.Verifier(), s.sign.Origin())
	if err != nil {
		return nil, domain.Internal(fmt.Errorf("stored checkpoint of size %d: %w", sc.Size, err))
	}
	cp.SignedAt = sc.CreatedAt
	return cp, nil
}

// checkpointAt returns the signed checkpoint of exactly size, or nil.
func (s *Service) checkpointAt(ctx context.Context, size int64) ([]byte, error) {
	sc, err := s.st.AuditCheckpointAt(ctx, size)
	if err != nil || sc == nil {
		return nil, err
	}
	return []byte(sc.Note), nil
}

// InclusionProof proves that the entry at seq is in the tree of treeSize
// entries. treeSize 0 means the newest checkpoint's size.
type InclusionProof struct {
	Seq        int64
	TreeSize   int64
	Event      *domain.AuditEvent
	Leaf       []byte // the canonical leaf; its RecordHash is the leaf hash
	LeafHash   tlog.Hash
	Root       tlog.Hash
	Proof      tlog.RecordProof
	Checkpoint []byte // the signed checkpoint of TreeSize, when one exists
}

// InclusionProof returns the proof for the entry at seq.
//
// Authorization: audit.read. Errors: invalid (seq, tree_size out of
// range), not found (no checkpoint yet when treeSize is 0).
func (s *Service) InclusionProof(ctx context.Context, seq, treeSize int64) (*InclusionProof, error) {
	if err := s.require(ctx, domain.ActionAuditProof); err != nil {
		return nil, err
	}
	size, err := s.sizeOrLatest(ctx, treeSize, "tree_size")
	if err != nil {
		return nil, err
	}
	if seq < 0 || seq >= size {
		return nil, domain.Invalid("seq", "seq must be from 0 to %d for a tree of %d entries", size-1, size)
	}
	ev, err := s.st.AuditEventBySeq(ctx, seq)
	if err != nil {
		return nil, err
	}
	r := s.st.AuditHashReader(ctx)
	p := &InclusionProof{Seq: seq, TreeSize: size, Event: ev, Leaf: ev.Leaf()}
	p.LeafHash = tlog.RecordHash(p.Leaf)
	if p.Proof, err = tlog.ProveRecord(size, seq, r); err != nil {
		return nil, domain.Internal(err)
	}
	if p.Root, err = tlog.TreeHash(size, r); err != nil {
		return nil, domain.Internal(err)
	}
	if err := tlog.CheckRecord(p.Proof, size, p.Root, seq, p.LeafHash); err != nil {
		// The stored entry no longer matches the tree: never hand out a
		// proof that cannot verify.
		return nil, domain.Internal(fmt.Errorf("audit entry %d does not match the tree (run custos audit verify): %w", seq, err))
	}
	if p.Checkpoint, err = s.checkpointAt(ctx, size); err != nil {
		return nil, err
	}
	return p, nil
}

// ConsistencyProof proves that the tree of From entries is a prefix of the
// tree of To entries.
type ConsistencyProof struct {
	From, To                     int64
	FromRoot, ToRoot             tlog.Hash
	Proof                        tlog.TreeProof
	FromCheckpoint, ToCheckpoint []byte
}

// ConsistencyProof returns the proof between two tree sizes. to 0 means
// the newest checkpoint's size.
//
// Authorization: audit.read. Errors: invalid (from, to out of range).
func (s *Service) ConsistencyProof(ctx context.Context, from, to int64) (*ConsistencyProof, error) {
	if err := s.require(ctx, domain.ActionAuditProof); err != nil {
		return nil, err
	}
	size, err := s.sizeOrLatest(ctx, to, "to")
	if err != nil {
		return nil, err
	}
	if from < 1 || from > size {
		return nil, domain.Invalid("from", "from must be from 1 to %d (the size of the larger tree)", size)
	}
	r := s.st.AuditHashReader(ctx)
	p := &ConsistencyProof{From: from, To: size}
	if p.Proof, err = tlog.ProveTree(size, from, r); err != nil {
		return nil, domain.Internal(err)
	}
	if p.FromRoot, err = tlog.TreeHash(from, r); err != nil {
		return nil, domain.Internal(err)
	}
	if p.ToRoot, err = tlog.TreeHash(size, r); err != nil {
		return nil, domain.Internal(err)
	}
	if p.FromCheckpoint, err = s.checkpointAt(ctx, from); err != nil {
		return nil, err
	}
	if p.ToCheckpoint, err = s.checkpointAt(ctx, size); err != nil {
		return nil, err
	}
	return p, nil
}

// sizeOrLatest resolves a requested tree size: 0 means the newest
// checkpoint's; anything else must be within the integrated log.
func (s *Service) sizeOrLatest(ctx context.Context, size int64, field string) (int64, error) {
	if size == 0 {
		cp, err := s.latest(ctx)
		if err != nil {
			return 0, err
		}
		return cp.Size, nil
	}
	tree, err := s.st.AuditTree(ctx)
	if err != nil {
		return 0, err
	}
	if size < 1 || size > tree.Size {
		return 0, domain.Invalid(field, "%s must be from 1 to %d (the entries in the log)", field, tree.Size)
	}
	return size, nil
}

// Search returns entries matching f in sequence order. The search itself
// is recorded (audit.search) before results are returned; if that record
// cannot be made durable, nothing is returned.
//
// Authorization: audit.read. Errors: unavailable (audit).
func (s *Service) Search(ctx context.Context, f domain.AuditFilter) ([]*domain.AuditEvent, error) {
	if err := s.require(ctx, domain.ActionAuditSearch); err != nil {
		return nil, err
	}
	if err := s.record(ctx, domain.ActionAuditSearch, f); err != nil {
		return nil, err
	}
	return s.st.SearchAudit(ctx, f)
}

// Export streams every entry matching f (FromSeq..ToSeq) to fn in
// sequence order, after recording the export (audit.export, fail-closed).
//
// Authorization: audit.read. Errors: unavailable (audit).
func (s *Service) Export(ctx context.Context, f domain.AuditFilter, fn func(ev *domain.AuditEvent) error) error {
	if err := s.require(ctx, domain.ActionAuditExport); err != nil {
		return err
	}
	if err := s.record(ctx, domain.ActionAuditExport, f); err != nil {
		return err
	}
	f.Limit = 1000
	for {
		page, err := s.st.SearchAudit(ctx, f)
		if err != nil {
			return err
		}
		for _, ev := range page {
			if err := fn(ev); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.FromSeq = page[len(page)-1].Seq + 1
	}
}

// require checks the audit.read function; a refusal of a signed-in actor
// is audited as a denied attempt at action.
func (s *Service) require(ctx context.Context, action string) error {
	_, err := policy.Require(ctx, domain.FnAuditRead)
	if err != nil && domain.ErrorCode(err) == domain.CodeForbidden {
		ev := domain.NewAuditEvent(ctx, s.now(), action, "audit_log", "")
		ev.Outcome, ev.Reason = domain.OutcomeDenied, "function audit.read not granted"
		if rerr := s.rec.Record(ctx, ev); rerr != nil {
			s.log.Error("audit record of a denied attempt failed", slog.String("action", action), slog.Any("err", rerr))
		}
	}
	return err
}

var errAuditUnavailable = &domain.Error{Code: domain.CodeUnavailable, Message: "the audit log is unavailable; the request was refused"}

// record audits an auditor's query: the filters used, by name, with the
// ids searched for (pseudonymous) as target.
func (s *Service) record(ctx context.Context, action string, f domain.AuditFilter) error {
	ev := domain.NewAuditEvent(ctx, s.now(), action, "audit_log", "")
	for _, c := range []struct {
		name string
		set  bool
	}{
		{"actor", f.ActorUser != ""}, {"target", f.TargetID != ""}, {"action", f.Action != ""},
		{"outcome", f.Outcome != ""}, {"since", !f.Since.IsZero()}, {"until", !f.Until.IsZero()},
		{"from_seq", f.FromSeq > 0}, {"to_seq", f.ToSeq >= 0},
	} {
		if c.set {
			ev.Fields = append(ev.Fields, c.name)
		}
	}
	if f.TargetID != "" {
		ev.TargetIDs = append(ev.TargetIDs, f.TargetID)
	}
	if f.ActorUser != "" {
		ev.TargetIDs = append(ev.TargetIDs, f.ActorUser)
	}
	if err := s.rec.Record(ctx, ev); err != nil {
		s.log.Error("audit record failed; withholding the audit log", slog.String("action", action), slog.Any("err", err))
		return errAuditUnavailable
	}
	return nil
}
