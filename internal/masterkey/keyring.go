// Package masterkey owns Custos's master keys (key-encryption keys): where
// they live (a file, a passphrase, an HSM), their versions, wrapping and
// unwrapping data keys under them, and the erasure tree that gives every
// data key its own destroyable wrapping key. Master key material never
// leaves a Provider; callers hand it data keys to wrap.
package masterkey

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Provider holds versioned master keys and wraps data keys with them.
// Implementations: a key file (the default), a passphrase, PKCS#11.
type Provider interface {
	// Name identifies the provider in status output ("file", "pkcs11").
	Name() string
	// Versions lists the versions the provider holds, ascending.
	Versions(ctx context.Context) ([]int, error)
	// Wrap seals a data key under master key version v, binding aad.
	Wrap(ctx context.Context, v int, plaintext, aad []byte) ([]byte, error)
	// Unwrap opens a data key wrapped under version v.
	Unwrap(ctx context.Context, v int, wrapped, aad []byte) ([]byte, error)
	// Create makes a new master key version v.
	Create(ctx context.Context, v int) error
	// Destroy deletes version v for good.
	Destroy(ctx context.Context, v int) error
	// LoadState returns the opaque key state the provider keeps beside its
	// keys (the sealed erasure tree), or nil when there is none.
	LoadState(ctx context.Context) ([]byte, error)
	// StoreState replaces the key state; a crash leaves the old or the new
	// state, never a mix.
	StoreState(ctx context.Context, state []byte) error
	// Close releases the provider's resources.
	Close() error
}

// ErrUnknownVersion is returned for a master key version the provider
// does not hold (never created, or destroyed).
var ErrUnknownVersion = errors.New("masterkey: master key version not held by the provider (destroyed, or the wrong master key for this installation)")

// ErrVersionExists is returned by Create for a version the provider
// already holds.
var ErrVersionExists = errors.New("masterkey: master key version already exists")

// ErrUnwrap is returned when a wrapped key does not open: the wrong master
// key, or a tampered or misplaced value.
var ErrUnwrap = errors.New("masterkey: data key does not unwrap (wrong master key or tampered value)")

// Keyring fronts a Provider: it tracks which version new keys use (the
// database says which; see SetActive) and holds the erasure tree.
type Keyring struct {
	p Provider

	mu     sync.RWMutex
	active int

	tree erasureTree
}

// New returns a keyring over p whose active version is, until SetActive
// says otherwise, the newest p holds.
func New(ctx context.Context, p Provider) (*Keyring, error) {
	k := &Keyring{p: p}
	vs, err := k.versions(ctx)
	if err != nil {
		return nil, err
	}
	k.active = vs[len(vs)-1]
	return k, nil
}

func (k *Keyring) versions(ctx context.Context) ([]int, error) {
	vs, err := k.p.Versions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list master key versions: %w", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("the %s master key provider holds no key", k.p.Name())
	}
	sort.Ints(vs)
	return vs, nil
}

// Versions lists the versions the provider holds, ascending.
func (k *Keyring) Versions(ctx context.Context) ([]int, error) { return k.versions(ctx) }

// SetActive makes version v the one new keys are wrapped with.
func (k *Keyring) SetActive(v int) {
	k.mu.Lock()
	k.active = v
	k.mu.Unlock()
}

// Active returns the version new data keys are wrapped with.
func (k *Keyring) Active() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.active
}

// Provider returns the underlying provider.
func (k *Keyring) Provider() Provider { return k.p }

// Wrap wraps plaintext under the active version and returns the version
// used.
func (k *Keyring) Wrap(ctx context.Context, plaintext, aad []byte) (int, []byte, error) {
	v := k.Active()
	w, err := k.p.Wrap(ctx, v, plaintext, aad)
	if err != nil {
		return 0, nil, err
	}
	return v, w, nil
}

// WrapVersion wraps plaintext under version v.
func (k *Keyring) WrapVersion(ctx context.Context, v int, plaintext, aad []byte) ([]byte, error) {
	return k.p.Wrap(ctx, v, plaintext, aad)
}

// Unwrap opens a key wrapped under version v. Providers reload their
// keys themselves when asked for a version they do not know (a rotation
// made by another process).
func (k *Keyring) Unwrap(ctx context.Context, v int, wrapped, aad []byte) ([]byte, error) {
	return k.p.Unwrap(ctx, v, wrapped, aad)
}

// Close wipes the erasure tree and closes the provider.
func (k *Keyring) Close() error {
	k.tree.wipe()
	return k.p.Close()
}
