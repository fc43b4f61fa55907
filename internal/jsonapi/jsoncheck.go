package jsonapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
)

// checkJSON refuses, before encoding/json sees a body, what that decoder
// would silently read one way while another reader (a proxy, a WAF, an
// audit tool) reads it another:
//
//   - bytes that are not valid UTF-8, which the decoder replaces with
//     U+FFFD (so different passwords would hash alike);
//   - \u escapes of a lone UTF-16 surrogate (\ud800 not followed by a
//     low surrogate, or a low surrogate alone), replaced likewise;
//   - an object naming a member twice, at any depth, where the decoder
//     keeps the last. Names are compared as the decoder matches them to
//     fields: after unescaping, ignoring case (bytes.EqualFold), so
//     {"name":…,"Name":…} is a duplicate too.
//
// Malformed JSON is refused as well; the errors name the JSON path of the
// offending member (address.street, tags[1]) and a byte offset, never the
// value. The scan reads the body once without allocating, except for
// member names that hold escapes and objects with more than
// linearNameLimit members.
func checkJSON(b []byte) error {
	s := jsonScanner{b: b, bad: domain.InvalidUTF8AtBytes(b)}
	err := s.value(nil, 0)
	if s.bad >= 0 && !s.badReported {
		// The bad byte lies outside any string the scan reached.
		return domain.Invalid("", "the body is not valid UTF-8 (byte %d)", s.bad)
	}
	return err
}

const (
	// linearNameLimit is how many member names an object may have before
	// duplicates are looked up in a map rather than by comparing with
	// each earlier name (kept on the stack).
	linearNameLimit = 32
	// MaxJSONDepth is how deeply objects and arrays may nest in a body.
	// No Custos input comes close; the limit bounds the scan's stack.
	MaxJSONDepth = 64
	// maxFieldPath bounds the JSON path echoed in an error.
	maxFieldPath = 64
)

type jsonScanner struct {
	b []byte
	i int
	// bad is the offset of the first byte that is not valid UTF-8, or -1.
	bad         int
	badReported bool
}

// jsonLevel is an open object or array, linked to the one holding it; it
// lives on the scan's stack and names where an error is.
type jsonLevel struct {
	up     *jsonLevel
	object bool
	// index is an array's current element.
	index int
	// name is an object's current member name, once read.
	name    []byte
	hasName bool
}

// value reads one JSON value at s.i inside level up (nil at the top);
// what follows the body's first value is the decoder's to refuse.
func (s *jsonScanner) value(up *jsonLevel, depth int) error {
	s.skipSpace()
	if s.i >= len(s.b) {
		return s.eof()
	}
	switch c := s.b[s.i]; c {
	case '{', '[':
		if depth >= MaxJSONDepth {
			return domain.Invalid(path(up), "the JSON nests objects and arrays more than %d levels deep", MaxJSONDepth)
		}
		s.i++
		if c == '{' {
			return s.object(up, depth+1)
		}
		return s.array(up, depth+1)
	case '"':
		_, _, err := s.str(up, false)
		return err
	case 't':
		return s.literal(up, "true")
	case 'f':
		return s.literal(up, "false")
	case 'n':
		return s.literal(up, "null")
	}
	return s.number(up)
}

// object reads the members of an object whose '{' was just read, refusing
// a name it already has (ignoring case, as encoding/json matches names).
func (s *jsonScanner) object(up *jsonLevel, depth int) error {
	lv := jsonLevel{up: up, object: true}
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	var inline [linearNameLimit][]byte
	names := inline[:0]
	var folded map[string][]byte // once there are more than linearNameLimit names
	for {
		lv.hasName = false
		name, err := s.name(&lv)
		if err != nil {
			return err
		}
		var prev []byte
		dup := false
		if folded == nil {
			for _, n := range names {
				if bytes.EqualFold(n, name) {
					prev, dup = n, true
					break
				}
			}
			if !dup && len(names) < linearNameLimit {
				names = append(names, name)
			} else if !dup {
				folded = make(map[string][]byte, 2*linearNameLimit)
				for _, n := range names {
					folded[foldName(n)] = n
				}
				folded[foldName(name)] = name
			}
		} else {
			k := foldName(name)
			if prev, dup = folded[k]; !dup {
				folded[k] = name
			}
		}
		lv.name, lv.hasName = name, true
		if dup {
			field := path(&lv)
			if !bytes.Equal(prev, name) {
				return domain.Invalid(field, "%s is given more than once (member names are matched ignoring case)", field)
			}
			return domain.Invalid(field, "%s is given more than once", field)
		}
		if err := s.value(&lv, depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.eof()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.syntax(&lv)
		}
	}
}

// array reads the elements of an array whose '[' was just read.
func (s *jsonScanner) array(up *jsonLevel, depth int) error {
	lv := jsonLevel{up: up}
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for ; ; lv.index++ {
		if err := s.value(&lv, depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return s.eof()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.syntax(&lv)
		}
	}
}

