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
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/shred"
)

// Wrapper wraps and unwraps data keys under versioned master keys and
// derives their per-key wrapping keys from the erasure tree; the keyring
// implements it.
type Wrapper interface {
	Wrap(ctx context.Context, plaintext, aad []byte) (int, []byte, error)
	Unwrap(ctx context.Context, v int, wrapped, aad []byte) ([]byte, error)
	// LeafKey derives the wrapping key of an erasure-tree leaf, or
	// masterkey.ErrErased once the leaf is punctured.
	LeafKey(leaf uint64) ([32]byte, error)
}

// ErrErased is returned for a record whose data key has been destroyed:
// its sealed fields are gone for good. It is the keyring's error for a
// punctured leaf too, so a database copy made before an erasure reads the
// customer as erased.
var ErrErased = masterkey.ErrErased

// ErrUnwrap is returned when a wrapped data key does not unwrap: the
// wrong master key, or a tampered value.
var ErrUnwrap = masterkey.ErrUnwrap

// ErrOpen is returned when a sealed value does not open: it was tampered
// with, or moved to another row, column or key.
var ErrOpen = errors.New("vault: sealed value does not open (tampered or misplaced)")

// WrappedKey is a data key as stored: its id, the master key version it is
// wrapped under, the wrapped bytes and its erasure-tree leaf.
//
// A data key is wrapped twice. The inner layer is AES-256-GCM under the
// key of its own erasure-tree leaf (random 64-bit leaf number): format
// byte 1, leaf (8 bytes, big-endian), nonce (12), ciphertext and tag. The
// outer layer wraps that under the master key (inside the HSM with
// PKCS#11). Rotation rewraps only the outer layer; erasure punctures the
// leaf, which no copy of the database can undo.
type WrappedKey struct {
	ID         domain.ID
	KEKVersion int
	Wrapped    []byte
	Leaf       uint64
}

const innerFormat = 1

func leafAAD(id domain.ID, leaf uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte("custos/dek-leaf/v1\x00"+string(id)+"\x00"), leaf)
}

// leafBlockBits is how many leaves a block holds (2^24): the erasure
// tree derives consecutive leaves of a block in a level or two.
const leafBlockBits = 64 - shred.BlockDepth

// nextLeaf allocates a fresh erasure-tree leaf: consecutive leaves within
// a block chosen at random (a new block when one is used up). Leaves are
// unique: within a process by the counter, across processes and nodes by
// the 40-bit random block (two processes share a block with probability
// ~n²/2⁴¹ for n blocks ever drawn).
func (v *Vault) nextLeaf() (uint64, error) {
	v.leafMu.Lock()
	defer v.leafMu.Unlock()
	if !v.leafOK || v.leafNext&(1<<leafBlockBits-1) == 0 {
		var lb [8]byte
		if _, err := rand.Read(lb[:]); err != nil {
			return 0, err
		}
		// Leaf 0 of a block is skipped so a fresh block is recognisable.
		v.leafNext = binary.BigEndian.Uint64(lb[:])&^(1<<leafBlockBits-1) | 1
		v.leafOK = true
	}
	leaf := v.leafNext
	v.leafNext++
	return leaf, nil
}

// sealInner wraps raw under a fresh leaf.
func (v *Vault) sealInner(id domain.ID, raw []byte) ([]byte, uint64, error) {
	leaf, err := v.nextLeaf()
	if err != nil {
		return nil, 0, err
	}
	var lb [8]byte
	binary.BigEndian.PutUint64(lb[:], leaf)
	lk, err := v.w.LeafKey(leaf)
	if err != nil {
		return nil, 0, fmt.Errorf("derive leaf key: %w", err)
	}
	aead, err := newAEAD(lk[:])
	clear(lk[:])
	if err != nil {
		return nil, 0, err
	}
	out := make([]byte, 9, 9+aead.NonceSize()+len(raw)+aead.Overhead())
	out[0] = innerFormat
	copy(out[1:], lb[:])
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, 0, err
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, raw, leafAAD(id, leaf)), leaf, nil
}

