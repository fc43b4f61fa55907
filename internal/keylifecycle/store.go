package keylifecycle

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// MasterKeyStore holds the master key versions, what each wraps, and the
// record of every rotation (master and index) so that an interrupted one
// resumes.
type MasterKeyStore interface {
	MasterKeys(ctx context.Context) ([]domain.MasterKeyInfo, error)
	ActiveMasterVersion(ctx context.Context) (int, error)
	MasterKeyReferences(ctx context.Context, v int) (dataKeys, indexKeys int64, err error)
	MarkMasterKeyDestroyed(ctx context.Context, v int, evs ...*domain.AuditEvent) error

	OpenRotation(ctx context.Context, kind domain.RotationKind) (*domain.Rotation, error)
	LastRotation(ctx context.Context, kind domain.RotationKind) (*domain.Rotation, error)
	UpdateRotation(ctx context.Context, r *domain.Rotation) error

	BeginMasterRotation(ctx context.Context, to int, total int64, evs ...*domain.AuditEvent) (*domain.Rotation, error)
	CountDataKeysBelow(ctx context.Context, v int) (int64, error)
	DataKeysBelow(ctx context.Context, v int, after domain.ID, limit int) ([]vault.WrappedKey, error)
	SaveRewrapped(ctx context.Context, old, fresh []vault.WrappedKey) (int64, error)
	IndexKeyWraps(ctx context.Context) ([]domain.WrappedSecret, error)
	SaveIndexKeyWrap(ctx context.Context, v, from, to int, wrapped []byte) error
	AuditSigningKeys(ctx context.Context) ([]domain.WrappedSecret, error)
	SaveAuditSigningKeyWrap(ctx context.Context, v, from, to int, wrapped []byte) error
	FinishMasterRotation(ctx context.Context, r *domain.Rotation, evs ...*domain.AuditEvent) error
}

// IndexKeyStore holds the blind-index keys and rebuilds their entries.
type IndexKeyStore interface {
	// RefreshIndexKeys loads new index key versions into the blind index
	// and drops retired ones.
	RefreshIndexKeys(ctx context.Context) error
	IndexKeyCreated(ctx context.Context) (map[int]time.Time, error)
	NewestIndexKeyVersion(ctx context.Context) (int, error)
	BeginIndexRotation(ctx context.Context, to, kekVersion int, wrapped []byte, total int64, evs ...*domain.AuditEvent) (*domain.Rotation, error)
	CountLiveCustomers(ctx context.Context) (int64, error)
	CustomersAfter(ctx context.Context, after domain.ID, limit int) ([]*domain.Customer, error)
	WriteIndexEntries(ctx context.Context, v int, cs []*domain.Customer) (stale []*domain.Customer, err error)
	ActivateIndexKey(ctx context.Context, to int) error
	RetireIndexKeys(ctx context.Context) error
	DeleteIndexEntries(ctx context.Context, v, limit int) (int64, error)
	FinishIndexRotation(ctx context.Context, r *domain.Rotation, evs ...*domain.AuditEvent) error
}

// DataKeyStore holds the destroyed data keys whose erasure-tree leaves
// wait to be punctured, and the live keys that share a subtree with them.
type DataKeyStore interface {
	PendingShreds(ctx context.Context, limit int) ([]domain.PendingShred, error)
	CountPendingShreds(ctx context.Context) (int64, error)
	LiveKeysOnLeaves(ctx context.Context, leaves []uint64) ([]vault.WrappedKey, error)
	ReplaceDataKey(ctx context.Context, old, fresh vault.WrappedKey) error
	MarkShredded(ctx context.Context, ids []domain.ID) error
}

// LeaseStore holds the leases that let one process at a time rotate keys
// or change the erasure tree.
type LeaseStore interface {
	// AcquireLease takes lease name for holder, or fails with a
	// *domain.LeaseHeldError.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) error
	// RenewLease extends holder's lease, or fails with domain.ErrLeaseLost.
	RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error
	ReleaseLease(ctx context.Context, name, holder string) error
	Leases(ctx context.Context) ([]domain.Lease, error)
}

// CustomerReader reads one customer with every field opened (to index a
// customer that changed during an index rebuild).
type CustomerReader interface {
	GetCustomer(ctx context.Context, id domain.ID, skip map[domain.FieldClass]bool) (*domain.Customer, error)
}
