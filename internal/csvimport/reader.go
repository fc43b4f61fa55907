// Package csvimport reads import files: CSV with a header row naming
// columns, then one record per row, in any of the encodings spreadsheets
// save (see Encoding). It detects the encoding, checks the file's shape
// (known columns, sane sizes, lines no longer than MaxLineBytes) and turns
// each row into the input the records service validates, with every
// problem of its cells. Errors name the line, column and byte offset,
// never the content.
package csvimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
)

// Columns a file of each kind may carry, in any order. Customers need
// name; contacts name and one customer column; deals title and one
// customer column. Contacts and deals name their customer by id
// (customer_id) or by one of its exact identifiers (customer_phone,
// customer_email, customer_id_number, customer_tax_id). Tags are
// separated by ';' or '|'; owner is a user id or email.
var Columns = map[domain.ImportKind][]string{
	domain.ImportCustomers: {"kind", "name", "phone", "email", "province", "city", "district", "street", "address",
		"id_type", "id_number", "tax_id", "bank_account", "company", "industry", "tags", "owner", "status"},
	domain.ImportContacts: append(refColumns(), "name", "phone", "email", "title"),
	domain.ImportDeals:    append(refColumns(), "title", "amount", "currency", "stage", "expected_close", "owner"),
}

// refColumns are the columns naming a contact's or deal's customer, with
// the lookup field of each (empty for the id).
func refColumns() []string {
	return []string{"customer_id", "customer_phone", "customer_email", "customer_id_number", "customer_tax_id"}
}

// Limits of a file.
const (
	MaxFieldBytes = 4 << 10 // one cell
	// MaxLineBytes is the longest line (a quoted cell may span lines):
	// longer ones refuse the file, so a single huge line never sits in
	// memory.
	MaxLineBytes = 64 << 10
)

// FileError is a problem with the file as a whole: its encoding, its
// header, a line too long to read.
type FileError struct {
	Line    int    // 1-based line (0: the file as a whole)
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

// File is an import file: its encoding detected, its rows counted and its
// header checked once; Open reads it afresh for each pass of an import.
type File struct {
	open   Opener
	kind   domain.ImportKind
	enc    Encoding
	rows   int
	closer io.Closer
}

// Inspect detects the encoding of the file open opens, counts its rows
// and checks its header for an import of kind. closer (may be nil) is
// closed with the file. A file that cannot be imported at all is a
// *FileError.
func Inspect(open Opener, kind domain.ImportKind, closer io.Closer) (*File, error) {
	if !domain.ValidImportKind(kind) {
		return nil, fmt.Errorf("unknown import kind %q", kind)
	}
	enc, err := Detect(open)
	if err != nil {
		return nil, err
	}
	f := &File{open: open, kind: kind, enc: enc, closer: closer}
	r, err := f.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for {
		if _, err := r.cr.Read(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, r.fatal(err)
			}
		}
		f.rows++
	}
	return f, nil
}

// Encoding names the encoding the file is read in.
func (f *File) Encoding() string { return f.enc.Name }

// Rows is how many rows the file holds after its header.
func (f *File) Rows() int { return f.rows }

// Close releases what holds the file (an upload's spool).
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Open reads the file from the start: its header, then its rows.
func (f *File) Open() (records.ImportReader, error) {
	r, err := f.reader()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reader reads the rows of a file.
type Reader struct {
	file   *File
	rc     io.ReadCloser
	cr     *csv.Reader
	header []string // as in the file, trimmed
	cols   []string // known column names, lower case
}

func (f *File) reader() (*Reader, error) {
	rc, err := f.open()
	if err != nil {
		return nil, err
	}
	r := &Reader{file: f, rc: rc}
	cr := csv.NewReader(&lineLimiter{r: f.enc.Decode(rc), line: 1})
	cr.FieldsPerRecord = -1 // rows with a different count are reported, not fatal
	r.cr = cr
	if err := r.readHeader(); err != nil {
		_ = rc.Close()
		return nil, err
	}
	return r, nil
}

// Close closes the file.
func (r *Reader) Close() error { return r.rc.Close() }

// Header returns the column names as the file has them.
func (r *Reader) Header() []string { return r.header }

func (r *Reader) readHeader() error {
	header, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		return &FileError{Message: "the file is empty; the first line must name the columns"}
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &FileError{Line: pe.StartLine, Message: parseMessage(pe)}
		}
		return r.fatal(err)
	}
	known := Columns[r.file.kind]
	r.cols = make([]string, len(header))
	r.header = make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(known, name) {
			// The name is not repeated: the file may not be an import
			// file at all, and its first line may be a secret.
			return &FileError{Line: 1, Message: fmt.Sprintf("column %d of the header is not a known column for %s (known: %s)",
				i+1, r.file.kind, strings.Join(known, ", "))}
		}
		if seen[name] {
			return &FileError{Line: 1, Message: fmt.Sprintf("column %q appears twice", name)}
		}
		seen[name] = true
		r.cols[i], r.header[i] = name, strings.TrimSpace(h)
	}
	required := "name"
	if r.file.kind == domain.ImportDeals {
		required = "title"
	}
	if !seen[required] {
		return &FileError{Line: 1, Message: fmt.Sprintf("the header has no %q column", required)}
	}
	if seen["address"] && seen["street"] {
		return &FileError{Line: 1, Message: `give either "address" or "street", not both`}
	}
	if r.file.kind != domain.ImportCustomers && !slices.ContainsFunc(refColumns(), func(c string) bool { return seen[c] }) {
		return &FileError{Line: 1, Message: "the header names no customer: give customer_id, customer_phone, customer_email, customer_id_number or customer_tax_id"}
	}
	return nil
}

