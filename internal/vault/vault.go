// Package vault owns data keys and the sealed form of field values: it
// creates per-record data keys, wraps them under the master key (through
// the keyring), caches unwrapped ones, seals and opens field values with
// AES-256-GCM bound to where they live, and computes blind indexes for
// exact-match search.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/custoscrm/custos/internal/domain"
)

// Wrapper wraps and unwraps data keys under versioned master keys; the
// keyring implements it.
type Wrapper interface {
	Wrap(ctx context.Context, plaintext, aad []byte) (int, []byte, error)
	Unwrap(ctx context.Context, v int, wrapped, aad []byte) ([]byte, error)
}

// ErrErased is returned for a record whose data key has been destroyed:
// its sealed fields are gone for good.
var ErrErased = errors.New("vault: data key destroyed (record erased)")

// ErrOpen is returned when a sealed value does not open: it was tampered
// with, or moved to another row, column or key.
var ErrOpen = errors.New("vault: sealed value does not open (tampered or misplaced)")

// WrappedKey is a data key as stored: its id, the master key version it is
// wrapped under and the wrapped bytes.
type WrappedKey struct {
	ID         domain.ID
	KEKVersion int
	Wrapped    []byte
}

// Vault creates and opens data keys.
type Vault struct {
	w     Wrapper
	cache *lru.Cache[domain.ID, *Key]
}

// New returns a vault wrapping data keys with w and caching up to
// cacheSize unwrapped keys.
func New(w Wrapper, cacheSize int) (*Vault, error) {
	if cacheSize < 1 {
		cacheSize = 1
	}
	c, err := lru.New[domain.ID, *Key](cacheSize)
	if err != nil {
		return nil, err
	}
	return &Vault{w: w, cache: c}, nil
}

func wrapAAD(id domain.ID) []byte {
	return []byte("custos/dek/v1\x00" + string(id))
}

// NewKey creates a data key, wraps it under the active master key and
// returns both forms.
func (v *Vault) NewKey(ctx context.Context) (*Key, WrappedKey, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, WrappedKey{}, fmt.Errorf("generate data key: %w", err)
	}
	id := domain.NewID(domain.KindDataKey)
	ver, wrapped, err := v.w.Wrap(ctx, raw, wrapAAD(id))
	if err != nil {
		return nil, WrappedKey{}, fmt.Errorf("wrap data key: %w", err)
	}
	k, err := newKey(id, raw)
	if err != nil {
		return nil, WrappedKey{}, err
	}
	v.cache.Add(id, k)
	return k, WrappedKey{ID: id, KEKVersion: ver, Wrapped: wrapped}, nil
}

// Key returns the unwrapped data key for wk, from the cache when present.
// A nil or empty wrapped key means the key was destroyed: ErrErased.
func (v *Vault) Key(ctx context.Context, wk WrappedKey) (*Key, error) {
	if len(wk.Wrapped) == 0 {
		return nil, ErrErased
	}
	if k, ok := v.cache.Get(wk.ID); ok {
		return k, nil
	}
	raw, err := v.w.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, wrapAAD(wk.ID))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key %s (master key v%d): %w", wk.ID, wk.KEKVersion, err)
	}
	k, err := newKey(wk.ID, raw)
	if err != nil {
		return nil, err
	}
	v.cache.Add(wk.ID, k)
	return k, nil
}

// Rewrap unwraps wk and wraps it again under the active master key (key
// rotation: the data key and the data stay the same).
func (v *Vault) Rewrap(ctx context.Context, wk WrappedKey) (WrappedKey, error) {
	raw, err := v.w.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, wrapAAD(wk.ID))
	if err != nil {
		return WrappedKey{}, fmt.Errorf("unwrap data key %s (master key v%d): %w", wk.ID, wk.KEKVersion, err)
	}
	ver, wrapped, err := v.w.Wrap(ctx, raw, wrapAAD(wk.ID))
	clear(raw)
	if err != nil {
		return WrappedKey{}, fmt.Errorf("rewrap data key %s: %w", wk.ID, err)
	}
	return WrappedKey{ID: wk.ID, KEKVersion: ver, Wrapped: wrapped}, nil
}

// Forget drops a data key from the cache (after it is destroyed).
func (v *Vault) Forget(id domain.ID) { v.cache.Remove(id) }

// CacheLen returns how many unwrapped keys are cached.
func (v *Vault) CacheLen() int { return v.cache.Len() }

// Key is an unwrapped data key ready to seal and open field values.
type Key struct {
	id   domain.ID
	aead cipher.AEAD
}

func newKey(id domain.ID, raw []byte) (*Key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{id: id, aead: aead}, nil
}

// ID returns the data key's id.
func (k *Key) ID() domain.ID { return k.id }

// sealedVersion is the first byte of every sealed value.
const sealedVersion = 1

// Place says where a sealed value lives. It is bound into the ciphertext
// as associated data, so a value copied to another table, record or field,
// or re-labelled with another key, fails to open.
type Place struct {
	Table  string
	Record domain.ID
	Field  string
}

func (k *Key) aad(p Place) []byte {
	b := make([]byte, 0, 16+len(p.Table)+len(p.Record)+len(p.Field)+len(k.id)+4)
	b = append(b, "custos/field/v1"...)
	for _, s := range []string{p.Table, string(p.Record), p.Field, string(k.id)} {
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return b
}

// Seal encrypts plaintext for place p. The empty string seals to nil so
// absent values stay absent.
func (k *Key) Seal(p Place, plaintext string) []byte {
	if plaintext == "" {
		return nil
	}
	ns := k.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+k.aead.Overhead())
	out[0] = sealedVersion
	_, _ = rand.Read(out[1 : 1+ns])                                   // crypto/rand.Read never fails on supported platforms
	return k.aead.Seal(out, out[1:1+ns], []byte(plaintext), k.aad(p)) //nolint:gosec // G407 false positive: the nonce is random, filled just above
}

// Open decrypts a sealed value for place p. nil opens to "".
func (k *Key) Open(p Place, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	ns := k.aead.NonceSize()
	if sealed[0] != sealedVersion || len(sealed) < 1+ns+k.aead.Overhead() {
		return "", ErrOpen
	}
	pt, err := k.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], k.aad(p))
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}

func namedAAD(name string) []byte {
	return []byte("custos/named-key/v1\x00" + name)
}

// WrapNamed wraps a non-record secret (a blind-index root key, a system
// key) under the active master key, bound to its name.
func (v *Vault) WrapNamed(ctx context.Context, name string, raw []byte) (int, []byte, error) {
	return v.w.Wrap(ctx, raw, namedAAD(name))
}

// UnwrapNamed opens a secret wrapped by WrapNamed.
func (v *Vault) UnwrapNamed(ctx context.Context, name string, kekVersion int, wrapped []byte) ([]byte, error) {
	return v.w.Unwrap(ctx, kekVersion, wrapped, namedAAD(name))
}

// Cached returns the unwrapped data key id if it is in the cache. Callers
// must already know the record is not erased (its row says so): a key
// destroyed on another node may linger in this node's cache.
func (v *Vault) Cached(id domain.ID) (*Key, bool) {
	return v.cache.Get(id)
}