// name reads `"name":` in object lv and returns the name unescaped.
func (s *jsonScanner) name(lv *jsonLevel) ([]byte, error) {
	s.skipSpace()
	if s.i >= len(s.b) {
		return nil, s.eof()
	}
	if s.b[s.i] != '"' {
		return nil, s.syntax(lv)
	}
	start := s.i
	name, escaped, err := s.str(lv, true)
	if err != nil {
		return nil, err
	}
	if escaped {
		// Rare: decode with encoding/json, which reads exactly what the
		// scan has just checked.
		var u string
		if err := json.Unmarshal(s.b[start:s.i], &u); err != nil {
			return nil, domain.Invalid(path(lv), "malformed JSON at byte %d", start)
		}
		name = []byte(u)
	}
	s.skipSpace()
	if s.i >= len(s.b) {
		return nil, s.eof()
	}
	if s.b[s.i] != ':' {
		return nil, s.syntax(lv)
	}
	s.i++
	return name, nil
}

// foldName folds a member name so that foldName(x) == foldName(y) exactly
// when bytes.EqualFold(x, y), as encoding/json matches names to fields.
func foldName(name []byte) string {
	var sb strings.Builder
	sb.Grow(len(name))
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			sb.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		sb.WriteRune(foldRune(r))
		i += n
	}
	return sb.String()
}

// foldRune returns the smallest rune of r's case-folding orbit.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// str reads a string at s.i (which holds its opening quote), returning
// its raw contents and whether they hold escapes. name says it is a
// member name, for error messages.
func (s *jsonScanner) str(lv *jsonLevel, name bool) ([]byte, bool, error) {
	b := s.b
	start := s.i + 1
	escaped := false
	for i := start; i < len(b); {
		// Skip to the next quote, backslash or control character, eight
		// bytes at a time while eight remain.
		if i+8 <= len(b) {
			m := stopMask(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else if !stringStop[b[i]] {
			i++
			continue
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			if s.bad >= start && s.bad < i {
				s.badReported = true
				return nil, false, s.stringError(lv, name, "is not valid UTF-8 (byte %d)", s.bad)
			}
			return b[start:i], escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return nil, false, s.eof()
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					s.i = i
					return nil, false, s.syntax(lv)
				}
				if r < 0xD800 || r > 0xDFFF {
					i += 6
					break
				}
				if r <= 0xDBFF && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
					if lo, ok := hex4(b, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						i += 12
						break
					}
				}
				s.i = i
				return nil, false, s.stringError(lv, name, "holds an unpaired UTF-16 surrogate escape (byte %d); send the character itself or a valid surrogate pair", i)
			default:
				s.i = i
				return nil, false, s.syntax(lv)
			}
		case c < 0x20:
			s.i = i
			return nil, false, domain.Invalid(path(lv), "malformed JSON at byte %d: a control character in a string must be escaped", i)
		default:
			i++
		}
	}
	s.i = len(b)
	return nil, false, s.eof()
}

// stringStop marks the bytes that end a run of plain string contents:
// the closing quote, a backslash and the control characters. It is never
// written after initialization.
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// stopMask flags (with its high bit) each of the eight bytes of w, in
// memory order, that may be a quote, a backslash or a byte below 0x20,
// with the classic "has a zero byte" and "has a byte less than n" tricks.
// It is non-zero exactly when one of them is there, and its lowest flag
// is always a real one (a borrow can only flag bytes above it).
func stopMask(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (w-ones*0x20)&^w) & highs
}

// stringError reports a problem inside a string value (named by its path)
// or inside a member name (named by the object holding it).
func (s *jsonScanner) stringError(lv *jsonLevel, name bool, format string, args ...any) error {
	field := path(lv)
	if name {
		where := "a member name"
		if field != "" {
			where += " in " + field
		}
		return domain.Invalid(field, where+" "+format, args...)
	}
	what := field
	if what == "" {
		what = "the value"
	}
	return domain.Invalid(field, what+" "+format, args...)
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (s *jsonScanner) literal(lv *jsonLevel, word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		if len(s.b)-s.i < len(word) && strings.HasPrefix(word, string(s.b[s.i:])) {
			return s.eof()
		}
		return s.syntax(lv)
	}
	s.i += len(word)
	return nil
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number(lv *jsonLevel) error {
	b := s.b
	i := s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		from := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > from
	}
	switch {
	case i >= len(b):
		return s.eof()
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		s.i = i
		return s.syntax(lv)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			s.i = i
			return s.syntaxOrEOF(lv)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			s.i = i
			return s.syntaxOrEOF(lv)
		}
	}
	s.i = i
	return nil
}

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) syntaxOrEOF(lv *jsonLevel) error {
	if s.i >= len(s.b) {
		return s.eof()
	}
	return s.syntax(lv)
}

func (s *jsonScanner) syntax(lv *jsonLevel) error {
	return domain.Invalid(path(lv), "malformed JSON at byte %d", s.i)
}

func (s *jsonScanner) eof() error {
	return domain.Invalid("", "the JSON ends too early")
}

// path names the member or element lv is at: member names joined with
// dots, array elements by index (address.street, tags[1],
// regions[0].city), clipped to maxFieldPath bytes.
func path(lv *jsonLevel) string {
	var chain [MaxJSONDepth]*jsonLevel
	n := 0
	for ; lv != nil && n < len(chain); lv = lv.up {
		chain[n] = lv
		n++
	}
	var sb strings.Builder
	for i := n - 1; i >= 0 && sb.Len() <= maxFieldPath; i-- {
		l := chain[i]
		if !l.object {
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(l.index))
			sb.WriteByte(']')
			continue
		}
		if !l.hasName {
			break // an object whose member name is still being read
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.Write(l.name)
	}
	return clip(sb.String(), maxFieldPath)
}