// Next returns the next row, or io.EOF after the last. A row with
// problems (a malformed line, a cell too long, a different number of
// fields than the header) comes with them in Problems and reading goes
// on; an error is the file as a whole failing (a line too long, a byte
// sequence the encoding does not allow: the file changed since it was
// inspected) as an *records.ImportProblem.
func (r *Reader) Next() (records.ImportRow, error) {
	rec, err := r.cr.Read()
	var row records.ImportRow
	if err != nil {
		if errors.Is(err, io.EOF) {
			return row, io.EOF
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return row, asProblem(r.fatal(err))
		}
		row.Line = pe.StartLine
		if !errors.Is(pe.Err, csv.ErrFieldCount) || rec == nil {
			row.Problems = append(row.Problems, records.ImportProblem{Line: row.Line, Message: parseMessage(pe)})
			return row, nil
		}
	}
	if row.Line == 0 {
		row.Line, _ = r.cr.FieldPos(0)
	}
	row.Cells = slices.Clone(rec)
	if len(rec) != len(r.cols) {
		row.Problems = append(row.Problems, records.ImportProblem{Line: row.Line,
			Message: fmt.Sprintf("the row has %d fields, the header %d", len(rec), len(r.cols))})
		rec = rec[:min(len(rec), len(r.cols))]
	}
	for i, v := range rec {
		col := r.cols[i]
		if len(v) > MaxFieldBytes {
			row.Problems = append(row.Problems, records.ImportProblem{Line: row.Line, Field: col,
				Message: fmt.Sprintf("the cell is longer than %d bytes", MaxFieldBytes)})
			continue
		}
		if at := domain.InvalidUTF8At(v); at >= 0 {
			row.Problems = append(row.Problems, records.ImportProblem{Line: row.Line, Field: col,
				Message: fmt.Sprintf("the cell is not valid UTF-8 (byte %d of the cell)", at)})
			continue
		}
		v = domain.UnneutralizeCSVCell(strings.TrimSpace(v))
		if v != "" {
			r.set(&row, col, v)
		}
	}
	return row, nil
}

// set puts one cell's value where the row's kind takes it.
func (r *Reader) set(row *records.ImportRow, col, v string) {
	switch col {
	case "owner":
		row.Owner = v
		return
	case "customer_id", "customer_phone", "customer_email", "customer_id_number", "customer_tax_id":
		row.Refs = append(row.Refs, records.CustomerRef{Column: col, Value: v})
		return
	}
	switch r.file.kind {
	case domain.ImportContacts:
		setContact(&row.Contact, col, v)
	case domain.ImportDeals:
		setDeal(&row.Deal, col, v)
	default:
		setCustomer(&row.Customer, col, v)
	}
}

func setCustomer(in *domain.CustomerInput, col, v string) {
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
	case "status":
		in.Status = domain.CustomerStatus(strings.ToLower(v))
	}
}

func setContact(in *domain.ContactInput, col, v string) {
	switch col {
	case "name":
		in.Name = v
	case "phone":
		in.Phone = v
	case "email":
		in.Email = v
	case "title":
		in.Title = v
	}
}

func setDeal(in *domain.DealInput, col, v string) {
	switch col {
	case "title":
		in.Title = v
	case "amount":
		a := domain.AmountInput(v)
		in.Amount = &a
	case "currency":
		in.Currency = strings.ToUpper(v)
	case "stage":
		in.Stage = domain.DealStage(strings.ToLower(v))
	case "expected_close":
		in.ExpectedClose = v
	}
}

// fatal turns an error met while reading into a refusal of the file.
func (r *Reader) fatal(err error) error {
	var long *lineTooLong
	var de *DecodeError
	switch {
	case errors.As(err, &long):
		return &FileError{Line: long.line, Message: fmt.Sprintf("line %d is longer than %d bytes", long.line, MaxLineBytes)}
	case errors.As(err, &de):
		return decodeProblem(r.file.open, r.file.enc, de)
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return readError(err)
}

func asProblem(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return &records.ImportProblem{Line: fe.Line, Field: fe.Column, Message: fe.Message}
	}
	return err
}

func parseMessage(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return "the row has a different number of fields than the header"
	case errors.Is(pe.Err, csv.ErrQuote):
		return "a quoted cell is not closed, or a quote inside it is not doubled"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "a quote in an unquoted cell (quote the cell and double the quote)"
	}
	return "the line is not valid CSV"
}

// lineLimiter refuses a line longer than MaxLineBytes as it is read.
type lineLimiter struct {
	r    io.Reader
	run  int // bytes since the last line feed
	line int
}

type lineTooLong struct{ line int }

func (e *lineTooLong) Error() string { return fmt.Sprintf("line %d is too long", e.line) }

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	b := p[:n]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.run += len(b)
			break
		}
		if l.run+i > MaxLineBytes {
			return 0, &lineTooLong{line: l.line}
		}
		l.run = 0
		l.line++
		b = b[i+1:]
	}
	if l.run > MaxLineBytes {
		return 0, &lineTooLong{line: l.line}
	}
	return n, err
}
