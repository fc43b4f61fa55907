package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// An anchor file is an append-only record of signed checkpoints kept off
// the box (another disk, a mounted share, a write-once bucket), so that a
// truncated or rewritten log is caught by comparing it with what was
// anchored before. Its format is plain text:
//
//	custos audit anchors v1
//	verifier <signed-note verifier key>
//	origin <the log's origin line>
//
//	<signed checkpoint>
//
//	<signed checkpoint>
//	…
//
// Each signed checkpoint is a signed note (three text lines, a blank
// line, signature lines) followed by a blank line.

const anchorMagic = "custos audit anchors v1"

// MaxAnchorFileBytes bounds the anchor file Custos reads (about 200,000
// checkpoints).
const MaxAnchorFileBytes = 64 << 20

// ErrAnchor wraps every anchor file problem.
var ErrAnchor = errors.New("anchor file")

// AnchorFile is a parsed anchor file.
type AnchorFile struct {
	Verifier string
	Origin   string
	Entries  []AnchorEntry
}

// AnchorEntry is one anchored checkpoint, not yet verified.
type AnchorEntry struct {
	Line int // where the entry starts, for error messages
	Note []byte
}

// ParseAnchorFile parses an anchor file's structure strictly; signatures
// are checked by Checkpoints.
func ParseAnchorFile(data []byte) (*AnchorFile, error) {
	if len(data) > MaxAnchorFileBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrAnchor, MaxAnchorFileBytes)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("%w: the last line is incomplete (truncated file?)", ErrAnchor)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(data) == 0 || len(lines) < 4 || lines[0] != anchorMagic {
		return nil, fmt.Errorf("%w: line 1: want %q", ErrAnchor, anchorMagic)
	}
	f := &AnchorFile{}
	var ok bool
	if f.Verifier, ok = strings.CutPrefix(lines[1], "verifier "); !ok || f.Verifier == "" {
		return nil, fmt.Errorf("%w: line 2: want \"verifier <key>\"", ErrAnchor)
	}
	if _, err := note.NewVerifier(f.Verifier); err != nil {
		return nil, fmt.Errorf("%w: line 2: malformed verifier key", ErrAnchor)
	}
	if f.Origin, ok = strings.CutPrefix(lines[2], "origin "); !ok || f.Origin == "" {
		return nil, fmt.Errorf("%w: line 3: want \"origin <origin>\"", ErrAnchor)
	}
	if lines[3] != "" {
		return nil, fmt.Errorf("%w: line 4: want a blank line", ErrAnchor)
	}
	i := 4
	for i < len(lines) {
		start := i
		for i < len(lines) && lines[i] != "" {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("%w: line %d: unexpected blank line", ErrAnchor, i+1)
		}
		if i >= len(lines) {
			return nil, fmt.Errorf("%w: line %d: checkpoint without signatures (truncated file?)", ErrAnchor, start+1)
		}
		i++ // the blank line between text and signatures
		sigStart := i
		for i < len(lines) && lines[i] != "" {
			if !strings.HasPrefix(lines[i], "— ") {
				return nil, fmt.Errorf("%w: line %d: want a signature line (— name signature)", ErrAnchor, i+1)
			}
			i++
		}
		if i == sigStart {
			return nil, fmt.Errorf("%w: line %d: checkpoint without signatures", ErrAnchor, start+1)
		}
		msg := strings.Join(lines[start:sigStart-1], "\n") + "\n\n" + strings.Join(lines[sigStart:i], "\n") + "\n"
		if i >= len(lines) {
			return nil, fmt.Errorf("%w: entry at line %d is not followed by a blank line (truncated file?)", ErrAnchor, start+1)
		}
		i++ // the blank line that ends every entry
		f.Entries = append(f.Entries, AnchorEntry{Line: start + 1, Note: []byte(msg)})
	}
	return f, nil
}

