package records

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// ImportStore is the persistence a bulk import of customers needs, and
// the end of every import (FinishImport, AbortImport).
type ImportStore interface {
	TakenIdentifiers(ctx context.Context, field domain.LookupField, values []string) (map[string]bool, error)
	FinishImport(ctx context.Context, id domain.ID, rows int, now time.Time, evs ...*domain.AuditEvent) error
	AbortImport(ctx context.Context, id domain.ID, now time.Time, evs ...*domain.AuditEvent) error
	StaleImports(ctx context.Context, before time.Time) ([]domain.ID, error)
	// InsertCustomers seals and writes a batch of the import's customers.
	// Two calls may run at once: one seals while the other writes.
	InsertCustomers(ctx context.Context, importID domain.ID, batch []*domain.Customer) error
}

// ImportJobStore records imports as they run, so every node can answer
// how far one is, and keeps their reports of refused rows, sealed.
type ImportJobStore interface {
	CreateImport(ctx context.Context, imp *domain.Import) error
	// ImportProgress stores imp's phase and counts and shows it alive.
	ImportProgress(ctx context.Context, imp *domain.Import, now time.Time) error
	// EndImport stores imp's final state, message and counts.
	EndImport(ctx context.Context, imp *domain.Import, now time.Time, evs ...*domain.AuditEvent) error
	GetImport(ctx context.Context, id domain.ID) (*domain.Import, error)
	// AppendImportReport seals and stores chunk seq of an import's report.
	AppendImportReport(ctx context.Context, id domain.ID, seq int, chunk []byte) error
	// ReadImportReport opens the report's chunks in order.
	ReadImportReport(ctx context.Context, id domain.ID, fn func(chunk []byte) error) error
	// ExpireImportReports erases the reports of imports that ended
	// before before (their data keys destroyed).
	ExpireImportReports(ctx context.Context, before time.Time) (int, error)
}

// ActivityImportStore writes the contacts and deals of imports.
type ActivityImportStore interface {
	// InsertContacts seals and writes a batch of the import's contacts.
	InsertContacts(ctx context.Context, importID domain.ID, batch []*domain.Contact) error
	InsertDeals(ctx context.Context, importID domain.ID, batch []*domain.Deal) error
	// RemoveImported deletes every contact and deal an import wrote.
	RemoveImported(ctx context.Context, importID domain.ID) error
}

// ImportRow is one row of an import file, read into the input of its
// kind.
type ImportRow struct {
	Line int
	// Cells are the row as read, for the report of refused rows.
	Cells    []string
	Customer domain.CustomerInput
	Contact  domain.ContactInput
	Deal     domain.DealInput
	// Owner is a user id or email; empty: the import's default owner.
	Owner string
	// Refs name the customer a contact or deal belongs to.
	Refs []CustomerRef
	// Problems the reader found in the row's cells (those cells are left
	// out of the input).
	Problems []ImportProblem
}

// CustomerRef names a customer by id (Column customer_id) or by one of
// its exact identifiers (customer_phone, customer_email,
// customer_id_number, customer_tax_id).
type CustomerRef struct {
	Column string
	Value  string
}

// ImportReader yields rows, then io.EOF. An error is the file failing as
// a whole (an *ImportProblem says where).
type ImportReader interface {
	// Header is the file's column names as it has them.
	Header() []string
	Next() (ImportRow, error)
}

// ImportSource opens the file from the start; an import reads it twice.
// A source that is an io.Closer is closed when an import started with
// StartImport ends.
type ImportSource interface {
	Open() (ImportReader, error)
}

// ImportProblem is what is wrong with one row (or the file, line 0). It
// names the line and column, never the value.
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
	// Kind is what the file holds (default customers).
	Kind domain.ImportKind
	// Owner owns rows without an owner cell (user id or email); empty:
	// the caller (the system: no owner for customers, the customer's
	// owner for deals).
	Owner string
	// DryRun validates only.
	DryRun bool
	// Encoding names the file's encoding and Rows counts its rows, as
	// the reader found them (shown on the import).
	Encoding string
	Rows     int
	// Progress is told how many rows each phase ("validate", "write") has
	// done so far.
	Progress func(phase string, rows int)
	// BatchSize is how many records share a write transaction.
	BatchSize int
	// MaxProblems bounds the problems listed in the result (all are
	// counted, and all are in the report).
	MaxProblems int
	// Report receives the report of refused rows as CSV (Import only;
	// StartImport keeps it, sealed, for ImportReport).
	Report io.Writer
}

