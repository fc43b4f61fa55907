package masterkey

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const keyFileFormat = "custos-master-key/v1"

// keyFile is the on-disk form of a master key file.
type keyFile struct {
	Format string        `json:"format"`
	Keys   []keyFileItem `json:"keys"`
	// State is the provider's key state (the sealed erasure tree), base64.
	State string `json:"erasure_state,omitempty"`
}

type keyFileItem struct {
	Version int       `json:"version"`
	Key     string    `json:"key"` // base64 of 32 bytes
	Created time.Time `json:"created"`
}

func (it keyFileItem) version() int { return it.Version }

// FileProvider keeps master keys in a file readable only by its owner.
// It re-reads the file when asked for a version it does not know, so a
// server picks up a version created by `custos keys rotate`.
type FileProvider struct {
	path string
	t    versionTable[cipher.AEAD]
}

// CreateKeyFile writes a new key file holding version 1 at path with mode
// 0600. It refuses to overwrite an existing file.
func CreateKeyFile(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("generate master key: %w", err)
	}
	kf := keyFile{Format: keyFileFormat, Keys: []keyFileItem{{
		Version: 1, Key: base64.StdEncoding.EncodeToString(key), Created: time.Now().UTC(),
	}}}
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // the operator configures the key file's path
	if err != nil {
		return fmt.Errorf("create master key file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return fmt.Errorf("write master key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync master key file: %w", err)
	}
	return f.Close()
}

// OpenFile opens the key file at path. It refuses a file that group or
// others may read or write, and reports a missing, truncated or malformed
// file clearly.
func OpenFile(path string) (*FileProvider, error) {
	p := &FileProvider{path: path}
	if err := p.load(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *FileProvider) load() error {
	kf, err := readKeyFile(p.path)
	if err != nil {
		return err
	}
	keys := make(map[int]cipher.AEAD, len(kf.Keys))
	for _, it := range kf.Keys {
		raw, err := base64.StdEncoding.DecodeString(it.Key)
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("master key file %s: version %d is not a 32-byte base64 key", p.path, it.Version)
		}
		aead, err := newGCM(raw)
		clear(raw)
		if err != nil {
			return err
		}
		keys[it.Version] = aead
	}
	state, err := base64.StdEncoding.DecodeString(kf.State)
	if err != nil {
		return fmt.Errorf("master key file %s: erasure_state is not base64", p.path)
	}
	p.t.set(keys, state)
	return nil
}

// maxKeyFileSize bounds what is read: a key file holds a few keys and the
// erasure tree (about 2 KiB per erasure since the tree began).
const maxKeyFileSize = 256 << 20

// readKeyFile reads and checks the key file at path: it must exist, be a
// regular file that neither group nor others may access, and hold a
// well-formed key list.
func readKeyFile(path string) (*keyFile, error) {
	b, err := readPrivateFile(path, "master key file", maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	kf, err := parseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return kf, nil
}

// readPrivateFile reads a key-holding file: it must exist, be a regular
// file (not a link) that neither group nor others may access, and be at
// most max bytes.
func readPrivateFile(path, what string, max int64) ([]byte, error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s does not exist", what, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file", what, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s has mode %04o; it must not be accessible to group or others (chmod 600)", what, path, st.Mode().Perm())
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s %s is %d bytes, larger than any such file", what, path, st.Size())
	}
	b, err := os.ReadFile(path) //nolint:gosec // the operator configures the key file's path
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return b, nil
}

// DecodeStrictJSON decodes exactly one JSON object, refusing unknown
// fields and trailing data.
func DecodeStrictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed or truncated: %w", err)
	}
	if dec.More() {
		return errors.New("malformed: data after the JSON object")
	}
	return nil
}

