// Package csvimport reads customers from CSV files: a header row naming
// columns, then one customer per row. It checks the file's shape (known
// columns, consistent field counts, sane sizes) and turns each row into
// the customer input the service validates; every error names the line
// and column, never the value.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// Columns a file may carry. name is required; the rest are optional and
// may come in any order. tags are separated by ';' or '|'; owner is a
// user id or email.
var Columns = []string{
	"kind", "name", "phone", "email", "province", "city", "district", "street", "address",
	"id_type", "id_number", "tax_id", "bank_account", "company", "industry", "tags", "owner", "status",
}

// Limits of a file.
const (
	MaxFieldBytes = 4 << 10 // one cell
	MaxRowBytes   = 64 << 10
)

// FileError is a problem with the file or one of its rows.
type FileError struct {
	Line    int    // 1-based line of the row (0: the file as a whole)
	Column  string // column name, when known
	Message string
}

func (e *FileError) Error() string {
	switch {
	case e.Line == 0:
		return e.Message
	case e.Column == "":
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	default:
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Message)
	}
}

// Row is one customer row: its input, its line, and the owner cell
// (resolved by the service).
type Row struct {
	Line  int
	Input domain.CustomerInput
	Owner string
}

// Reader reads customer rows.
type Reader struct {
	cr    *csv.Reader
	cols  []string
	count *countingReader
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// NewReader reads the header of a CSV file. It refuses an empty file, a
// header with unknown, repeated or missing required columns, and a header
// that is not UTF-8; Next refuses each cell that is not. Errors name the
// line, the column and a byte offset, never the content.
func NewReader(r io.Reader) (*Reader, error) {
	count := &countingReader{r: r}
	br := bufio.NewReaderSize(count, MaxRowBytes)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // the header fixes it
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &FileError{Message: "the file is empty; the first line must name the columns"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		// Checked before anything reads the name: strings.ToLower would
		// turn bad bytes into U+FFFD.
		if at := domain.InvalidUTF8At(h); at >= 0 {
			return nil, &FileError{Line: 1, Message: fmt.Sprintf("the name of column %d is not valid UTF-8 (byte %d of the name); save the file as UTF-8", i+1, at)}
		}
		name := strings.ToLower(strings.TrimSpace(h))
		if !known(name) {
			// The name is not repeated: the file may not be a customer
			// list at all, and its first line may be a secret.
			return nil, &FileError{Line: 1, Message: fmt.Sprintf("column %d of the header is not a known column (known: %s)", i+1, strings.Join(Columns, ", "))}
		}
		if seen[name] {
			return nil, &FileError{Line: 1, Message: fmt.Sprintf("column %q appears twice", name)}
		}
		seen[name] = true
		cols[i] = name
	}
	if !seen["name"] {
		return nil, &FileError{Line: 1, Message: `the header has no "name" column`}
	}
	if seen["address"] && seen["street"] {
		return nil, &FileError{Line: 1, Message: `give either "address" or "street", not both`}
	}
	return &Reader{cr: cr, cols: cols, count: count}, nil
}

func known(name string) bool {
	for _, c := range Columns {
		if c == name {
			return true
		}
	}
	return false
}

// BytesRead reports how far into the file the reader is (for progress).
func (r *Reader) BytesRead() int64 { return r.count.n }

// Next returns the next row, or io.EOF after the last. A malformed row is
// a *FileError naming its line.
func (r *Reader) Next() (Row, error) {
	rec, err := r.cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		return Row{}, csvError(err)
	}
	line, _ := r.cr.FieldPos(0)
	row := Row{Line: line}
	in := &row.Input
	for i, v := range rec {
		col := r.cols[i]
		if len(v) > MaxFieldBytes {
			return row, &FileError{Line: line, Column: col, Message: fmt.Sprintf("the cell is longer than %d bytes", MaxFieldBytes)}
		}
		if at := domain.InvalidUTF8At(v); at >= 0 {
			// A quoted cell may span lines: name the line it starts on.
			cellLine, _ := r.cr.FieldPos(i)
			return row, &FileError{Line: cellLine, Column: col, Message: fmt.Sprintf("the cell is not valid UTF-8 (byte %d of the cell); save the file as UTF-8", at)}
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		switch col {
		case "kind":
			in.Kind = domain.CustomerKind(strings.ToLower(v))
		case "name":
			in.Name = v
		case "phone":
			in.Phone = v
		case "email":
			in.Email = v
		case "province", "city", "district", "street", "address":
			if in.Address == nil {
				in.Address = &domain.AddressInput{}
			}
			switch col {
			case "province":
				in.Address.Province = v
			case "city":
				in.Address.City = v
			case "district":
				in.Address.District = v
			default:
				in.Address.Street = v
			}
		case "id_type":
			in.IDType = domain.IDType(strings.ToLower(v))
		case "id_number":
			in.IDNumber = v
		case "tax_id":
			in.TaxID = v
		case "bank_account":
			in.BankAccount = v
		case "company":
			in.Company = v
		case "industry":
			in.Industry = v
		case "tags":
			in.Tags = strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '|' })
		case "owner":
			row.Owner = v
		case "status":
			in.Status = domain.CustomerStatus(strings.ToLower(v))
		}
	}
	return row, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			msg = "the row has a different number of fields than the header"
		}
		return &FileError{Line: pe.StartLine, Message: msg}
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		return &FileError{Message: fmt.Sprintf("a line is longer than %d bytes", MaxRowBytes)}
	}
	return &FileError{Message: "could not read the file: " + err.Error()}
}
