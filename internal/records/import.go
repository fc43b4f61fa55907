package records

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// ImportStore is the persistence a bulk import needs.
type ImportStore interface {
	TakenIdentifiers(ctx context.Context, field domain.LookupField, values []string) (map[string]bool, error)
	BeginImport(ctx context.Context, id, actor domain.ID, now time.Time) error
	ImportHeartbeat(ctx context.Context, id domain.ID, now time.Time) error
	FinishImport(ctx context.Context, id domain.ID, rows int, now time.Time, evs ...*domain.AuditEvent) error
	AbortImport(ctx context.Context, id domain.ID, now time.Time, evs ...*domain.AuditEvent) error
	StaleImports(ctx context.Context, before time.Time) ([]domain.ID, error)
	// InsertCustomers seals and writes a batch of the import's customers.
	// Two calls may run at once: one seals while the other writes.
	InsertCustomers(ctx context.Context, importID domain.ID, batch []*domain.Customer) error
}

// ImportRow is one customer row of an import file.
type ImportRow struct {
	Line  int
	Input domain.CustomerInput
	Owner string // user id or email; empty: the default owner
}

// ImportReader yields rows, then io.EOF. A row the reader cannot make
// sense of is an *ImportProblem.
type ImportReader interface {
	Next() (ImportRow, error)
}

// ImportSource opens the file from the start; an import reads it twice.
type ImportSource func() (ImportReader, error)

// ImportProblem is what is wrong with one row (or the file, line 0). It
// names the line and field, never the value.
type ImportProblem struct {
	Line    int
	Field   string
	Message string
}

func (p *ImportProblem) Error() string {
	if p.Field != "" {
		return fmt.Sprintf("line %d, %s: %s", p.Line, p.Field, p.Message)
	}
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Owner owns rows without an owner cell (user id or email); empty:
	// such rows have no owner.
	Owner string
	// DryRun validates only.
	DryRun bool
	// Progress is told how many rows each phase ("validate", "write") has
	// done so far.
	Progress func(phase string, rows int)
	// BatchSize is how many customers share a write transaction.
	BatchSize int
	// MaxProblems bounds the problems reported (all are counted).
	MaxProblems int
}

// ImportResult reports an import.
type ImportResult struct {
	ID       domain.ID
	Rows     int
	Imported int
	Problems []ImportProblem
	// ProblemCount counts every problem, including those not listed.
	ProblemCount int
}

// errImportInvalid is returned when validation finds problems.
func errImportInvalid(n int) error {
	return &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("%d rows are invalid; nothing was imported", n)}
}

// ImportCustomers creates the customers of a file, all or none.
//
// It reads the file twice. The first pass validates every row — format,
// normalization, owners, write access to every field set, duplicates
// within the file and against stored customers — and, on any problem,
// reports them all (line and field, never values) and writes nothing. The
// second pass seals rows in parallel and writes them in batches tagged
// with the import's id; if anything fails (a value taken meanwhile, a
// crash — cleaned up by the next import), every customer of the import is
// removed. One audit event records the import.
//
// Authorization: customers.import and write access to every field set.
func (s *Service) ImportCustomers(ctx context.Context, src ImportSource, o ImportOptions) (*ImportResult, error) {
	a, err := policy.Require(ctx, domain.FnCustomersImport)
	if err != nil {
		return nil, err
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = 1000
	}
	if o.Progress == nil {
		o.Progress = func(string, int) {}
	}
	if err := s.cleanStaleImports(ctx); err != nil {
		return nil, err
	}
	owners := &ownerCache{s: s, a: a, byRef: map[string]ownerEntry{}}
	if o.Owner != "" {
		if _, perr := owners.resolve(ctx, o.Owner); perr != nil {
			return nil, domain.Invalid("owner", "%s", perr.Message)
		}
	}
	res, err := s.validateImport(ctx, a, src, o, owners)
	if err != nil || res.ProblemCount > 0 || o.DryRun {
		if err == nil && res.ProblemCount > 0 {
			err = errImportInvalid(res.ProblemCount)
		}
		return res, err
	}
	return res, s.writeImport(ctx, a, src, o, owners, res)
}

func (s *Service) cleanStaleImports(ctx context.Context) error {
	now := s.now()
	stale, err := s.imports.StaleImports(ctx, now.Add(-2*time.Minute))
	if err != nil {
		return err
	}
	for _, id := range stale {
		ev := domain.NewAuditEvent(ctx, now, "customer.import", "import", string(id))
		ev.Outcome, ev.Reason = domain.OutcomeError, "interrupted import removed"
		if err := s.imports.AbortImport(ctx, id, now, ev); err != nil {
			return fmt.Errorf("clean up interrupted import %s: %w", id, err)
		}
		s.log.Warn("removed an interrupted import", slog.String("import", string(id)))
	}
	return nil
}

