package domain

import "unicode/utf8"

// InvalidUTF8At returns the offset of the first byte of s that is not part
// of a valid UTF-8 encoding, or -1 when s is valid UTF-8. Valid input
// costs one utf8.ValidString pass; the offset is looked for only when
// there is one to find.
func InvalidUTF8At(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// InvalidUTF8AtBytes is InvalidUTF8At for a byte slice.
func InvalidUTF8AtBytes(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
