package csvimport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// Opener opens a file from its start; an import reads its file several
// times (detection, counting, validation, writing).
type Opener func() (io.ReadCloser, error)

// Detect finds the encoding of the file (see Encoding): a byte-order
// mark, else UTF-8 if the whole file is valid UTF-8, else GB18030 if the
// whole file is valid GB18030 and no line of it is UTF-8 beside lines
// that are not (a file with rows saved in two encodings). A file that
// holds a NUL byte without a byte-order mark is UTF-16 saved without one,
// and refused. Every refusal is a *FileError naming the line and byte
// offset, never the content.
func Detect(open Opener) (Encoding, error) {
	head, err := readHead(open, 4)
	if err != nil {
		return Encoding{}, err
	}
	for _, e := range []Encoding{GB18030BOM, UTF8BOM, UTF16LE, UTF16BE} {
		if bytes.HasPrefix(head, e.bom) {
			if err := validate(open, e); err != nil {
				var de *DecodeError
				if errors.As(err, &de) {
					return Encoding{}, decodeProblem(open, e, de)
				}
				return Encoding{}, err
			}
			return e, nil
		}
	}
	utf8Err, nul, err := scanUTF8(open)
	if err != nil {
		return Encoding{}, err
	}
	if nul >= 0 {
		return Encoding{}, positioned(open, UTF8, nul, "the file holds a NUL byte",
			"; it looks like UTF-16 saved without a byte-order mark: save it as UTF-8, or as UTF-16 with a byte-order mark (Excel: \"Unicode Text\")")
	}
	if utf8Err == nil {
		return UTF8, nil
	}
	if utf8Err.Truncated {
		// Valid UTF-8 up to a character the end of the file cuts off.
		return Encoding{}, positioned(open, UTF8, utf8Err.Offset, "the file is UTF-8 but ends in the middle of a character", "; it may be truncated")
	}
	gbErr := validate(open, GB18030)
	var de *DecodeError
	if errors.As(gbErr, &de) {
		u := describe(open, UTF8, utf8Err.Offset)
		g := describe(open, GB18030, de.Offset)
		what := "is not valid"
		if de.Truncated {
			what = "ends in the middle of a character"
		}
		return Encoding{}, &FileError{Line: g.line, Message: fmt.Sprintf(
			"the file is neither UTF-8 (not valid at %s) nor GB18030 (%s at %s); save it as UTF-8", u, what, g)}
	}
	if gbErr != nil {
		return Encoding{}, gbErr
	}
	if utf8Line, otherLine, err := mixedLines(open); err != nil {
		return Encoding{}, err
	} else if utf8Line > 0 {
		return Encoding{}, &FileError{Line: otherLine, Message: fmt.Sprintf(
			"the file mixes encodings: line %d is UTF-8 and line %d is not; save the whole file in one encoding (UTF-8)", utf8Line, otherLine)}
	}
	return GB18030, nil
}

func readHead(open Opener, n int) ([]byte, error) {
	r, err := open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	head := make([]byte, n)
	k, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, readError(err)
	}
	return head[:k], nil
}

// validate decodes the whole file as e, refusing a sequence that is not
// valid in it (and a NUL character).
func validate(open Opener, e Encoding) error {
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	buf := make([]byte, 64<<10)
	dec := e.Decode(r)
	line := 1
	for {
		n, err := dec.Read(buf)
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			line += bytes.Count(buf[:i], []byte{'\n'})
			return &FileError{Line: line, Message: fmt.Sprintf("line %d holds a NUL character (U+0000); save the file as UTF-8", line)}
		}
		line += bytes.Count(buf[:n], []byte{'\n'})
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var de *DecodeError
			if errors.As(err, &de) {
				return err
			}
			return readError(err)
		}
	}
}

// scanUTF8 reads the file once, returning where it stops being valid
// UTF-8 (nil if it never does) and the offset of its first NUL byte (-1
// if none).
func scanUTF8(open Opener) (*DecodeError, int64, error) {
	r, err := open()
	if err != nil {
		return nil, -1, err
	}
	defer r.Close()
	nf := &nulFinder{r: r, first: -1}
	_, err = io.Copy(io.Discard, transform.NewReader(nf, newUTF8Validator()))
	var de *DecodeError
	switch {
	case errors.As(err, &de):
		// Keep looking for a NUL: it explains a file better.
		if _, rerr := io.Copy(io.Discard, nf); rerr != nil {
			return nil, -1, readError(rerr)
		}
		return de, nf.first, nil
	case err != nil:
		return nil, -1, readError(err)
	}
	return nil, nf.first, nil
}

type nulFinder struct {
	r     io.Reader
	n     int64
	first int64
}

func (f *nulFinder) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.first < 0 {
		if i := bytes.IndexByte(p[:n], 0); i >= 0 {
			f.first = f.n + int64(i)
		}
	}
	f.n += int64(n)
	return n, err
}

// mixedLines looks for a line that is valid UTF-8 with characters beyond
// ASCII in a file that is not UTF-8: it returns that line and the first
// line that is not valid UTF-8, or zeros. Lines too long for the reader
// (which refuses them later) are not judged.
func mixedLines(open Opener) (utf8Line, otherLine int, err error) {
	r, err := open()
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, MaxLineBytes+1)
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		whole := !errors.Is(err, bufio.ErrBufferFull)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		if whole && !isASCII(b) {
			if utf8.Valid(b) {
				if utf8Line == 0 {
					utf8Line = line
				}
			} else if otherLine == 0 {
				otherLine = line
			}
			if utf8Line > 0 && otherLine > 0 {
				return utf8Line, otherLine, nil
			}
		}
		if errors.Is(err, io.EOF) {
			return 0, 0, nil
		}
		if err != nil {
			return 0, 0, readError(err)
		}
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// position is a place in a file: its line and byte offset.
type position struct {
	line   int
	offset int64
}

func (p position) String() string { return fmt.Sprintf("line %d, byte %d", p.line, p.offset) }

// describe finds the line of a byte offset, counting line feeds in the
// file's own code units.
func describe(open Opener, e Encoding, offset int64) position {
	p := position{line: 1, offset: offset}
	r, err := open()
	if err != nil {
		return p
	}
	defer r.Close()
	br := bufio.NewReaderSize(io.LimitReader(r, offset), 64<<10)
	var at int64
	var prev byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return p
		}
		switch {
		case e.unit == 1 && c == '\n':
			p.line++
		case e.unit == 2 && at%2 == 1:
			lo, hi := prev, c
			if e.be {
				lo, hi = c, prev
			}
			if lo == '\n' && hi == 0 {
				p.line++
			}
		}
		prev = c
		at++
	}
}

// positioned is a refusal naming the line and offset of a problem.
func positioned(open Opener, e Encoding, offset int64, what, advice string) error {
	p := describe(open, e, offset)
	return &FileError{Line: p.line, Message: fmt.Sprintf("%s (%s)%s", what, p, advice)}
}

// decodeProblem turns a decode error met while reading rows (the file
// changed since it was checked) into a refusal naming its position.
func decodeProblem(open Opener, e Encoding, de *DecodeError) error {
	what := "the file is not valid " + e.Name
	if de.Truncated {
		what = "the file ends in the middle of a character"
	}
	return positioned(open, e, de.Offset, what, "")
}

func readError(err error) error {
	return &FileError{Message: "could not read the file: " + err.Error()}
}
