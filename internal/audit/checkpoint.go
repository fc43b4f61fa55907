package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed statement of the log's state: its origin (which
// log), its size and its root hash. The text is the transparency-log
// checkpoint format,
//
//	<origin>
//	<size>
//	<base64 root hash>
//
// wrapped in a signed note (golang.org/x/mod/sumdb/note) carrying the
// log's Ed25519 signature.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Note is the signed note: the text above, a blank line and the
	// signature lines.
	Note []byte
	// SignedAt is when this server stored the checkpoint (zero when not
	// read from the database); it is not part of what was signed.
	SignedAt time.Time
}

// MaxCheckpointBytes bounds a signed checkpoint; anything longer is
// refused before parsing.
const MaxCheckpointBytes = 4096

// Checkpoint errors, for errors.Is.
var (
	ErrCheckpointMalformed = errors.New("malformed checkpoint")
	ErrCheckpointSignature = errors.New("checkpoint signature does not verify")
	ErrCheckpointOrigin    = errors.New("checkpoint is for another log")
)

// checkpointText is the body of a checkpoint.
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// SignCheckpoint returns the signed checkpoint of a tree.
func SignCheckpoint(s note.Signer, origin string, size int64, root tlog.Hash) (*Checkpoint, error) {
	msg, err := note.Sign(&note.Note{Text: checkpointText(origin, size, root)}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return &Checkpoint{Origin: origin, Size: size, Root: root, Note: msg}, nil
}

// OpenCheckpoint parses a signed checkpoint, checks its signature by v and
// (when origin is not empty) that it is for that log. Every failure says
// what was wrong: too long, malformed text, a missing, unknown or bad
// signature, or another log's origin.
func OpenCheckpoint(msg []byte, v note.Verifier, origin string) (*Checkpoint, error) {
	if len(msg) > MaxCheckpointBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrCheckpointMalformed, MaxCheckpointBytes)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: the signature by %s is invalid (the text or the signature was changed)", ErrCheckpointSignature, invalid.Name)
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("%w: not signed by this log's key %s", ErrCheckpointSignature, v.Name())
		}
		return nil, fmt.Errorf("%w: not a signed note (%w)", ErrCheckpointMalformed, err)
	}
	c, err := parseCheckpointText(n.Text)
	if err != nil {
		return nil, err
	}
	if origin != "" && c.Origin != origin {
		return nil, fmt.Errorf("%w: origin %q, want %q", ErrCheckpointOrigin, clip(c.Origin, 80), origin)
	}
	c.Note = msg
	return c, nil
}

// parseCheckpointText parses the (already verified) body of a checkpoint.
func parseCheckpointText(text string) (*Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 {
		return nil, fmt.Errorf("%w: want 3 lines (origin, size, root hash), got %d", ErrCheckpointMalformed, len(lines))
	}
	c := &Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return nil, fmt.Errorf("%w: empty origin line", ErrCheckpointMalformed)
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return nil, fmt.Errorf("%w: size line: %w", ErrCheckpointMalformed, err)
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return nil, fmt.Errorf("%w: root hash line is not base64 of %d bytes", ErrCheckpointMalformed, tlog.HashSize)
	}
	copy(c.Root[:], root)
	return c, nil
}

// parseSize parses a canonical decimal tree size: digits only, no sign,
// no leading zeros.
func parseSize(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("not a canonical decimal number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a canonical decimal number")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("out of range")
	}
	return n, nil
}

// FormatHash returns the base64 form of a hash used in checkpoints and
// the API.
func FormatHash(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
