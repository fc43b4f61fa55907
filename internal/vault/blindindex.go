package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/crypto/hkdf"
)

// IndexField is a field with a blind index: a stable numeric code stored
// with each entry and how many bytes of the HMAC are kept.
type IndexField struct {
	Code   int
	Name   string
	Length int // bytes of HMAC-SHA256 kept
	Unique bool
}

// Blind-indexed fields. Identifiers keep 16 bytes: they are unique, so
// there is nothing to hide among and a longer tag only prevents false
// matches. Partial-search tokens keep 2 bytes (65,536 buckets): many
// tokens share a bucket, so the index alone does not tell which customers
// share a rare name, word or number; matches are confirmed by decrypting.
// Each field has its own key: a phone suffix and a name bigram with the
// same text have unrelated tags.
var (
	IndexPhone     = IndexField{Code: 1, Name: "phone", Length: 16, Unique: true}
	IndexEmail     = IndexField{Code: 2, Name: "email", Length: 16, Unique: true}
	IndexIDNumber  = IndexField{Code: 3, Name: "id_number", Length: 16, Unique: true}
	IndexTaxID     = IndexField{Code: 4, Name: "tax_id", Length: 16, Unique: true}
	IndexNameToken = IndexField{Code: 5, Name: "name_token", Length: 2} // Chinese surnames
	// IndexPhoneSuffix holds the last 4 and last 6 digits of a phone.
	IndexPhoneSuffix = IndexField{Code: 6, Name: "phone_suffix", Length: 2}
	// IndexNameGram holds bigrams of CJK names and prefixes of words.
	IndexNameGram = IndexField{Code: 7, Name: "name_gram", Length: 2}
	// IndexEmailLocal holds the local part of an email address.
	IndexEmailLocal = IndexField{Code: 8, Name: "email_local", Length: 2}
	// IndexCompanyName holds the folded name of each company customer
	// (domain.CompanyNameKey), for duplicate checks: not unique (names
	// are not identifiers, and older records may share one), and kept
	// long, because a match must not depend on decrypting candidates.
	IndexCompanyName = IndexField{Code: 9, Name: "company_name", Length: 16}
)

// IndexKeyName is the name a blind-index root key of version v is wrapped
// under (WrapNamed): a wrapped key moved to another name does not unwrap.
func IndexKeyName(v int) string { return "blind-index-root/" + strconv.Itoa(v) }

// IndexFields lists every blind-indexed field.
var IndexFields = []IndexField{IndexPhone, IndexEmail, IndexIDNumber, IndexTaxID, IndexNameToken,
	IndexPhoneSuffix, IndexNameGram, IndexEmailLocal, IndexCompanyName}

// BlindIndex computes blind indexes: HMAC-SHA256 over the normalized value
// with a key derived per field (HKDF-SHA256) from a versioned index root
// key that is separate from every encryption key.
type BlindIndex struct {
	mu     sync.RWMutex
	active int
	roots  map[int]*indexVersion
}

type indexVersion struct {
	pools map[int]*sync.Pool // per field code: *hmacState
}

// NewBlindIndex returns an empty index; add root keys with AddVersion.
func NewBlindIndex() *BlindIndex {
	return &BlindIndex{roots: map[int]*indexVersion{}}
}

// AddVersion installs root key version v (32 bytes).
func (b *BlindIndex) AddVersion(v int, root []byte) error {
	if len(root) != 32 {
		return fmt.Errorf("blind index root key v%d has %d bytes, want 32", v, len(root))
	}
	iv := &indexVersion{pools: map[int]*sync.Pool{}}
	for _, f := range IndexFields {
		key := make([]byte, 32)
		r := hkdf.New(sha256.New, root, nil, []byte(fmt.Sprintf("custos/blind-index/v1/%d/%s", f.Code, f.Name)))
		if _, err := io.ReadFull(r, key); err != nil {
			return err
		}
		iv.pools[f.Code] = &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	}
	b.mu.Lock()
	b.roots[v] = iv
	if v > b.active {
		b.active = v
	}
	b.mu.Unlock()
	return nil
}

// Has reports whether version v is installed.
func (b *BlindIndex) Has(v int) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.roots[v] != nil
}

// RemoveVersion uninstalls version v (retired by an index key rotation):
// no more entries are written with it.
func (b *BlindIndex) RemoveVersion(v int) {
	b.mu.Lock()
	delete(b.roots, v)
	b.mu.Unlock()
}

// SetActive makes version v the one new entries are written with.
func (b *BlindIndex) SetActive(v int) {
	b.mu.Lock()
	b.active = v
	b.mu.Unlock()
}

// Active returns the version new entries are written with.
func (b *BlindIndex) Active() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.active
}

// Versions returns the installed versions, ascending.
func (b *BlindIndex) Versions() []int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	vs := make([]int, 0, len(b.roots))
	for v := range b.roots {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}

// ErrIndexVersionNotLoaded is returned by Compute for a version that is
// not (or no longer) loaded.
var ErrIndexVersionNotLoaded = errors.New("blind index key version is not loaded")

// Compute returns the blind index of a normalized value for field f under
// version v.
func (b *BlindIndex) Compute(v int, f IndexField, value string) ([]byte, error) {
	b.mu.RLock()
	iv := b.roots[v]
	b.mu.RUnlock()
	if iv == nil {
		return nil, fmt.Errorf("%w: version %d", ErrIndexVersionNotLoaded, v)
	}
	pool := iv.pools[f.Code]
	h := pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(value))
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	pool.Put(h)
	return append([]byte(nil), out[:f.Length]...), nil
}
