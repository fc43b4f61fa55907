package records

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// The report of an import's refused rows is CSV in UTF-8 with a
// byte-order mark (spreadsheets then open it as UTF-8): a line column,
// the file's own columns holding the row as it was, and an errors column
// with every problem of the row ("column: problem", separated by "; ").
// Cells that could pass for a formula get a leading ' (the import reads
// them back without it, so a corrected report can be imported). A report
// is written only when some row was refused.

// reportBOM is the UTF-8 byte-order mark.
var reportBOM = []byte{0xEF, 0xBB, 0xBF}

// reportChunk is how much of a report is sealed and stored at once.
const reportChunk = 256 << 10

type reportWriter struct {
	header []string
	buf    bytes.Buffer
	cw     *csv.Writer
	out    []io.Writer
	begun  bool
}

func newReportWriter(ctx context.Context, j *importJob) *reportWriter {
	r := &reportWriter{}
	if j.o.Report != nil {
		r.out = append(r.out, j.o.Report)
	}
	if j.keepReport && j.tracked {
		r.out = append(r.out, &reportStore{ctx: ctx, j: j})
	}
	r.cw = csv.NewWriter(&r.buf)
	return r
}

// begin takes the file's header; nothing is written until a row is
// refused.
func (r *reportWriter) begin(header []string) error {
	r.header = header
	return nil
}

// row reports a refused row with its problems.
func (r *reportWriter) row(line int, cells []string, problems []ImportProblem) error {
	if len(r.out) == 0 {
		return nil
	}
	if !r.begun {
		r.begun = true
		r.buf.Write(reportBOM)
		head := append(append([]string{"line"}, r.header...), "errors")
		if err := r.cw.Write(head); err != nil {
			return err
		}
	}
	rec := make([]string, 0, len(r.header)+2)
	rec = append(rec, strconv.Itoa(line))
	for i := range r.header {
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		rec = append(rec, domain.NeutralizeCSVCell(cell))
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Message
		if p.Field != "" {
			msgs[i] = p.Field + ": " + p.Message
		}
	}
	rec = append(rec, domain.NeutralizeCSVCell(strings.Join(msgs, "; ")))
	if err := r.cw.Write(rec); err != nil {
		return err
	}
	if r.buf.Len() >= reportChunk {
		return r.flush()
	}
	return nil
}

// fileProblem reports a problem of the file as a whole.
func (r *reportWriter) fileProblem(p ImportProblem) error {
	return r.row(p.Line, nil, []ImportProblem{p})
}

func (r *reportWriter) flush() error {
	r.cw.Flush()
	if err := r.cw.Error(); err != nil {
		return err
	}
	if r.buf.Len() == 0 {
		return nil
	}
	for _, w := range r.out {
		if _, err := w.Write(r.buf.Bytes()); err != nil {
			return err
		}
	}
	r.buf.Reset()
	return nil
}

// close writes what is left.
func (r *reportWriter) close() error {
	if len(r.out) == 0 {
		return nil
	}
	return r.flush()
}

// reportStore hands report chunks to the store, which seals them.
type reportStore struct {
	ctx context.Context
	j   *importJob
	seq int
}

func (s *reportStore) Write(p []byte) (int, error) {
	if err := s.j.s.importJobs.AppendImportReport(s.ctx, s.j.imp.ID, s.seq, bytes.Clone(p)); err != nil {
		return 0, err
	}
	s.seq++
	return len(p), nil
}