// Checkpoints verifies every entry with v for origin and returns them.
// Sizes must never decrease: an anchor file only grows with the log.
func (f *AnchorFile) Checkpoints(v note.Verifier, origin string) ([]*Checkpoint, error) {
	if f.Verifier != "" && v != nil {
		if want, err := note.NewVerifier(f.Verifier); err != nil || want.Name() != v.Name() || want.KeyHash() != v.KeyHash() {
			return nil, fmt.Errorf("%w: it was written for verifier key %s, not this log's key", ErrAnchor, clip(f.Verifier, 120))
		}
	}
	if origin != "" && f.Origin != origin {
		return nil, fmt.Errorf("%w: it was written for log %q, not %q", ErrAnchor, clip(f.Origin, 80), origin)
	}
	out := make([]*Checkpoint, 0, len(f.Entries))
	for _, e := range f.Entries {
		c, err := OpenCheckpoint(e.Note, v, origin)
		if err != nil {
			return nil, fmt.Errorf("%w: entry at line %d: %w", ErrAnchor, e.Line, err)
		}
		if n := len(out); n > 0 && c.Size < out[n-1].Size {
			return nil, fmt.Errorf("%w: entry at line %d: size %d after size %d (entries out of order)", ErrAnchor, e.Line, c.Size, out[n-1].Size)
		}
		out = append(out, c)
	}
	return out, nil
}

// ReadAnchorFile reads and parses the anchor file at path. A missing file
// returns nil and no error (nothing anchored yet).
func ReadAnchorFile(path string) (*AnchorFile, error) {
	f, err := os.Open(path) //nolint:gosec // the operator configures the anchor file
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAnchor, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxAnchorFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAnchor, err)
	}
	af, err := ParseAnchorFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return af, nil
}

// AppendAnchor appends c to the anchor file at path, creating it (mode
// 0600, with its header naming the verifier key and origin) when absent,
// and syncs it to disk.
func AppendAnchor(path string, s *Signer, c *Checkpoint) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600) //nolint:gosec // the operator configures the anchor file
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAnchor, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAnchor, err)
	}
	var b bytes.Buffer
	if st.Size() == 0 {
		fmt.Fprintf(&b, "%s\nverifier %s\norigin %s\n\n", anchorMagic, s.VerifierKey(), s.Origin())
	}
	b.Write(c.Note)
	b.WriteByte('\n')
	if _, err := f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("%w: write: %w", ErrAnchor, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: sync: %w", ErrAnchor, err)
	}
	return nil
}

// LastAnchored returns the newest verified checkpoint of the anchor file
// at path, or nil when nothing is anchored yet.
func LastAnchored(path string, s *Signer) (*Checkpoint, error) {
	af, err := ReadAnchorFile(path)
	if err != nil || af == nil {
		return nil, err
	}
	cs, err := af.Checkpoints(s.Verifier(), s.Origin())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	return cs[len(cs)-1], nil
}

// FetchAnchored asks the anchoring service at url for the newest
// checkpoint it holds: an HTTP GET answered with the signed checkpoint as
// text, or 404 when it holds none (nil, nil). The checkpoint must carry
// this log's origin and a valid signature by s.
func FetchAnchored(ctx context.Context, client *http.Client, url string, s *Signer) (*Checkpoint, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("anchor URL: %w", err)
	}
	req.Header.Set("Accept", "text/plain")
	req.Header.Set("Custos-Audit-Verifier", s.VerifierKey())
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("anchor URL: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("anchor URL answered %s to GET", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxCheckpointBytes+1))
	if err != nil {
		return nil, fmt.Errorf("anchor URL: %w", err)
	}
	cp, err := OpenCheckpoint(body, s.Verifier(), s.Origin())
	if err != nil {
		return nil, fmt.Errorf("the checkpoint held by the anchor URL: %w", err)
	}
	return cp, nil
}

// PostAnchor sends c to an anchoring service: an HTTP POST of the signed
// checkpoint as text/plain, with the verifier key in the
// Custos-Audit-Verifier header. Any 2xx answer counts as anchored.
func PostAnchor(ctx context.Context, client *http.Client, url string, s *Signer, c *Checkpoint) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(c.Note))
	if err != nil {
		return fmt.Errorf("anchor URL: %w", err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Custos-Audit-Verifier", s.VerifierKey())
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("anchor URL: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, bufio.NewReader(io.LimitReader(resp.Body, 64<<10)))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("anchor URL answered %s", resp.Status)
	}
	return nil
}