// parseKeyFile decodes and validates a key file's contents.
func parseKeyFile(b []byte) (*keyFile, error) {
	if len(b) == 0 {
		return nil, errors.New("the file is empty (truncated?)")
	}
	var kf keyFile
	if err := DecodeStrictJSON(b, &kf); err != nil {
		return nil, err
	}
	if kf.Format != keyFileFormat {
		return nil, fmt.Errorf("format %q, want %q", kf.Format, keyFileFormat)
	}
	if len(kf.Keys) == 0 {
		return nil, errors.New("holds no key")
	}
	seen := map[int]bool{}
	for _, it := range kf.Keys {
		if it.Version < 1 {
			return nil, fmt.Errorf("version %d is invalid", it.Version)
		}
		if seen[it.Version] {
			return nil, fmt.Errorf("version %d appears twice", it.Version)
		}
		seen[it.Version] = true
		raw, err := base64.StdEncoding.DecodeString(it.Key)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("version %d is not a 32-byte base64 key", it.Version)
		}
		clear(raw)
	}
	if _, err := base64.StdEncoding.DecodeString(kf.State); err != nil {
		return nil, errors.New("erasure_state is not base64")
	}
	return &kf, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Name implements Provider.
func (p *FileProvider) Name() string { return "file" }

// Path returns the key file's path.
func (p *FileProvider) Path() string { return p.path }

// Versions implements Provider.
func (p *FileProvider) Versions(context.Context) ([]int, error) { return p.t.versions(p.load) }

func (p *FileProvider) aead(v int) (cipher.AEAD, error) { return p.t.get(v, p.load) }

// Wrap implements Provider: AES-256-GCM with a random 96-bit nonce,
// output nonce||ciphertext||tag.
func (p *FileProvider) Wrap(_ context.Context, v int, plaintext, aad []byte) ([]byte, error) {
	a, err := p.aead(v)
	if err != nil {
		return nil, err
	}
	return sealRandomNonce(a, plaintext, aad)
}

// Unwrap implements Provider.
func (p *FileProvider) Unwrap(_ context.Context, v int, wrapped, aad []byte) ([]byte, error) {
	a, err := p.aead(v)
	if err != nil {
		return nil, err
	}
	return openRandomNonce(a, wrapped, aad)
}

func sealRandomNonce(a cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, a.NonceSize(), a.NonceSize()+len(plaintext)+a.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return a.Seal(out, out, plaintext, aad), nil
}

func openRandomNonce(a cipher.AEAD, wrapped, aad []byte) ([]byte, error) {
	if len(wrapped) < a.NonceSize()+a.Overhead() {
		return nil, ErrUnwrap
	}
	pt, err := a.Open(nil, wrapped[:a.NonceSize()], wrapped[a.NonceSize():], aad)
	if err != nil {
		return nil, ErrUnwrap
	}
	return pt, nil
}

// Create implements Provider: it adds version v to the file, replacing
// the file atomically.
func (p *FileProvider) Create(_ context.Context, v int) error {
	return p.rewrite(func(kf *keyFile) error {
		if err := addVersion(kf.Keys, v, keyFileItem.version); err != nil {
			return err
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		kf.Keys = append(kf.Keys, keyFileItem{Version: v, Key: base64.StdEncoding.EncodeToString(key), Created: time.Now().UTC()})
		return nil
	})
}

// Destroy implements Provider: it removes version v from the file.
func (p *FileProvider) Destroy(_ context.Context, v int) error {
	return p.rewrite(func(kf *keyFile) (err error) {
		kf.Keys, err = dropVersion(kf.Keys, v, keyFileItem.version)
		return err
	})
}

// LoadState implements Provider: the erasure_state field of the file.
func (p *FileProvider) LoadState(context.Context) ([]byte, error) { return p.t.erasureState(p.load) }

// StoreState implements Provider: it replaces the erasure_state field,
// rewriting the file atomically.
func (p *FileProvider) StoreState(_ context.Context, state []byte) error {
	return p.rewrite(func(kf *keyFile) error {
		kf.State = base64.StdEncoding.EncodeToString(state)
		return nil
	})
}

// rewrite edits the key file (see rewriteJSON) and reloads it.
func (p *FileProvider) rewrite(edit func(*keyFile) error) error {
	if err := rewriteJSON(p.path, "master key file", readKeyFile, edit); err != nil {
		return err
	}
	return p.load()
}

// writeFileAtomic writes b to a temporary file (mode 0600) beside path,
// syncs it and renames it over path, then syncs the directory.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".custos-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// lockFile takes an exclusive advisory lock on path (created 0600).
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // beside the key file the operator configured
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// Close implements Provider.
func (p *FileProvider) Close() error { return nil }
