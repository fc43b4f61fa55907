package masterkey

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"
)

const passphraseFileFormat = "custos-passphrase-key/v1" //nolint:gosec // a format name, not a credential

// MinPassphraseLength is the shortest passphrase accepted (in characters).
const MinPassphraseLength = 16

// Argon2Params are the argon2id parameters that stretch the passphrase.
type Argon2Params struct {
	MemoryKiB   uint32 `json:"memory_kib"`
	Iterations  uint32 `json:"iterations"`
	Parallelism uint8  `json:"parallelism"`
}

// DefaultPassphraseArgon2 is used for new passphrase files: 64 MiB, three
// passes (stronger than OWASP's password minimum: it runs once per start).
var DefaultPassphraseArgon2 = Argon2Params{MemoryKiB: 64 * 1024, Iterations: 3, Parallelism: 1}

// passphraseFile is the on-disk form: no key, only what is needed to
// derive the keys from the passphrase and check it.
type passphraseFile struct {
	Format   string           `json:"format"`
	KDF      string           `json:"kdf"`
	Params   Argon2Params     `json:"params"`
	Salt     string           `json:"salt"` // base64, 16+ bytes
	Versions []passphraseItem `json:"versions"`
	State    string           `json:"erasure_state,omitempty"`
}

type passphraseItem struct {
	Version int       `json:"version"`
	Salt    string    `json:"salt"`  // base64, per-version HKDF salt
	Check   string    `json:"check"` // base64 HMAC key-check value
	Created time.Time `json:"created"`
}

func (it passphraseItem) version() int { return it.Version }

// PassphraseProvider derives master keys from a passphrase: argon2id
// stretches it (salt and parameters in a small file, mode 0600) into a
// root key, and each version's key is HKDF-SHA256 of the root with that
// version's own salt. Destroying a version deletes its salt. A key-check
// value per version tells a wrong passphrase from a damaged database.
type PassphraseProvider struct {
	path string

	t versionTable[cipher.AEAD]

	mu      sync.RWMutex // guards root, rootFor and pass
	root    []byte
	rootFor string // salt+params the root was derived for
	pass    []byte
}

// ErrWrongPassphrase is returned when the passphrase does not match the
// passphrase file's key-check values.
var ErrWrongPassphrase = errors.New("masterkey: wrong master key passphrase")