// openInner opens an inner layer, returning the data key and its leaf.
func (v *Vault) openInner(id domain.ID, inner []byte) ([]byte, uint64, error) {
	if len(inner) < 9+12+16 || inner[0] != innerFormat {
		return nil, 0, fmt.Errorf("data key %s: unknown wrapped key format", id)
	}
	leaf := binary.BigEndian.Uint64(inner[1:9])
	lk, err := v.w.LeafKey(leaf)
	if err != nil {
		return nil, leaf, err
	}
	aead, err := newAEAD(lk[:])
	clear(lk[:])
	if err != nil {
		return nil, leaf, err
	}
	raw, err := aead.Open(nil, inner[9:21], inner[21:], leafAAD(id, leaf))
	if err != nil {
		return nil, leaf, fmt.Errorf("data key %s: inner layer does not open: %w", id, ErrOpen)
	}
	return raw, leaf, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Vault creates and opens data keys.
type Vault struct {
	w     Wrapper
	cache *keyCache

	leafMu   sync.Mutex
	leafOK   bool
	leafNext uint64
}

// New returns a vault wrapping data keys with w and caching up to
// cacheSize unwrapped keys.
func New(w Wrapper, cacheSize int) (*Vault, error) {
	if cacheSize < 1 {
		cacheSize = 1
	}
	c, err := newKeyCache(cacheSize)
	if err != nil {
		return nil, err
	}
	return &Vault{w: w, cache: c}, nil
}

// DataKeyAAD is the associated data binding a wrapped data key's outer
// layer to its id.
func DataKeyAAD(id domain.ID) []byte { return wrapAAD(id) }

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
	defer clear(raw)
	id := domain.NewID(domain.KindDataKey)
	inner, leaf, err := v.sealInner(id, raw)
	if err != nil {
		return nil, WrappedKey{}, fmt.Errorf("wrap data key: %w", err)
	}
	ver, wrapped, err := v.w.Wrap(ctx, inner, wrapAAD(id))
	if err != nil {
		return nil, WrappedKey{}, fmt.Errorf("wrap data key: %w", err)
	}
	k, err := newKey(id, raw)
	if err != nil {
		return nil, WrappedKey{}, err
	}
	v.cache.add(k, raw)
	return k, WrappedKey{ID: id, KEKVersion: ver, Wrapped: wrapped, Leaf: leaf}, nil
}

// Key returns the unwrapped data key for wk, from the cache when present.
// A nil or empty wrapped key means the key was destroyed: ErrErased.
func (v *Vault) Key(ctx context.Context, wk WrappedKey) (*Key, error) {
	if len(wk.Wrapped) == 0 {
		return nil, ErrErased
	}
	if k, ok := v.Cached(wk.ID); ok {
		return k, nil
	}
	inner, err := v.w.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, wrapAAD(wk.ID))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key %s (master key v%d): %w", wk.ID, wk.KEKVersion, err)
	}
	raw, _, err := v.openInner(wk.ID, inner)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key %s: %w", wk.ID, err)
	}
	defer clear(raw)
	k, err := newKey(wk.ID, raw)
	if err != nil {
		return nil, err
	}
	v.cache.add(k, raw)
	return k, nil
}

// Releaf moves a data key to a fresh erasure-tree leaf (when another key
// shares the leaf about to be punctured), wrapping it under the active
// master key.
func (v *Vault) Releaf(ctx context.Context, wk WrappedKey) (WrappedKey, error) {
	inner, err := v.w.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, wrapAAD(wk.ID))
	if err != nil {
		return WrappedKey{}, fmt.Errorf("unwrap data key %s: %w", wk.ID, err)
	}
	raw, _, err := v.openInner(wk.ID, inner)
	if err != nil {
		return WrappedKey{}, err
	}
	defer clear(raw)
	fresh, leaf, err := v.sealInner(wk.ID, raw)
	if err != nil {
		return WrappedKey{}, err
	}
	ver, w, err := v.w.Wrap(ctx, fresh, wrapAAD(wk.ID))
	if err != nil {
		return WrappedKey{}, err
	}
	return WrappedKey{ID: wk.ID, KEKVersion: ver, Wrapped: w, Leaf: leaf}, nil
}

