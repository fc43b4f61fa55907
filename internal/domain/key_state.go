package domain

import (
	"errors"
	"fmt"
	"time"
)

// The recorded state of Custos's keys, as the key lifecycle service and
// the store exchange it: master and blind-index key versions, rotations in
// progress, erasures waiting to be punctured and the leases that keep
// two processes from rotating at once.

// KeyState is where a master or blind-index key version is in its life.
type KeyState string

// Key states. A new blind-index key is building while its entries are
// written for every customer; a master key is retiring while data keys
// are rewrapped away from it.
const (
	KeyBuilding  KeyState = "building"
	KeyActive    KeyState = "active"
	KeyRetiring  KeyState = "retiring"
	KeyRetired   KeyState = "retired"
	KeyDestroyed KeyState = "destroyed"
)

// RotationKind says which key a rotation replaces.
type RotationKind string

// Rotation kinds.
const (
	RotationMaster RotationKind = "master"
	RotationIndex  RotationKind = "index"
)

// RotationPhase is how far a rotation has come.
type RotationPhase string

// Rotation phases.
const (
	PhaseRewrap  RotationPhase = "rewrap"  // master: rewrapping data keys, index keys and the erasure tree
	PhaseBuild   RotationPhase = "build"   // index: writing entries under the new key
	PhaseSwitch  RotationPhase = "switch"  // index: new key active; old still written until retired
	PhaseCleanup RotationPhase = "cleanup" // index: old key retired; its entries being deleted
	PhaseDone    RotationPhase = "done"
)

// Rotation is one key rotation's recorded progress.
type Rotation struct {
	ID         int64
	Kind       RotationKind
	From, To   int
	Phase      RotationPhase
	Total      int64
	Done       int64
	Cursor     string
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time
}

// MasterKeyInfo is one master key version as the database knows it.
type MasterKeyInfo struct {
	Version   int
	State     KeyState
	CreatedAt time.Time
	RetiredAt time.Time
	// DataKeys and IndexKeys count the keys wrapped under the version.
	DataKeys  int64
	IndexKeys int64
}

// WrappedSecret is a named secret (a blind-index root key, a checkpoint
// signing key) as stored: wrapped under a master key version.
type WrappedSecret struct {
	Version    int
	KEKVersion int
	Wrapped    []byte
	State      KeyState // blind-index keys only
}

// PendingShred is a destroyed data key whose erasure-tree leaf is not yet
// punctured.
type PendingShred struct {
	DataKeyID ID
	Leaf      uint64
}

// Lease names.
const (
	// LeaseKeyRotation is held by the one master or index key rotation
	// that may run at a time.
	LeaseKeyRotation = "key-rotation"
	// LeaseErasureTree serializes changes to the erasure tree (punctures
	// and reseals) across processes.
	LeaseErasureTree = "erasure-tree"
)

// Lease describes a held lease.
type Lease struct {
	Name, Holder     string
	Since, ExpiresAt time.Time
}

// LeaseHeldError says another process holds a lease.
type LeaseHeldError struct {
	Name    string
	Holder  string
	Since   time.Time
	Expires time.Time
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("%s is held by %s since %s (until %s unless renewed)", e.Name, e.Holder,
		e.Since.UTC().Format(time.RFC3339), e.Expires.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrConflict }

// ErrLeaseLost is returned when renewing a lease that expired and was
// taken by another holder.
var ErrLeaseLost = errors.New("lease lost to another holder")