// ImportResult reports an import.
type ImportResult struct {
	ID       domain.ID
	Rows     int
	Imported int
	Problems []ImportProblem
	// ProblemCount counts every problem, including those not listed;
	// RowsInvalid the rows they are in.
	ProblemCount int
	RowsInvalid  int
}

// errImportInvalid is returned when validation finds problems.
func errImportInvalid(problems, rows int) error {
	return &domain.Error{Code: domain.CodeInvalid, Message: fmt.Sprintf("%d problems in %d rows; nothing was imported", problems, rows)}
}

// ReportRetention is how long the report of an import's refused rows is
// kept; then it is erased (its data key destroyed).
const ReportRetention = 7 * 24 * time.Hour

// DefaultRunningImports bounds the imports StartImport runs at once in
// one process.
const DefaultRunningImports = 2

// Import imports a file, all or nothing, and returns when it is done.
//
// It reads the file twice. The first pass validates every row — format,
// normalization, owners, the customer each contact or deal belongs to,
// write access to every field set, duplicates within the file and
// against stored customers — and, on any problem, reports them all (every
// problem of every row, by line and column, never values; the rows
// themselves go to o.Report) and writes nothing. The second pass seals
// rows in parallel and writes them in batches tagged with the import's
// id; if anything fails (a value taken meanwhile, a crash — cleaned up by
// the next import), everything the import wrote is removed. One audit
// event records the import.
//
// Authorization: customers.import and, for contacts, customers.update,
// for deals, deals.write; write access to every field set; customers
// named by an identifier need read access to its class.
func (s *Service) Import(ctx context.Context, src ImportSource, o ImportOptions) (*ImportResult, error) {
	a, err := s.authorizeImport(ctx, o.Kind)
	if err != nil {
		return nil, err
	}
	o.Kind = importKindOr(o.Kind)
	if err := s.cleanStaleImports(ctx); err != nil {
		return nil, err
	}
	j := s.newJob(ctx, a, src, o)
	if !o.DryRun {
		if err := j.create(ctx); err != nil {
			return nil, err
		}
	}
	return j.run(ctx)
}

// CanImport reports whether the caller may import a file of kind now
// (its authorization, and room for one more running import), so an
// upload is refused before it is read.
//
// Authorization: as Import.
func (s *Service) CanImport(ctx context.Context, kind domain.ImportKind) error {
	if _, err := s.authorizeImport(ctx, kind); err != nil {
		return err
	}
	if s.running.Load() >= int64(s.maxRunning) {
		return errTooManyImports
	}
	return nil
}

var errTooManyImports = domain.RateLimited(10*time.Second, "too many imports are running; try again shortly")

// StartImport starts importing a file (as Import, with its report kept
// sealed for ImportReport) and returns at once with the import, whose
// progress GetImport answers from any node. src is closed when the import
// ends. The import goes on when ctx ends; Close stops it (and removes
// what it wrote).
//
// Authorization: as Import. Errors: forbidden, rate_limited (too many
// imports running).
func (s *Service) StartImport(ctx context.Context, src ImportSource, o ImportOptions) (*domain.Import, error) {
	done := func() {
		if c, ok := src.(io.Closer); ok {
			_ = c.Close()
		}
	}
	a, err := s.authorizeImport(ctx, o.Kind)
	if err != nil {
		done()
		return nil, err
	}
	o.Kind, o.Report = importKindOr(o.Kind), nil
	if s.running.Add(1) > int64(s.maxRunning) {
		s.running.Add(-1)
		done()
		return nil, errTooManyImports
	}
	release := func() { s.running.Add(-1); done() }
	if err := s.cleanStaleImports(ctx); err != nil {
		release()
		return nil, err
	}
	j := s.newJob(ctx, a, src, o)
	j.keepReport = true
	if err := j.create(ctx); err != nil {
		release()
		return nil, err
	}
	started := *j.imp
	// The import outlives the request that started it, acting for the
	// same actor, until it ends or the service closes.
	jctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(s.jobs, cancel)
	s.jobsWG.Go(func() {
		defer release()
		defer cancel()
		defer stop()
		if _, err := j.run(jctx); err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
			s.log.Warn("import ended without importing", slog.String("import", string(j.imp.ID)),
				slog.String("kind", string(o.Kind)), slog.String("code", string(domain.ErrorCode(err))))
		}
	})
	return &started, nil
}

// Close stops the imports StartImport is running (each removes what it
// wrote) and waits for them.
func (s *Service) Close() {
	s.stopJobs()
	s.jobsWG.Wait()
}