// Rewrap unwraps the outer layer of wk and wraps it again under the
// active master key (key rotation: the data key, its leaf and the data
// stay the same; the erasure tree is not consulted).
func (v *Vault) Rewrap(ctx context.Context, wk WrappedKey) (WrappedKey, error) {
	inner, err := v.w.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, wrapAAD(wk.ID))
	if err != nil {
		return WrappedKey{}, fmt.Errorf("unwrap data key %s (master key v%d): %w", wk.ID, wk.KEKVersion, err)
	}
	ver, wrapped, err := v.w.Wrap(ctx, inner, wrapAAD(wk.ID))
	clear(inner)
	if err != nil {
		return WrappedKey{}, fmt.Errorf("rewrap data key %s: %w", wk.ID, err)
	}
	return WrappedKey{ID: wk.ID, KEKVersion: ver, Wrapped: wrapped, Leaf: wk.Leaf}, nil
}

// RewrapTo is Rewrap under master key version ver rather than the active
// one (a rotation names its target version explicitly).
func (v *Vault) RewrapTo(ctx context.Context, wk WrappedKey, ver int) (WrappedKey, error) {
	vw, ok := v.w.(interface {
		WrapVersion(ctx context.Context, v int, plaintext, aad []byte) ([]byte, error)
	})
	if !ok {
		return WrappedKey{}, errors.New("vault: the wrapper cannot wrap under a chosen version")
	}
	inner, err := v.w.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, wrapAAD(wk.ID))
	if err != nil {
		return WrappedKey{}, fmt.Errorf("unwrap data key %s (master key v%d): %w", wk.ID, wk.KEKVersion, err)
	}
	wrapped, err := vw.WrapVersion(ctx, ver, inner, wrapAAD(wk.ID))
	clear(inner)
	if err != nil {
		return WrappedKey{}, fmt.Errorf("rewrap data key %s: %w", wk.ID, err)
	}
	return WrappedKey{ID: wk.ID, KEKVersion: ver, Wrapped: wrapped, Leaf: wk.Leaf}, nil
}

// Forget drops a data key from the cache (after it is destroyed).
func (v *Vault) Forget(id domain.ID) { v.cache.remove(id) }

// CacheLen returns how many unwrapped keys are cached.
func (v *Vault) CacheLen() int { return v.cache.len() }

// Key is an unwrapped data key ready to seal and open field values.
type Key struct {
	id   domain.ID
	aead cipher.AEAD
}

func newKey(id domain.ID, raw []byte) (*Key, error) {
	aead, err := newAEAD(raw)
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
	return k.appendAAD(make([]byte, 0, 64+len(p.Table)+len(p.Record)+len(p.Field)+len(k.id)), p)
}

// appendAAD appends the associated data of place p to b.
func (k *Key) appendAAD(b []byte, p Place) []byte {
	b = append(b, "custos/field/v1"...)
	for _, s := range [4]string{p.Table, string(p.Record), p.Field, string(k.id)} {
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	return b
}

// openScratch holds the associated data and plaintext of an Open, so
// reading a page of records does not allocate both for every field.
var openScratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

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
	bp := openScratch.Get().(*[]byte)
	defer openScratch.Put(bp)
	aad := k.appendAAD((*bp)[:0], p)
	ct := sealed[1+ns:]
	if cap(aad)-len(aad) < len(ct) {
		aad = append(make([]byte, 0, len(aad)+len(ct)), aad...)
	}
	// The plaintext goes right after the associated data in the scratch
	// buffer; string() copies it out before the buffer is reused.
	pt, err := k.aead.Open(aad[len(aad):], sealed[1:1+ns], ct, aad)
	if cap(aad) <= 64<<10 {
		*bp = aad[:0]
	}
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}

// NamedAAD is the associated data binding a named secret to its name.
func NamedAAD(name string) []byte { return namedAAD(name) }

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

// IsCached reports whether data key id is in the cache, without building
// its cipher or changing its place in the eviction order.
func (v *Vault) IsCached(id domain.ID) bool { return v.cache.contains(id) }

// Cached returns the unwrapped data key id if it is in the cache. Callers
// must already know the record is not erased (its row says so): a key
// destroyed on another node may linger in this node's cache.
func (v *Vault) Cached(id domain.ID) (*Key, bool) {
	return v.cache.get(id)
}
