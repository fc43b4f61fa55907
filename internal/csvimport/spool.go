package csvimport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Spool keeps an uploaded file for the passes of its import. The upload
// holds personal data in the clear, so it never reaches the disk as it
// came: it is written to a temporary file in chunks sealed with
// AES-256-GCM under a key that exists only in this process's memory, and
// the file is unlinked as soon as it is created, so nothing of it is left
// once the spool is closed or the process dies.
type Spool struct {
	mu     sync.Mutex
	f      *os.File
	aead   cipher.AEAD
	buf    []byte
	chunks int64 // sealed chunks written
	last   int   // plaintext length of the final chunk (after Finish)
	size   int64 // plaintext bytes written
	done   bool
}

// spoolChunk is the plaintext size of a sealed chunk.
const spoolChunk = 64 << 10

var errSpoolDone = errors.New("spool: written after Finish")

// NewSpool creates a spool in dir (the system's temporary directory when
// empty).
func NewSpool(dir string) (*Spool, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "custos-upload-*")
	if err != nil {
		return nil, fmt.Errorf("create upload spool: %w", err)
	}
	// Unlinked at once: the open file is all that is left of it.
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("unlink upload spool: %w", err)
	}
	return &Spool{f: f, aead: aead, buf: make([]byte, 0, spoolChunk)}, nil
}

// nonce numbers chunks: the key is the spool's alone, so a counter never
// repeats under it.
func (s *Spool) nonce(i int64) []byte {
	n := make([]byte, s.aead.NonceSize())
	binary.BigEndian.PutUint64(n[len(n)-8:], uint64(i)) //nolint:gosec // chunk numbers are never negative
	return n
}

// aad marks the final chunk, so a spool cut short does not read as whole.
func aad(final bool) []byte {
	if final {
		return []byte{1}
	}
	return []byte{0}
}

// Write adds p to the spool.
func (s *Spool) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return 0, errSpoolDone
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), spoolChunk-len(s.buf))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		if len(s.buf) == spoolChunk {
			if err := s.seal(false); err != nil {
				return 0, err
			}
		}
	}
	s.size += int64(n)
	return n, nil
}

func (s *Spool) seal(final bool) error {
	ct := s.aead.Seal(nil, s.nonce(s.chunks), s.buf, aad(final))
	if _, err := s.f.WriteAt(ct, s.chunks*int64(spoolChunk+s.aead.Overhead())); err != nil {
		return fmt.Errorf("write upload spool: %w", err)
	}
	s.chunks++
	s.last = len(s.buf)
	s.buf = s.buf[:0]
	return nil
}

// Finish seals what is left; the spool can then be read.
func (s *Spool) Finish() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	return s.seal(true)
}

// Size is how many bytes were written.
func (s *Spool) Size() int64 { return s.size }

// Open reads the spool from the start; readers are independent.
func (s *Spool) Open() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		return nil, errors.New("spool: read before Finish")
	}
	return &spoolReader{s: s}, nil
}

// Close removes the spool.
func (s *Spool) Close() error {
	return s.f.Close()
}

type spoolReader struct {
	s    *Spool
	next int64
	buf  []byte
}

func (r *spoolReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.next >= r.s.chunks {
			return 0, io.EOF
		}
		final := r.next == r.s.chunks-1
		n := spoolChunk
		if final {
			n = r.s.last
		}
		over := r.s.aead.Overhead()
		ct := make([]byte, n+over)
		if _, err := r.s.f.ReadAt(ct, r.next*int64(spoolChunk+over)); err != nil {
			return 0, fmt.Errorf("read upload spool: %w", err)
		}
		pt, err := r.s.aead.Open(ct[:0], r.s.nonce(r.next), ct, aad(final))
		if err != nil {
			return 0, errors.New("read upload spool: a chunk does not authenticate")
		}
		r.buf, r.next = pt, r.next+1
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *spoolReader) Close() error { return nil }
