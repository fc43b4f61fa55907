package csvimport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding is a text encoding an import file may be in. Files are
// detected, never declared: a byte-order mark first (UTF-8, UTF-16 LE or
// BE, GB18030), then UTF-8 if every byte of the file is valid UTF-8, then
// GB18030 (a superset of GBK and GB 2312) if every byte is valid GB18030.
// A file that is none of them is refused, naming the first position that
// is not valid in the encoding it came closest to.
type Encoding struct {
	// Name is how reports and the API name it: utf-8, utf-8-bom,
	// utf-16le, utf-16be, gb18030, gb18030-bom.
	Name string
	// bom is the byte-order mark the file starts with (skipped).
	bom []byte
	// decoder returns the strict decoder to UTF-8.
	decoder func() transform.Transformer
	// unit is the width of a code unit (2 for UTF-16): line feeds are
	// counted per unit when a position is named.
	unit int
	be   bool
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomGB18030 = []byte{0x84, 0x31, 0x95, 0x33}
)

// The encodings a file may be in.
var (
	UTF8    = Encoding{Name: "utf-8", decoder: newUTF8Validator, unit: 1}
	UTF8BOM = Encoding{Name: "utf-8-bom", bom: bomUTF8, decoder: newUTF8Validator, unit: 1}
	UTF16LE = Encoding{Name: "utf-16le", bom: bomUTF16LE, unit: 2, decoder: func() transform.Transformer {
		return newStrict(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder(), []byte{0xFD, 0xFF})
	}}
	UTF16BE = Encoding{Name: "utf-16be", bom: bomUTF16BE, unit: 2, be: true, decoder: func() transform.Transformer {
		return newStrict(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder(), []byte{0xFF, 0xFD})
	}}
	GB18030 = Encoding{Name: "gb18030", unit: 1, decoder: func() transform.Transformer {
		return newStrict(simplifiedchinese.GB18030.NewDecoder(), []byte{0x84, 0x31, 0xA4, 0x37})
	}}
	GB18030BOM = Encoding{Name: "gb18030-bom", bom: bomGB18030, unit: 1, decoder: GB18030.decoder}
)

// Decode returns r (positioned at the start of the file) read as UTF-8:
// the byte-order mark skipped, every character decoded strictly. A byte
// sequence that is not valid in the encoding fails the read with a
// *DecodeError at its offset in the file.
func (e Encoding) Decode(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if len(e.bom) > 0 {
		if b, err := br.Peek(len(e.bom)); err == nil && bytes.Equal(b, e.bom) {
			_, _ = br.Discard(len(e.bom))
		}
	}
	t := e.decoder()
	if s, ok := t.(*strict); ok {
		s.off = int64(len(e.bom))
	}
	return transform.NewReader(br, t)
}

// DecodeError is a byte sequence that is not valid in the encoding a
// file is read in, at Offset bytes from the start of the file.
type DecodeError struct {
	Offset int64
	// Truncated is set when the sequence is cut off by the end of the
	// file (a file truncated in the middle of a character).
	Truncated bool
}

func (e *DecodeError) Error() string {
	if e.Truncated {
		return fmt.Sprintf("the file ends in the middle of a character (byte %d)", e.Offset)
	}
	return fmt.Sprintf("invalid byte sequence at byte %d", e.Offset)
}

// utf8RuneError is U+FFFD in UTF-8, what decoders put in place of a
// sequence they cannot decode.
var utf8RuneError = []byte{0xEF, 0xBF, 0xBD}

// strict wraps a golang.org/x/text decoder, which replaces what it
// cannot decode with U+FFFD, and turns such a replacement into a
// *DecodeError (a U+FFFD encoded in the file, repl, is decoded as usual).
type strict struct {
	inner transform.Transformer
	repl  []byte
	off   int64 // bytes of the file consumed so far
}

func newStrict(t transform.Transformer, repl []byte) *strict { return &strict{inner: t, repl: repl} }

func (s *strict) Reset() { s.inner.Reset(); s.off = 0 }

