package domain

import (
	"context"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// The stored form of the audit log, as the audit service and the store
// exchange it: the integrated tree, events waiting to be integrated, a
// prepared integration, signed checkpoints and the checkpoint signing key.

// ErrAuditMoved is returned when integrating a batch finds the log changed
// since the batch was prepared (another sequencer got there first); the
// caller prepares a new batch.
var ErrAuditMoved = errors.New("the audit log moved while the batch was prepared")

// AuditTree is the integrated state of the audit log.
type AuditTree struct {
	Size int64
	Root tlog.Hash
	// QueueCursor is the last audit queue id integrated (SQLite).
	QueueCursor int64
}

// PendingAuditEvent is an event durable but not yet in the log: in
// audit_pending, or (Queued) in the SQLite audit queue.
type PendingAuditEvent struct {
	ID     int64
	Queued bool
	Event  *AuditEvent
}

// AuditBatch is a prepared integration: the Pending events (in order)
// become log entries OldSize, OldSize+1, … and Hashes are the tree's
// stored hashes from index tlog.StoredHashIndex(0, OldSize) on.
type AuditBatch struct {
	OldSize int64
	OldRoot tlog.Hash
	NewRoot tlog.Hash
	Pending []PendingAuditEvent
	Hashes  []tlog.Hash
	// OldQueueCursor is the tree's queue cursor when the batch was
	// prepared; the batch's queued events must follow it.
	OldQueueCursor int64
}

// AuditCheckpoint is a signed checkpoint as stored.
type AuditCheckpoint struct {
	Size      int64
	Root      tlog.Hash
	Note      string
	CreatedAt time.Time
}

// AuditSigningKey is the checkpoint signing key as stored: the signed-note
// private key wrapped under a master key version, its public verifier key
// and the log's origin line.
type AuditSigningKey struct {
	Version    int
	Origin     string
	Verifier   string
	KEKVersion int
	Wrapped    []byte
	CreatedAt  time.Time
}

// AuditFilter selects audit events. Every set field must match.
type AuditFilter struct {
	ActorUser string
	TargetID  string
	Action    string
	Outcome   Outcome
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	FromSeq   int64     // first sequence number considered
	ToSeq     int64     // last sequence number considered; negative: no bound
	Limit     int       // at most 1,000; zero: 100
	// Newest returns the newest entries first (a page ends at ToSeq and
	// the next page ends below its last entry).
	Newest bool
}

// AuditHourCount is how many log entries fall in one hour (UTC).
type AuditHourCount struct {
	Hour   time.Time
	Events int64
}

// AuditActorCount is what one actor did with one action in a time range:
// how many events, and how many records they named (the target, or each
// of the targets of an action over many records).
type AuditActorCount struct {
	ActorUser ID
	Action    string
	Events    int64
	Records   int64
}

// AuditSnapshot is a consistent read-only view of the whole audit log,
// for verification: every read through it sees the same committed state
// even while the sequencer keeps integrating.
type AuditSnapshot interface {
	// Tree returns the integrated size and root hash as recorded.
	Tree(ctx context.Context) (AuditTree, error)
	// Counts returns how many events are in the log and how many still
	// wait for the sequencer.
	Counts(ctx context.Context) (integrated, pending int64, err error)
	// Events calls fn for every event in the log in sequence order; fn
	// may keep ev.
	Events(ctx context.Context, fn func(ev *AuditEvent) error) error
	// Hashes calls fn for every stored tree hash in index order; h is
	// only valid during the call.
	Hashes(ctx context.Context, fn func(idx int64, h []byte) error) error
	// Checkpoints returns every stored checkpoint, oldest first.
	Checkpoints(ctx context.Context) ([]*AuditCheckpoint, error)
	// SigningKeys returns every checkpoint signing key, oldest first.
	SigningKeys(ctx context.Context) ([]*AuditSigningKey, error)
}

// SequencerLease is the right to sequence the audit log, held by one node
// at a time.
type SequencerLease interface {
	// Check reports an error when the lease is lost.
	Check(ctx context.Context) error
	// Release gives the lease up.
	Release()
}
