package audit

import (
	"context"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/domain"
)

// Store is the persistence of the audit log that the sequencer, the
// auditors' service, verification and SIEM shipping need. (Recording goes
// through the narrower Appender.)
type Store interface {
	// AuditTree returns the integrated size and root of the log.
	AuditTree(ctx context.Context) (domain.AuditTree, error)
	// PendingAudit returns up to limit durable events not yet integrated.
	PendingAudit(ctx context.Context, queueCursor int64, limit int) ([]domain.PendingAuditEvent, error)
	// ReadAuditHashes returns the stored tree hashes at indexes.
	ReadAuditHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// AuditHashReader reads stored tree hashes for tlog's proofs.
	AuditHashReader(ctx context.Context) tlog.HashReader
	// IntegrateAudit applies a prepared batch, or fails with
	// domain.ErrAuditMoved, changing nothing, when the log moved.
	IntegrateAudit(ctx context.Context, b *domain.AuditBatch) error
	// TrimAuditQueue drops integrated events from the SQLite queue.
	TrimAuditQueue(ctx context.Context, cursor int64) error

	AddAuditCheckpoint(ctx context.Context, c *domain.AuditCheckpoint) (ok bool, err error)
	LatestAuditCheckpoint(ctx context.Context) (*domain.AuditCheckpoint, error)
	AuditCheckpointAt(ctx context.Context, size int64) (*domain.AuditCheckpoint, error)
	AuditSigningKey(ctx context.Context) (*domain.AuditSigningKey, error)
	CreateAuditSigningKey(ctx context.Context, k *domain.AuditSigningKey) error

	AuditShipCursor(ctx context.Context, sink string) (int64, error)
	SetAuditShipCursor(ctx context.Context, sink string, seq int64) error

	SearchAudit(ctx context.Context, f domain.AuditFilter) ([]*domain.AuditEvent, error)
	// AuditCountsByHour counts entries per whole hour (UTC) in [since, until).
	AuditCountsByHour(ctx context.Context, since, until time.Time) ([]domain.AuditHourCount, error)
	// AuditCountsByActor counts allowed entries of actions per actor and
	// action in [since, until), with the records they named.
	AuditCountsByActor(ctx context.Context, actions []string, since, until time.Time) ([]domain.AuditActorCount, error)
	AuditEventBySeq(ctx context.Context, seq int64) (*domain.AuditEvent, error)
	// ReadAuditSnapshot runs fn over a consistent view of the whole log.
	ReadAuditSnapshot(ctx context.Context, fn func(ctx context.Context, snap domain.AuditSnapshot) error) error
	// TrySequencerLease tries to become the one node that sequences; nil
	// without error when another node is.
	TrySequencerLease(ctx context.Context) (domain.SequencerLease, error)
}
