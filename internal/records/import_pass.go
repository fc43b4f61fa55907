package records

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// importKind is what the two passes need to know about one kind of
// record.
type importKind[T any] struct {
	// build validates a row into a record, with every problem of the row
	// (problems name the file's columns). The record is returned even
	// with problems when the rest of the row made one, so its
	// identifiers are still checked.
	build func(ctx context.Context, row *ImportRow) (T, []ImportProblem)
	// identifiers are the record's values that must be unique among
	// customers (customers only).
	identifiers func(T) []identifier
	// stamp gives a validated record its id, times and version.
	stamp func(T, time.Time)
	// write writes a batch of the import's records.
	write func(ctx context.Context, importID domain.ID, batch []T) error
}

type identifier struct {
	field domain.LookupField
	value string
}

// blockRows is how many rows validation holds at once: their identifiers
// are checked against stored customers together, then the rows go to the
// report with every problem they have.
const blockRows = 500

// pendingRow is a validated row waiting for its block to be checked.
type pendingRow struct {
	line     int
	cells    []string
	problems []ImportProblem
}

// validatePass reads the file once and checks every row, reporting each
// refused row with all its problems.
func validatePass[T any](ctx context.Context, j *importJob, k importKind[T], rep *reportWriter) error {
	rd, err := j.src.Open()
	if err != nil {
		return err
	}
	defer closeReader(rd)
	j.cols = lowerAll(rd.Header())
	if err := rep.begin(rd.Header()); err != nil {
		return err
	}
	if p := j.checkRefColumns(); p != nil {
		j.problem(*p)
		return rep.fileProblem(*p)
	}
	// Seen identifiers, by a keyed 64-bit hash (a few bytes per row, so a
	// million rows fit in little memory); the line keeps the first holder.
	seed := maphash.MakeSeed()
	seen := map[domain.LookupField]map[uint64]int32{}
	var block []pendingRow
	type check struct {
		row int // index in block
		id  identifier
	}
	var checks []check
	flush := func() error {
		byField := map[domain.LookupField][]check{}
		for _, c := range checks {
			byField[c.id.field] = append(byField[c.id.field], c)
		}
		for _, f := range domain.LookupFields {
			cs := byField[f]
			if len(cs) == 0 {
				continue
			}
			vals := make([]string, len(cs))
			for i, c := range cs {
				vals[i] = c.id.value
			}
			taken, err := j.s.imports.TakenIdentifiers(ctx, f, vals)
			if err != nil {
				return err
			}
			for _, c := range cs {
				if taken[c.id.value] {
					p := &block[c.row]
					p.problems = append(p.problems, ImportProblem{Line: p.line, Field: string(f), Message: "another customer already has this " + string(f)})
				}
			}
		}
		for _, p := range block {
			if len(p.problems) == 0 {
				continue
			}
			j.res.RowsInvalid++
			for _, pr := range p.problems {
				j.problem(pr)
			}
			if err := rep.row(p.line, p.cells, p.problems); err != nil {
				return err
			}
		}
		block, checks = block[:0], checks[:0]
		return j.progress(ctx, domain.PhaseValidate, j.res.Rows, false)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var p *ImportProblem
			if !errors.As(err, &p) {
				return err
			}
			// The file fails as a whole: what was read so far is
			// reported, then this.
			if ferr := flush(); ferr != nil {
				return ferr
			}
			j.problem(*p)
			return rep.fileProblem(*p)
		}
		j.res.Rows++
		rec, problems := k.build(ctx, &row)
		p := pendingRow{line: row.Line, cells: row.Cells, problems: problems}
		if k.identifiers != nil {
			for _, id := range k.identifiers(rec) {
				if seen[id.field] == nil {
					seen[id.field] = map[uint64]int32{}
				}
				h := maphash.String(seed, id.value)
				if first, dup := seen[id.field][h]; dup {
					p.problems = append(p.problems, ImportProblem{Line: row.Line, Field: string(id.field),
						Message: fmt.Sprintf("the same %s as line %d", id.field, first)})
					continue
				}
				seen[id.field][h] = int32(min(row.Line, 1<<31-1)) //nolint:gosec // bounded on the line itself
				checks = append(checks, check{row: len(block), id: id})
			}
		}
		block = append(block, p)
		if len(block) == blockRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := j.progress(ctx, domain.PhaseValidate, j.res.Rows, true); err != nil {
		return err
	}
	if j.res.Rows == 0 && j.res.ProblemCount == 0 {
		p := ImportProblem{Message: "the file holds no rows"}
		j.problem(p)
		return rep.fileProblem(p)
	}
	return nil
}

// writePass reads the file again, builds rows in parallel and writes them
// in batches, two in flight: the store seals one while it writes the
// other.
func writePass[T any](ctx context.Context, j *importJob, k importKind[T]) error {
	if err := j.progress(ctx, domain.PhaseWrite, 0, true); err != nil {
		return err
	}
	rd, err := j.src.Open()
	if err != nil {
		return err
	}
	defer closeReader(rd)
	j.cols = lowerAll(rd.Header())
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	rows := make(chan ImportRow, 256)
	built := make(chan T, 2*j.o.BatchSize)
	var workers sync.WaitGroup
	go func() { // reader
		defer close(rows)
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				cancel(errChanged(err))
				return
			}
			select {
			case rows <- row:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range max(1, runtime.NumCPU()) {
		workers.Go(func() {
			for row := range rows {
				rec, problems := k.build(ctx, &row)
				if len(problems) > 0 {
					cancel(errChanged(&problems[0]))
					return
				}
				k.stamp(rec, j.s.stamp())
				select {
				case built <- rec:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		workers.Wait()
		close(built)
	}()

	var (
		writers sync.WaitGroup
		mu      sync.Mutex
	)
	inFlight := make(chan struct{}, 2)
	write := func(batch []T) {
		defer func() { <-inFlight }()
		if err := k.write(ctx, j.imp.ID, batch); err != nil {
			cancel(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		j.res.Imported += len(batch)
		if err := j.progress(ctx, domain.PhaseWrite, j.res.Imported, false); err != nil {
			cancel(err)
		}
	}
	batch := make([]T, 0, j.o.BatchSize)
	flush := func() {
		if len(batch) == 0 || ctx.Err() != nil {
			batch = batch[:0] // after a failure: drop, and let the workers end
			return
		}
		inFlight <- struct{}{}
		b := batch
		batch = make([]T, 0, j.o.BatchSize)
		writers.Go(func() { write(b) })
	}
	for rec := range built {
		batch = append(batch, rec)
		if len(batch) == j.o.BatchSize {
			flush()
		}
	}
	flush()
	writers.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if j.res.Imported != j.res.Rows {
		return fmt.Errorf("wrote %d records of %d rows", j.res.Imported, j.res.Rows)
	}
	return nil
}

func lowerAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}
