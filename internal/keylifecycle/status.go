package keylifecycle

import (
	"context"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/policy"
	"github.com/custoscrm/custos/internal/store"
)

// Status describes the keys of an installation.
type Status struct {
	Provider string
	// MasterKeys lists every master key version, oldest first.
	MasterKeys []MasterKey
	// IndexKeys lists every blind-index key version.
	IndexKeys []IndexKey
	// Active master key version and its age against the policy.
	ActiveMaster         int
	MasterAge            time.Duration
	MasterRotationPeriod time.Duration
	MasterRotationDue    time.Time
	ActiveIndex          int
	IndexAge             time.Duration
	IndexRotationPeriod  time.Duration
	IndexRotationDue     time.Time
	// Rotations in progress or last finished, per kind (nil if none).
	MasterRotation *store.Rotation
	IndexRotation  *store.Rotation
	// RotationLease is the holder of the rotation lease, if any.
	RotationLease *store.Lease
	// Erasure tree and erasures whose puncture is pending.
	ErasureTree    masterkey.ErasureTreeInfo
	PendingShreds  int64
	ProviderHolds  []int
	StatusTakenAt  time.Time
	MasterOverdue  bool
	IndexOverdue   bool
	ProviderErrors string
}

// MasterKey is one master key version.
type MasterKey struct {
	store.MasterKeyInfo
	// InProvider says whether the provider still holds the key.
	InProvider bool
}

// IndexKey is one blind-index key version.
type IndexKey struct {
	Version, MasterVersion int
	State                  string
}

// Status reports the keys: versions and states, what each wraps, ages
// against the rotation policy, rotation progress and erasures.
//
// Authorization: keys.manage.
func (s *Service) Status(ctx context.Context) (*Status, error) {
	if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
		return nil, err
	}
	now := s.o.Now().UTC()
	st := &Status{Provider: s.o.Keyring.Provider().Name(), StatusTakenAt: now,
		MasterRotationPeriod: s.o.MasterRotationPeriod, IndexRotationPeriod: s.o.IndexRotationPeriod}
	mks, err := s.o.Store.MasterKeys(ctx)
	if err != nil {
		return nil, err
	}
	held, err := s.o.Keyring.Versions(ctx)
	if err != nil {
		st.ProviderErrors = err.Error()
	}
	st.ProviderHolds = held
	for _, m := range mks {
		st.MasterKeys = append(st.MasterKeys, MasterKey{MasterKeyInfo: m, InProvider: slices.Contains(held, m.Version)})
		if m.State == store.KeyActive {
			st.ActiveMaster, st.MasterAge = m.Version, now.Sub(m.CreatedAt)
			st.MasterRotationDue = m.CreatedAt.Add(s.o.MasterRotationPeriod)
			st.MasterOverdue = now.After(st.MasterRotationDue)
		}
	}
	iks, err := s.o.Store.IndexKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range iks {
		st.IndexKeys = append(st.IndexKeys, IndexKey{Version: k.Version, MasterVersion: k.KEKVersion, State: k.State})
	}
	created, err := s.o.Store.IndexKeyCreated(ctx)
	if err != nil {
		return nil, err
	}
	for v, t := range created {
		for _, k := range iks {
			if k.Version == v && k.State == store.KeyActive {
				st.ActiveIndex, st.IndexAge = v, now.Sub(t)
				st.IndexRotationDue = t.Add(s.o.IndexRotationPeriod)
				st.IndexOverdue = now.After(st.IndexRotationDue)
			}
		}
	}
	if st.MasterRotation, err = s.o.Store.LastRotation(ctx, store.RotationMaster); err != nil {
		return nil, err
	}
	if st.IndexRotation, err = s.o.Store.LastRotation(ctx, store.RotationIndex); err != nil {
		return nil, err
	}
	leases, err := s.o.Store.Leases(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range leases {
		if l.Name == store.LeaseKeyRotation && l.ExpiresAt.After(now) {
			st.RotationLease = &l
		}
	}
	if err := s.o.Keyring.ReloadErasureTree(ctx); err == nil {
		st.ErasureTree, _ = s.o.Keyring.ErasureTree()
	}
	if st.PendingShreds, err = s.o.Store.CountPendingShreds(ctx); err != nil {
		return nil, err
	}
	return st, nil
}