// ownerCache resolves owner cells once per distinct value.
type ownerEntry struct {
	id, team domain.ID
	problem  *ImportProblem
}

type ownerCache struct {
	s     *Service
	a     *domain.Actor
	mu    sync.RWMutex
	byRef map[string]ownerEntry
}

func (oc *ownerCache) resolve(ctx context.Context, ref string) (ownerEntry, *ImportProblem) {
	oc.mu.RLock()
	e, ok := oc.byRef[ref]
	oc.mu.RUnlock()
	if ok {
		return e, e.problem
	}
	var u *domain.User
	var err error
	if domain.ValidID(domain.KindUser, ref) {
		u, err = oc.s.directory.GetUser(ctx, domain.ID(ref))
	} else if email, nerr := domain.NormalizeEmail("owner", ref); nerr == nil {
		u, err = oc.s.directory.GetUserByEmail(ctx, email)
	} else {
		err = domain.ErrNotFound
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		e.problem = &ImportProblem{Field: "owner", Message: "no such user"}
	case err != nil:
		return e, &ImportProblem{Field: "owner", Message: "could not look the owner up"}
	case u.Status != domain.UserActive:
		e.problem = &ImportProblem{Field: "owner", Message: "the owner's account is disabled"}
	default:
		e.id, e.team = u.ID, u.TeamID
		if !oc.a.System && oc.a.Role.Scope == domain.ScopeOwn && u.ID != oc.a.UserID {
			e.problem = &ImportProblem{Field: "owner", Message: "you may only import customers you own"}
		}
	}
	oc.mu.Lock()
	oc.byRef[ref] = e
	oc.mu.Unlock()
	return e, e.problem
}

// rowCustomer validates one row into a customer (without id and times).
func (s *Service) rowCustomer(ctx context.Context, a *domain.Actor, row *ImportRow, defOwner string, owners *ownerCache) (*domain.Customer, *ImportProblem) {
	c, changed, err := domain.NewCustomer(&row.Input)
	if err != nil {
		de := domain.AsError(err)
		return nil, &ImportProblem{Line: row.Line, Field: de.Field, Message: de.Message}
	}
	if err := policy.CheckWrite(a, changed, policy.CustomerFieldClass(c.Kind)); err != nil {
		de := domain.AsError(err)
		return nil, &ImportProblem{Line: row.Line, Field: de.Field, Message: de.Message}
	}
	ref := row.Owner
	if ref == "" {
		ref = defOwner
	}
	if ref != "" {
		e, p := owners.resolve(ctx, ref)
		if p != nil {
			p := *p
			p.Line = row.Line
			return nil, &p
		}
		c.OwnerID, c.TeamID = e.id, e.team
	}
	return c, nil
}

