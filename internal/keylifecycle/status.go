package keylifecycle

import (
	"context"
	"slices"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/policy"
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
	MasterRotation *domain.Rotation
	IndexRotation  *domain.Rotation
	// RotationLease is the holder of the rotation lease, if any.
	RotationLease *domain.Lease
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
	domain.MasterKeyInfo
	// InProvider says whether the provider still holds the key.
	InProvider bool
}

// IndexKey is one blind-index key version.
type IndexKey struct {
	Version, MasterVersion int
	State                  domain.KeyState
}

// Status reports the keys: versions and states, what each wraps, ages
// against the rotation policy, rotation progress and erasures. It holds
// no key material, so those who review the installation's security read
// it too.
//
// Authorization: keys.manage or audit.read.
func (s *Service) Status(ctx context.Context) (*Status, error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return nil, err
	}
	if !policy.Can(a, domain.FnAuditRead) {
		if _, err := policy.Require(ctx, domain.FnKeysManage); err != nil {
			return nil, err
		}
	}
	now := s.o.Now().UTC()
	st := &Status{Provider: s.d.Keyring.Provider().Name(), StatusTakenAt: now,
		MasterRotationPeriod: s.o.MasterRotationPeriod, IndexRotationPeriod: s.o.IndexRotationPeriod}
	mks, err := s.d.MasterKeys.MasterKeys(ctx)
	if err != nil {
		return nil, err
	}
	held, err := s.d.Keyring.Versions(ctx)
	if err != nil {
		st.ProviderErrors = err.Error()
	}
	st.ProviderHolds = held
	for _, m := range mks {
		st.MasterKeys = append(st.MasterKeys, MasterKey{MasterKeyInfo: m, InProvider: slices.Contains(held, m.Version)})
		if m.State == domain.KeyActive {
			st.ActiveMaster, st.MasterAge = m.Version, now.Sub(m.CreatedAt)
			st.MasterRotationDue = m.CreatedAt.Add(s.o.MasterRotationPeriod)
			st.MasterOverdue = now.After(st.MasterRotationDue)
		}
	}
	iks, err := s.d.MasterKeys.IndexKeyWraps(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range iks {
		st.IndexKeys = append(st.IndexKeys, IndexKey{Version: k.Version, MasterVersion: k.KEKVersion, State: k.State})
	}
	created, err := s.d.IndexKeys.IndexKeyCreated(ctx)
	if err != nil {
		return nil, err
	}
	for v, t := range created {
		for _, k := range iks {
			if k.Version == v && k.State == domain.KeyActive {
				st.ActiveIndex, st.IndexAge = v, now.Sub(t)
				st.IndexRotationDue = t.Add(s.o.IndexRotationPeriod)
				st.IndexOverdue = now.After(st.IndexRotationDue)
			}
		}
	}
	if st.MasterRotation, err = s.d.MasterKeys.LastRotation(ctx, domain.RotationMaster); err != nil {
		return nil, err
	}
	if st.IndexRotation, err = s.d.MasterKeys.LastRotation(ctx, domain.RotationIndex); err != nil {
		return nil, err
	}
	leases, err := s.d.Leases.Leases(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range leases {
		if l.Name == domain.LeaseKeyRotation && l.ExpiresAt.After(now) {
			st.RotationLease = &l
		}
	}
	if err := s.d.Keyring.ReloadErasureTree(ctx); err == nil {
		st.ErasureTree, _ = s.d.Keyring.ErasureTree()
	}
	if st.PendingShreds, err = s.d.DataKeys.CountPendingShreds(ctx); err != nil {
		return nil, err
	}
	return st, nil
}
