package keyring

import (
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
	"sort"
	"sync"
	"time"
)

const keyFileFormat = "custos-master-key/v1"

// keyFile is the on-disk form of a master key file.
type keyFile struct {
	Format string        `json:"format"`
	Keys   []keyFileItem `json:"keys"`
}

type keyFileItem struct {
	Version int       `json:"version"`
	Key     string    `json:"key"` // base64 of 32 bytes
	Created time.Time `json:"created"`
}

// FileProvider keeps master keys in a file readable only by its owner.
// It re-reads the file when asked for a version it does not know, so a
// server picks up a version created by `custos keys rotate`.
type FileProvider struct {
	path string

	mu   sync.RWMutex
	keys map[int]cipher.AEAD
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
	st, err := os.Stat(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("master key file %s does not exist", p.path)
	}
	if err != nil {
		return fmt.Errorf("master key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("master key file %s has mode %04o; it must not be accessible to group or others (chmod 600)", p.path, st.Mode().Perm())
	}
	b, err := os.ReadFile(p.path) //nolint:gosec // the operator configures the key file's path
	if err != nil {
		return fmt.Errorf("read master key file: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return fmt.Errorf("master key file %s is malformed or truncated: %w", p.path, err)
	}
	if kf.Format != keyFileFormat {
		return fmt.Errorf("master key file %s has format %q, want %q", p.path, kf.Format, keyFileFormat)
	}
	if len(kf.Keys) == 0 {
		return fmt.Errorf("master key file %s holds no key", p.path)
	}
	keys := make(map[int]cipher.AEAD, len(kf.Keys))
	for _, it := range kf.Keys {
		raw, err := base64.StdEncoding.DecodeString(it.Key)
		if err != nil || len(raw) != 32 {
			return fmt.Errorf("master key file %s: version %d is not a 32-byte base64 key", p.path, it.Version)
		}
		if it.Version < 1 {
			return fmt.Errorf("master key file %s: version %d is invalid", p.path, it.Version)
		}
		if _, dup := keys[it.Version]; dup {
			return fmt.Errorf("master key file %s: version %d appears twice", p.path, it.Version)
		}
		aead, err := newGCM(raw)
		if err != nil {
			return err
		}
		keys[it.Version] = aead
	}
	p.mu.Lock()
	p.keys = keys
	p.mu.Unlock()
	return nil
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
func (p *FileProvider) Versions(context.Context) ([]int, error) {
	if err := p.load(); err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	vs := make([]int, 0, len(p.keys))
	for v := range p.keys {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs, nil
}

func (p *FileProvider) aead(v int) (cipher.AEAD, error) {
	p.mu.RLock()
	a, ok := p.keys[v]
	p.mu.RUnlock()
	if ok {
		return a, nil
	}
	if err := p.load(); err != nil {
		return nil, err
	}
	p.mu.RLock()
	a, ok = p.keys[v]
	p.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: version %d", ErrUnknownVersion, v)
	}
	return a, nil
}

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
		for _, it := range kf.Keys {
			if it.Version == v {
				return fmt.Errorf("master key version %d already exists", v)
			}
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
	return p.rewrite(func(kf *keyFile) error {
		out := kf.Keys[:0]
		for _, it := range kf.Keys {
			if it.Version != v {
				out = append(out, it)
			}
		}
		if len(out) == len(kf.Keys) {
			return fmt.Errorf("%w: version %d", ErrUnknownVersion, v)
		}
		if len(out) == 0 {
			return errors.New("refusing to destroy the last master key version")
		}
		kf.Keys = out
		return nil
	})
}

func (p *FileProvider) rewrite(edit func(*keyFile) error) error {
	if err := p.load(); err != nil {
		return err
	}
	b, err := os.ReadFile(p.path) //nolint:gosec // the operator configures the key file's path
	if err != nil {
		return err
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return err
	}
	if err := edit(&kf); err != nil {
		return err
	}
	nb, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".master-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(nb, '\n')); err != nil {
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
	if err := os.Rename(tmp.Name(), p.path); err != nil {
		return err
	}
	return p.load()
}

// Close implements Provider.
func (p *FileProvider) Close() error { return nil }