func (s *Service) validateImport(ctx context.Context, a *domain.Actor, open ImportSource, o ImportOptions, owners *ownerCache) (*ImportResult, error) {
	res := &ImportResult{}
	problem := func(p ImportProblem) {
		res.ProblemCount++
		if len(res.Problems) < o.MaxProblems {
			res.Problems = append(res.Problems, p)
		}
	}
	rd, err := open()
	if err != nil {
		var p *ImportProblem
		if errors.As(err, &p) {
			problem(*p)
			return res, nil
		}
		return nil, err
	}
	defer closeReader(rd)
	// Seen identifiers, by a keyed 64-bit hash (a few bytes per row, so a
	// million rows fit in little memory); the line keeps the first holder.
	seed := maphash.MakeSeed()
	seen := make(map[domain.LookupField]map[uint64]int32, len(domain.LookupFields))
	pending := make(map[domain.LookupField][]lineValue, len(domain.LookupFields))
	for _, f := range domain.LookupFields {
		seen[f] = map[uint64]int32{}
	}
	flush := func(f domain.LookupField) error {
		batch := pending[f]
		if len(batch) == 0 {
			return nil
		}
		vals := make([]string, len(batch))
		for i, lv := range batch {
			vals[i] = lv.value
		}
		taken, err := s.imports.TakenIdentifiers(ctx, f, vals)
		if err != nil {
			return err
		}
		for _, lv := range batch {
			if taken[lv.value] {
				problem(ImportProblem{Line: lv.line, Field: string(f), Message: "another customer already has this " + string(f)})
			}
		}
		pending[f] = batch[:0]
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var p *ImportProblem
			if errors.As(err, &p) {
				problem(*p)
				if p.Line == 0 {
					return res, nil // the file as a whole is unreadable
				}
				continue
			}
			return nil, err
		}
		res.Rows++
		if res.Rows%10000 == 0 {
			o.Progress("validate", res.Rows)
		}
		c, p := s.rowCustomer(ctx, a, &row, o.Owner, owners)
		if p != nil {
			problem(*p)
			continue
		}
		for _, f := range domain.LookupFields {
			v := c.Identifier(f)
			if v == "" {
				continue
			}
			h := maphash.String(seed, v)
			if first, dup := seen[f][h]; dup {
				problem(ImportProblem{Line: row.Line, Field: string(f), Message: fmt.Sprintf("the same %s as line %d", f, first)})
				continue
			}
			seen[f][h] = int32(min(row.Line, 1<<31-1)) //nolint:gosec // bounded on the line itself
			pending[f] = append(pending[f], lineValue{row.Line, v})
			if len(pending[f]) == 500 {
				if err := flush(f); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, f := range domain.LookupFields {
		if err := flush(f); err != nil {
			return nil, err
		}
	}
	o.Progress("validate", res.Rows)
	if res.Rows == 0 && res.ProblemCount == 0 {
		problem(ImportProblem{Message: "the file holds no customers"})
	}
	return res, nil
}

type lineValue struct {
	line  int
	value string
}

func (s *Service) writeImport(ctx context.Context, a *domain.Actor, open ImportSource, o ImportOptions, owners *ownerCache, res *ImportResult) (err error) {
	now := s.now().UTC()
	res.ID = domain.NewIDAt(domain.KindImport, now)
	if err := s.imports.BeginImport(ctx, res.ID, a.UserID, now); err != nil {
		return err
	}
	defer func() {
		if err == nil {
			return
		}
		// Remove whatever was written, even if ctx was cancelled.
		actx := context.WithoutCancel(ctx)
		ev := domain.NewAuditEvent(actx, s.now(), "customer.import", "import", string(res.ID))
		ev.Outcome, ev.Reason = domain.OutcomeError, "import failed; its customers were removed"
		if aerr := s.imports.AbortImport(actx, res.ID, s.now(), ev); aerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the failed import's customers: %w", aerr))
		}
		res.Imported = 0
	}()
	rd, err := open()
	if err != nil {
		return err
	}
	defer closeReader(rd)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	rows := make(chan ImportRow, 256)
	customers := make(chan *domain.Customer, 2*o.BatchSize)
	var workers sync.WaitGroup
	go func() { // reader
		defer close(rows)
		for {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				cancel(fmt.Errorf("the file changed between the two passes: %w", err))
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
				c, p := s.rowCustomer(ctx, a, &row, o.Owner, owners)
				if p != nil {
					cancel(fmt.Errorf("the file changed between the two passes: %w", p))
					return
				}
				t := s.now().UTC()
				c.ID = domain.NewIDAt(domain.KindCustomer, t)
				c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
				select {
				case customers <- c:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		workers.Wait()
		close(customers)
	}()

	// Two batches in flight: the store seals one while it writes the other.
	var (
		writers  sync.WaitGroup
		mu       sync.Mutex
		lastBeat = time.Now()
	)
	inFlight := make(chan struct{}, 2)
	write := func(batch []*domain.Customer) {
		defer func() { <-inFlight }()
		if err := s.imports.InsertCustomers(ctx, res.ID, batch); err != nil {
			cancel(err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		res.Imported += len(batch)
		o.Progress("write", res.Imported)
		if time.Since(lastBeat) > 10*time.Second {
			lastBeat = time.Now()
			if err := s.imports.ImportHeartbeat(ctx, res.ID, s.now()); err != nil {
				cancel(err)
			}
		}
	}
	batch := make([]*domain.Customer, 0, o.BatchSize)
	flush := func() {
		if len(batch) == 0 || ctx.Err() != nil {
			batch = batch[:0] // after a failure: drop, and let the workers end
			return
		}
		inFlight <- struct{}{}
		b := batch
		batch = make([]*domain.Customer, 0, o.BatchSize)
		writers.Go(func() { write(b) })
	}
	for c := range customers {
		batch = append(batch, c)
		if len(batch) == o.BatchSize {
			flush()
		}
	}
	flush()
	writers.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if res.Imported != res.Rows {
		return fmt.Errorf("wrote %d customers of %d rows", res.Imported, res.Rows)
	}
	ev := domain.NewAuditEvent(ctx, s.now(), "customer.import", "import", string(res.ID))
	ev.Reason = fmt.Sprintf("%d customers", res.Imported)
	return s.imports.FinishImport(ctx, res.ID, res.Imported, s.now(), ev)
}

// closeReader closes a reader that holds a file, if it does.
func closeReader(rd ImportReader) {
	if c, ok := rd.(io.Closer); ok {
		_ = c.Close()
	}
}
