package masterkey

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/custoscrm/custos/internal/shred"
)

// The erasure tree is sealed under a master key version and kept by the
// provider (LoadState/StoreState), never in the database: a database copy
// made before an erasure must not carry the unpunctured tree.

const stateMagic = "custos-erasure-state/v1\x00"

// ErrNoErasureTree is returned when the provider holds no erasure tree.
var ErrNoErasureTree = errors.New("masterkey: the master key provider holds no erasure tree")

// ErrErased is returned for a leaf that has been punctured: the data key
// under it was destroyed by an erasure.
var ErrErased = errors.New("masterkey: data key destroyed by an erasure")

func stateAAD(v int) []byte {
	return binary.BigEndian.AppendUint32([]byte("custos/erasure-tree/v1\x00"), version32(v))
}

// version32 encodes a master key version (small and positive) in 4 bytes.
func version32(v int) uint32 { return uint32(min(max(v, 0), 1<<31)) } //nolint:gosec // clamped on the line itself

type erasureTree struct {
	mu      sync.RWMutex
	t       *shred.Tree
	version int    // master key version the stored state is sealed under
	sealed  []byte // the stored state as last loaded or written
}

func (e *erasureTree) wipe() {
	e.mu.Lock()
	if e.t != nil {
		e.t.Wipe()
		e.t = nil
	}
	e.mu.Unlock()
}

// readState loads and opens the provider's erasure tree.
func (k *Keyring) readState(ctx context.Context) (*shred.Tree, int, []byte, error) {
	raw, err := k.p.LoadState(ctx)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("load erasure tree: %w", err)
	}
	if len(raw) == 0 {
		return nil, 0, nil, ErrNoErasureTree
	}
	if len(raw) < len(stateMagic)+4 || string(raw[:len(stateMagic)]) != stateMagic {
		return nil, 0, nil, errors.New("masterkey: the provider's erasure tree is malformed or truncated")
	}
	v := int(binary.BigEndian.Uint32(raw[len(stateMagic):]))
	plain, err := k.p.Unwrap(ctx, v, raw[len(stateMagic)+4:], stateAAD(v))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("the erasure tree does not open under master key v%d: %w", v, err)
	}
	t, err := shred.Unmarshal(plain)
	clear(plain)
	if err != nil {
		return nil, 0, nil, err
	}
	return t, v, raw, nil
}

// writeState seals t under version v and stores it.
func (k *Keyring) writeState(ctx context.Context, t *shred.Tree, v int) ([]byte, error) {
	plain, err := t.MarshalBinary()
	if err != nil {
		return nil, err
	}
	w, err := k.p.Wrap(ctx, v, plain, stateAAD(v))
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("seal erasure tree: %w", err)
	}
	raw := binary.BigEndian.AppendUint32([]byte(stateMagic), version32(v))
	raw = append(raw, w...)
	if err := k.p.StoreState(ctx, raw); err != nil {
		return nil, fmt.Errorf("store erasure tree: %w", err)
	}
	return raw, nil
}

func (k *Keyring) install(t *shred.Tree, v int, raw []byte) {
	k.tree.mu.Lock()
	old := k.tree.t
	k.tree.t, k.tree.version, k.tree.sealed = t, v, raw
	k.tree.mu.Unlock()
	if old != nil && old != t {
		old.Wipe()
	}
}

// LoadErasureTree reads the provider's erasure tree into memory. It
// returns ErrNoErasureTree when the provider has none (a fresh install).
func (k *Keyring) LoadErasureTree(ctx context.Context) error {
	t, v, raw, err := k.readState(ctx)
	if err != nil {
		return err
	}
	k.install(t, v, raw)
	return nil
}

// ReloadErasureTree re-reads the tree if the provider's copy changed (a
// puncture or reseal by another process). Unchanged state costs one read.
func (k *Keyring) ReloadErasureTree(ctx context.Context) error {
	raw, err := k.p.LoadState(ctx)
	if err != nil {
		return fmt.Errorf("load erasure tree: %w", err)
	}
	k.tree.mu.RLock()
	same := string(raw) == string(k.tree.sealed)
	k.tree.mu.RUnlock()
	if same {
		return nil
	}
	return k.LoadErasureTree(ctx)
}

// CreateErasureTree makes a fresh tree sealed under the active version.
// It refuses when the provider already holds one: replacing it would make
// every existing data key unreadable. Callers serialize it across
// processes (a fresh installation, or a database lease).
func (k *Keyring) CreateErasureTree(ctx context.Context) error {
	if _, _, _, err := k.readState(ctx); !errors.Is(err, ErrNoErasureTree) {
		if err == nil {
			return errors.New("masterkey: the provider already holds an erasure tree")
		}
		return err
	}
	t, err := shred.New()
	if err != nil {
		return err
	}
	v := k.Active()
	raw, err := k.writeState(ctx, t, v)
	if err != nil {
		return err
	}
	k.install(t, v, raw)
	return nil
}

// LeafKey derives the wrapping key of leaf from the tree in memory, or
// ErrErased for a punctured leaf.
func (k *Keyring) LeafKey(leaf uint64) ([shred.SeedSize]byte, error) {
	k.tree.mu.RLock()
	defer k.tree.mu.RUnlock()
	if k.tree.t == nil {
		return [shred.SeedSize]byte{}, ErrNoErasureTree
	}
	key, err := k.tree.t.Key(leaf)
	if errors.Is(err, shred.ErrPunctured) {
		return key, ErrErased
	}
	return key, err
}

// Puncture destroys the wrapping keys of leaves for good: it re-reads the
// provider's tree, punctures it, seals it under the active version and
// stores it. Callers serialize changes to the tree across processes.
func (k *Keyring) Puncture(ctx context.Context, leaves ...uint64) error {
	return k.mutate(ctx, -k.Active(), func(t *shred.Tree) {
		for _, l := range leaves {
			t.Puncture(l)
		}
	})
}

// ResealErasureTree seals the tree under version v (key rotation).
func (k *Keyring) ResealErasureTree(ctx context.Context, v int) error {
	return k.mutate(ctx, v, func(*shred.Tree) {})
}

// mutate re-reads the tree, edits it and seals it under version v. A
// negative v means "at least -v": a puncture by a process that has not yet
// noticed a rotation keeps the newer version a rotation sealed it under.
func (k *Keyring) mutate(ctx context.Context, v int, edit func(*shred.Tree)) error {
	t, sealed, _, err := k.readState(ctx)
	if err != nil {
		return err
	}
	if v < 0 {
		v = max(-v, sealed)
	}
	edit(t)
	raw, err := k.writeState(ctx, t, v)
	if err != nil {
		t.Wipe()
		return err
	}
	k.install(t, v, raw)
	return nil
}

// ErasureTreeInfo describes the tree for status output.
type ErasureTreeInfo struct {
	SealedUnder int    // master key version
	Punctures   uint64 // erasures made
	Seeds       int    // seeds stored
	Bytes       int    // size of the sealed state
}

// ErasureTree reports on the tree in memory.
func (k *Keyring) ErasureTree() (ErasureTreeInfo, bool) {
	k.tree.mu.RLock()
	defer k.tree.mu.RUnlock()
	if k.tree.t == nil {
		return ErasureTreeInfo{}, false
	}
	return ErasureTreeInfo{SealedUnder: k.tree.version, Punctures: k.tree.t.Punctures(),
		Seeds: k.tree.t.Seeds(), Bytes: len(k.tree.sealed)}, true
}