// GetImport returns an import and how far it is.
//
// Authorization: customers.import, and the import is the caller's own
// (else not found).
func (s *Service) GetImport(ctx context.Context, id domain.ID) (*domain.Import, error) {
	a, err := policy.Require(ctx, domain.FnCustomersImport)
	if err != nil {
		return nil, err
	}
	imp, err := s.importJobs.GetImport(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.System && imp.Actor != a.UserID {
		return nil, domain.NotFound("import")
	}
	return imp, nil
}

// ImportReport writes the report of an import's refused rows to w: CSV
// in UTF-8 with a byte-order mark (so spreadsheets open it as UTF-8), a
// line column, the file's own columns with the row as it was (cells that
// could pass for a formula neutralized with a leading '), and an errors
// column with every problem of the row. It holds personal data as the
// file did: the read is audited (import.report) before anything is
// written, and refused if the audit event cannot be recorded.
//
// Authorization: as GetImport. Errors: not found (no such import, not the
// caller's, or no report: no row was refused or it expired after
// ReportRetention), unavailable (audit).
func (s *Service) ImportReport(ctx context.Context, id domain.ID, w io.Writer) error {
	imp, err := s.GetImport(ctx, id)
	if err != nil {
		return err
	}
	if imp.ReportBytes == 0 {
		return &domain.Error{Code: domain.CodeNotFound, Message: "the import has no report: no row was refused, or the report expired"}
	}
	if err := s.recordRead(ctx, "import.report", "import", id, nil, []string{"report"}); err != nil {
		return err
	}
	return s.importJobs.ReadImportReport(ctx, id, func(chunk []byte) error {
		_, err := w.Write(chunk)
		return err
	})
}

// authorizeImport checks the functions an import of kind needs.
func (s *Service) authorizeImport(ctx context.Context, kind domain.ImportKind) (*domain.Actor, error) {
	kind = importKindOr(kind)
	if !domain.ValidImportKind(kind) {
		return nil, domain.Invalid("kind", "import customers, contacts or deals")
	}
	spec := kindSpecs[kind]
	a, err := s.require(ctx, domain.FnCustomersImport, spec.action, "import", "")
	if err != nil {
		return nil, err
	}
	if spec.fn != "" {
		if a, err = s.require(ctx, spec.fn, spec.action, "import", ""); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// kindSpecs say, per kind, the audit action of its imports and the
// function creating such records needs besides customers.import.
var kindSpecs = map[domain.ImportKind]struct {
	action string
	fn     domain.Function
}{
	domain.ImportCustomers: {"customer.import", ""},
	domain.ImportContacts:  {"contact.import", domain.FnCustomersUpdate},
	domain.ImportDeals:     {"deal.import", domain.FnDealsWrite},
}

func importKindOr(k domain.ImportKind) domain.ImportKind {
	if k == "" {
		return domain.ImportCustomers
	}
	return k
}

// cleanStaleImports removes what interrupted imports wrote (their
// process died: no heartbeat for two minutes) and erases expired
// reports.
func (s *Service) cleanStaleImports(ctx context.Context) error {
	now := s.now()
	stale, err := s.imports.StaleImports(ctx, now.Add(-2*time.Minute))
	if err != nil {
		return err
	}
	for _, id := range stale {
		if err := s.removeImport(ctx, id, "interrupted import removed"); err != nil {
			return fmt.Errorf("clean up interrupted import %s: %w", id, err)
		}
		s.log.Warn("removed an interrupted import", slog.String("import", string(id)))
	}
	n, err := s.importJobs.ExpireImportReports(ctx, now.Add(-ReportRetention))
	if err != nil {
		return err
	}
	if n > 0 {
		s.shred(ctx)
	}
	return nil
}

// removeImport removes everything an unfinished import wrote and marks
// it aborted.
func (s *Service) removeImport(ctx context.Context, id domain.ID, reason string) error {
	if err := s.activityImports.RemoveImported(ctx, id); err != nil {
		return err
	}
	imp, err := s.importJobs.GetImport(ctx, id)
	if err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, s.now(), kindSpecs[importKindOr(imp.Kind)].action, "import", string(id))
	ev.Outcome, ev.Reason = domain.OutcomeError, reason
	return s.imports.AbortImport(ctx, id, s.now(), ev)
}

// errChanged is what the writing pass meets when the file no longer says
// what the validating pass read.
func errChanged(err error) error {
	return fmt.Errorf("the file changed between the two passes: %w", err)
}

// closeReader closes a reader that holds a file, if it does.
func closeReader(rd ImportReader) {
	if c, ok := rd.(io.Closer); ok {
		_ = c.Close()
	}
}
