// Package keyring owns Custos's master keys (key-encryption keys): where
// they live (a file, a passphrase, an HSM), their versions, and wrapping
// and unwrapping data keys under them. Master key material never leaves a
// Provider; callers hand it data keys to wrap.
package keyring

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
	// Close releases the provider's resources.
	Close() error
}

// ErrUnknownVersion is returned for a master key version the provider
// does not hold (never created, or destroyed).
var ErrUnknownVersion = errors.New("keyring: master key version not held by the provider")

// ErrUnwrap is returned when a wrapped key does not open: the wrong master
// key, or a tampered or misplaced value.
var ErrUnwrap = errors.New("keyring: data key does not unwrap (wrong master key or tampered value)")

// Keyring fronts a Provider and tracks which version new keys use.
type Keyring struct {
	p Provider

	mu     sync.RWMutex
	active int
}

// New returns a keyring over p whose active version is the newest p holds.
func New(ctx context.Context, p Provider) (*Keyring, error) {
	k := &Keyring{p: p}
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// Refresh re-reads the provider's versions (after a rotation by another
// process) and makes the newest active.
func (k *Keyring) Refresh(ctx context.Context) error {
	vs, err := k.p.Versions(ctx)
	if err != nil {
		return fmt.Errorf("list master key versions: %w", err)
	}
	if len(vs) == 0 {
		return fmt.Errorf("the %s master key provider holds no key", k.p.Name())
	}
	sort.Ints(vs)
	k.mu.Lock()
	k.active = vs[len(vs)-1]
	k.mu.Unlock()
	return nil
}

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

// Unwrap opens a key wrapped under version v. A version the provider does
// not hold is retried once after a refresh, for a rotation made by another
// process.
func (k *Keyring) Unwrap(ctx context.Context, v int, wrapped, aad []byte) ([]byte, error) {
	pt, err := k.p.Unwrap(ctx, v, wrapped, aad)
	if errors.Is(err, ErrUnknownVersion) {
		if rerr := k.Refresh(ctx); rerr == nil {
			pt, err = k.p.Unwrap(ctx, v, wrapped, aad)
		}
	}
	return pt, err
}

// Close closes the provider.
func (k *Keyring) Close() error { return k.p.Close() }