// CreatePassphraseFile writes a new passphrase file at path holding
// version 1, refusing to overwrite an existing file or to accept a short
// passphrase.
func CreatePassphraseFile(path, passphrase string, params Argon2Params) error {
	if err := checkPassphrase(passphrase); err != nil {
		return err
	}
	if params.MemoryKiB < 8 || params.Iterations < 1 || params.Parallelism < 1 {
		return errors.New("argon2id parameters too small")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	pf := &passphraseFile{Format: passphraseFileFormat, KDF: "argon2id", Params: params,
		Salt: base64.StdEncoding.EncodeToString(salt)}
	root := argon2.IDKey([]byte(passphrase), salt, params.Iterations, params.MemoryKiB, params.Parallelism, 32)
	defer clear(root)
	it, err := newPassphraseItem(root, 1)
	if err != nil {
		return err
	}
	pf.Versions = []passphraseItem{it}
	b, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // the operator configures the path
	if err != nil {
		return fmt.Errorf("create passphrase key file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return fmt.Errorf("write passphrase key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func checkPassphrase(p string) error {
	if !utf8.ValidString(p) {
		return errors.New("the master key passphrase is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(p); n < MinPassphraseLength {
		return fmt.Errorf("the master key passphrase has %d characters; use at least %d", n, MinPassphraseLength)
	}
	if len(p) > 1024 {
		return errors.New("the master key passphrase is longer than 1024 bytes")
	}
	return nil
}

func newPassphraseItem(root []byte, v int) (passphraseItem, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return passphraseItem{}, err
	}
	key, err := versionKey(root, salt, v)
	if err != nil {
		return passphraseItem{}, err
	}
	defer clear(key)
	return passphraseItem{Version: v, Salt: base64.StdEncoding.EncodeToString(salt),
		Check: base64.StdEncoding.EncodeToString(checkValue(key, v)), Created: time.Now().UTC()}, nil
}

func versionKey(root, salt []byte, v int) ([]byte, error) {
	key := make([]byte, 32)
	r := hkdf.New(sha256.New, root, salt, []byte("custos/passphrase-master-key/v1/"+strconv.Itoa(v)))
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, err
	}
	return key, nil
}

// checkValue is a key-check value: HMAC-SHA256 under a key derived from
// the version key, so the value reveals nothing about the key itself.
func checkValue(key []byte, v int) []byte {
	ck := make([]byte, 32)
	r := hkdf.New(sha256.New, key, nil, []byte("custos/key-check/v1"))
	_, _ = io.ReadFull(r, ck)
	m := hmac.New(sha256.New, ck)
	m.Write([]byte("custos/key-check/v1/" + strconv.Itoa(v)))
	clear(ck)
	return m.Sum(nil)[:16]
}

// OpenPassphrase opens the passphrase file at path with passphrase. A
// passphrase that does not match is ErrWrongPassphrase.
func OpenPassphrase(path, passphrase string) (*PassphraseProvider, error) {
	if passphrase == "" {
		return nil, errors.New("no master key passphrase given (set CUSTOS_MASTER_PASSPHRASE, give --master-passphrase-file, or run on a terminal to be asked)")
	}
	p := &PassphraseProvider{path: path, pass: []byte(passphrase)}
	if err := p.load(); err != nil {
		return nil, err
	}
	return p, nil
}

const maxPassphraseFileSize = 256 << 20

func readPassphraseFile(path string) (*passphraseFile, error) {
	b, err := readPrivateFile(path, "passphrase key file", maxPassphraseFileSize)
	if err != nil {
		return nil, err
	}
	pf, err := parsePassphraseFile(b)
	if err != nil {
		return nil, fmt.Errorf("passphrase key file %s: %w", path, err)
	}
	return pf, nil
}

func parsePassphraseFile(b []byte) (*passphraseFile, error) {
	if len(b) == 0 {
		return nil, errors.New("the file is empty (truncated?)")
	}
	var pf passphraseFile
	if err := DecodeStrictJSON(b, &pf); err != nil {
		return nil, err
	}
	if pf.Format != passphraseFileFormat {
		return nil, fmt.Errorf("format %q, want %q", pf.Format, passphraseFileFormat)
	}
	if pf.KDF != "argon2id" {
		return nil, fmt.Errorf("kdf %q, want argon2id", pf.KDF)
	}
	if pf.Params.MemoryKiB < 8 || pf.Params.MemoryKiB > 4<<20 || pf.Params.Iterations < 1 || pf.Params.Iterations > 64 || pf.Params.Parallelism < 1 {
		return nil, errors.New("argon2id parameters out of range")
	}
	if s, err := base64.StdEncoding.DecodeString(pf.Salt); err != nil || len(s) < 16 {
		return nil, errors.New("salt is not 16+ bytes of base64")
	}
	if len(pf.Versions) == 0 {
		return nil, errors.New("holds no key version")
	}
	seen := map[int]bool{}
	for _, it := range pf.Versions {
		if it.Version < 1 || seen[it.Version] {
			return nil, fmt.Errorf("version %d is invalid or repeated", it.Version)
		}
		seen[it.Version] = true
		if s, err := base64.StdEncoding.DecodeString(it.Salt); err != nil || len(s) < 16 {
			return nil, fmt.Errorf("version %d: salt is not 16+ bytes of base64", it.Version)
		}
		if c, err := base64.StdEncoding.DecodeString(it.Check); err != nil || len(c) != 16 {
			return nil, fmt.Errorf("version %d: check value is not 16 bytes of base64", it.Version)
		}
	}
	if _, err := base64.StdEncoding.DecodeString(pf.State); err != nil {
		return nil, errors.New("erasure_state is not base64")
	}
	return &pf, nil
}

func (p *PassphraseProvider) load() error {
	pf, err := readPassphraseFile(p.path)
	if err != nil {
		return err
	}
	salt, _ := base64.StdEncoding.DecodeString(pf.Salt)
	rootFor := fmt.Sprintf("%s/%d/%d/%d", pf.Salt, pf.Params.MemoryKiB, pf.Params.Iterations, pf.Params.Parallelism)
	p.mu.RLock()
	root := p.root
	if p.rootFor != rootFor {
		root = nil
	}
	p.mu.RUnlock()
	if root == nil {
		root = argon2.IDKey(p.pass, salt, pf.Params.Iterations, pf.Params.MemoryKiB, pf.Params.Parallelism, 32)
	}
	keys := make(map[int]cipher.AEAD, len(pf.Versions))
	for _, it := range pf.Versions {
		vsalt, _ := base64.StdEncoding.DecodeString(it.Salt)
		key, err := versionKey(root, vsalt, it.Version)
		if err != nil {
			return err
		}
		want, _ := base64.StdEncoding.DecodeString(it.Check)
		if subtle.ConstantTimeCompare(checkValue(key, it.Version), want) != 1 {
			clear(key)
			return fmt.Errorf("%w (key-check value of version %d in %s does not match)", ErrWrongPassphrase, it.Version, p.path)
		}
		a, err := newGCM(key)
		clear(key)
		if err != nil {
			return err
		}
		keys[it.Version] = a
	}
	state, _ := base64.StdEncoding.DecodeString(pf.State)
	p.mu.Lock()
	p.root, p.rootFor = root, rootFor
	p.mu.Unlock()
	p.t.set(keys, state)
	return nil
}

// Name implements Provider.
func (p *PassphraseProvider) Name() string { return "passphrase" }

// Versions implements Provider.
func (p *PassphraseProvider) Versions(context.Context) ([]int, error) { return p.t.versions(p.load) }

func (p *PassphraseProvider) aead(v int) (cipher.AEAD, error) { return p.t.get(v, p.load) }

// Wrap implements Provider (AES-256-GCM, random 96-bit nonce).
func (p *PassphraseProvider) Wrap(_ context.Context, v int, plaintext, aad []byte) ([]byte, error) {
	a, err := p.aead(v)
	if err != nil {
		return nil, err
	}
	return sealRandomNonce(a, plaintext, aad)
}

// Unwrap implements Provider.
func (p *PassphraseProvider) Unwrap(_ context.Context, v int, wrapped, aad []byte) ([]byte, error) {
	a, err := p.aead(v)
	if err != nil {
		return nil, err
	}
	return openRandomNonce(a, wrapped, aad)
}

// Create implements Provider: a new version with its own salt.
func (p *PassphraseProvider) Create(_ context.Context, v int) error {
	return p.rewrite(func(pf *passphraseFile) error {
		if err := addVersion(pf.Versions, v, passphraseItem.version); err != nil {
			return err
		}
		p.mu.RLock()
		root := p.root
		p.mu.RUnlock()
		it, err := newPassphraseItem(root, v)
		if err != nil {
			return err
		}
		pf.Versions = append(pf.Versions, it)
		return nil
	})
}

// Destroy implements Provider: the version's salt is deleted, so its key
// can no longer be derived.
func (p *PassphraseProvider) Destroy(_ context.Context, v int) error {
	return p.rewrite(func(pf *passphraseFile) (err error) {
		pf.Versions, err = dropVersion(pf.Versions, v, passphraseItem.version)
		return err
	})
}

// LoadState implements Provider.
func (p *PassphraseProvider) LoadState(context.Context) ([]byte, error) {
	return p.t.erasureState(p.load)
}

// StoreState implements Provider.
func (p *PassphraseProvider) StoreState(_ context.Context, state []byte) error {
	return p.rewrite(func(pf *passphraseFile) error {
		pf.State = base64.StdEncoding.EncodeToString(state)
		return nil
	})
}

// rewrite edits the passphrase file (see rewriteJSON) and reloads it. The
// file is loaded first, so that Create has the root key to derive from.
func (p *PassphraseProvider) rewrite(edit func(*passphraseFile) error) error {
	if err := p.load(); err != nil {
		return err
	}
	if err := rewriteJSON(p.path, "passphrase key file", readPassphraseFile, edit); err != nil {
		return err
	}
	return p.load()
}

// Close implements Provider: it wipes the passphrase and derived root.
func (p *PassphraseProvider) Close() error {
	p.mu.Lock()
	clear(p.pass)
	clear(p.root)
	p.mu.Unlock()
	p.t.set(nil, nil)
	return nil
}