func (s *strict) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	nDst, nSrc, err = s.inner.Transform(dst, src, atEOF)
	if bytes.Contains(dst[:nDst], utf8RuneError) {
		if at, truncated, bad := s.locate(src[:nSrc], atEOF && nSrc == len(src)); bad {
			return 0, 0, &DecodeError{Offset: s.off + int64(at), Truncated: truncated}
		}
	}
	s.off += int64(nSrc)
	return nDst, nSrc, err
}

// locate decodes src one character at a time to find the first that
// decodes to U+FFFD without being the file's own encoding of it. A
// destination just large enough for the first character (tried from one
// byte up) holds exactly that character.
func (s *strict) locate(src []byte, atEOF bool) (at int, truncated, bad bool) {
	var one [utf8.UTFMax]byte
	for i := 0; i < len(src); {
		nd, ns := 0, 0
		for k := 1; k <= utf8.UTFMax && nd == 0; k++ {
			s.inner.Reset()
			nd, ns, _ = s.inner.Transform(one[:k], src[i:], atEOF)
		}
		if ns == 0 {
			return i, atEOF, true
		}
		if bytes.Equal(one[:nd], utf8RuneError) && !bytes.Equal(src[i:i+ns], s.repl) {
			// A replacement at the very end of the file for bytes that
			// start a character: the file was cut off inside it.
			return i, atEOF && i+ns == len(src) && s.startsCharacter(src[i:]), true
		}
		i += ns
	}
	return 0, false, false
}

// startsCharacter reports whether tail (the last bytes of the file) is
// the beginning of a longer character rather than a byte that is wrong
// anywhere: a GB18030 lead byte, a lone byte of a UTF-16 code unit, or a
// high surrogate.
func (s *strict) startsCharacter(tail []byte) bool {
	switch len(s.repl) {
	case 4: // GB18030
		return tail[0] >= 0x81 && tail[0] <= 0xFE && (len(tail) == 1 || (len(tail) <= 3 && tail[1] >= 0x30 && tail[1] <= 0x39))
	default: // UTF-16
		if len(tail) == 1 {
			return true
		}
		hi := tail[1]
		if s.repl[0] == 0xFF { // big-endian
			hi = tail[0]
		}
		return hi >= 0xD8 && hi <= 0xDB && len(tail) == 2
	}
}

// utf8Validator passes valid UTF-8 through unchanged and fails on the
// first invalid sequence.
type utf8Validator struct{ off int64 }

func newUTF8Validator() transform.Transformer { return &utf8Validator{} }

func (v *utf8Validator) Reset() { v.off = 0 }

func (v *utf8Validator) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	n := min(len(dst), len(src))
	if n < len(src) {
		err = transform.ErrShortDst
	}
	chunk := src[:n]
	if !atEOF || n < len(src) {
		// A character cut by the end of what is at hand waits for the rest.
		if k := completePrefix(chunk); k < n {
			chunk = chunk[:k]
			if err == nil {
				err = transform.ErrShortSrc
			}
		}
	}
	if at := invalidUTF8(chunk); at >= 0 {
		end := atEOF && n == len(src)
		return 0, 0, &DecodeError{Offset: v.off + int64(at), Truncated: end && cutRune(chunk[at:])}
	}
	copy(dst, chunk)
	v.off += int64(len(chunk))
	return len(chunk), len(chunk), err
}

// completePrefix returns the length of b without a trailing incomplete
// UTF-8 sequence (at most three bytes).
func completePrefix(b []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return len(b)
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[len(b)-i:]) {
				return len(b)
			}
			return len(b) - i
		}
	}
	return len(b)
}

// cutRune reports whether b (shorter than a whole character) is a valid
// start of one, so the file was cut off inside it.
func cutRune(b []byte) bool {
	if len(b) == 0 || len(b) >= utf8.UTFMax {
		return false
	}
	var full [utf8.UTFMax]byte
	copy(full[:], b)
	// Complete it with continuation bytes: a valid start decodes then.
	for i := len(b); i < utf8.UTFMax; i++ {
		full[i] = 0x80
	}
	r, size := utf8.DecodeRune(full[:])
	return r != utf8.RuneError && size > len(b)
}

// invalidUTF8 returns the offset of the first byte of b that does not
// begin a valid UTF-8 sequence, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
