// Package records is the service layer for customer records: customers,
// contacts, deals, visits, notes and tasks. Every method takes the actor
// from the context, decides authorization through package policy, shapes
// what the actor sees, and audits reads of unmasked personal data before
// returning them (fail-closed). Handlers, the CLI and jobs all come
// through here; none talks to the store directly.
package records

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// CustomerStore persists customers.
type CustomerStore interface {
	CreateCustomer(ctx context.Context, c *domain.Customer, evs ...*domain.AuditEvent) error
	// GetCustomer returns the customer with the sealed fields of every
	// class opened except those in skip (left empty).
	GetCustomer(ctx context.Context, id domain.ID, skip map[domain.FieldClass]bool) (*domain.Customer, error)
	UpdateCustomer(ctx context.Context, c *domain.Customer, changed []string, evs ...*domain.AuditEvent) error
	DeleteCustomer(ctx context.Context, id domain.ID, cascade bool, evs ...*domain.AuditEvent) error
	EraseCustomer(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	ListCustomers(ctx context.Context, f domain.CustomerFilter) (domain.Page[*domain.Customer], error)
	FindCustomers(ctx context.Context, field domain.LookupField, value string, scope domain.RecordScope) ([]*domain.Customer, error)
}

// ActivityStore persists the records that hang off a customer: contacts,
// deals, visits, notes and tasks. Updates write a record (at its new
// version) only if the stored one is still at version prev, and fail with
// a stale-version conflict (domain.ErrStaleVersion) otherwise.
type ActivityStore interface {
	CreateContact(ctx context.Context, c *domain.Contact, evs ...*domain.AuditEvent) error
	GetContact(ctx context.Context, id domain.ID) (*domain.Contact, error)
	UpdateContact(ctx context.Context, c *domain.Contact, prev int64, evs ...*domain.AuditEvent) error
	DeleteContact(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	ListContacts(ctx context.Context, f domain.ContactFilter) (domain.Page[*domain.Contact], error)

	CreateDeal(ctx context.Context, d *domain.Deal, evs ...*domain.AuditEvent) error
	GetDeal(ctx context.Context, id domain.ID) (*domain.Deal, error)
	UpdateDeal(ctx context.Context, d *domain.Deal, prev int64, evs ...*domain.AuditEvent) error
	DeleteDeal(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	ListDeals(ctx context.Context, f domain.DealFilter) (domain.Page[*domain.Deal], error)

	CreateVisit(ctx context.Context, v *domain.Visit, evs ...*domain.AuditEvent) error
	GetVisit(ctx context.Context, id domain.ID) (*domain.Visit, error)
	UpdateVisit(ctx context.Context, v *domain.Visit, prev int64, evs ...*domain.AuditEvent) error
	DeleteVisit(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	ListVisits(ctx context.Context, f domain.VisitFilter) (domain.Page[*domain.Visit], error)

	CreateNote(ctx context.Context, n *domain.Note, evs ...*domain.AuditEvent) error
	GetNote(ctx context.Context, id domain.ID) (*domain.Note, error)
	UpdateNote(ctx context.Context, n *domain.Note, prev int64, evs ...*domain.AuditEvent) error
	DeleteNote(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	ListNotes(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Note], error)

	CreateTask(ctx context.Context, t *domain.Task, evs ...*domain.AuditEvent) error
	GetTask(ctx context.Context, id domain.ID) (*domain.Task, error)
	UpdateTask(ctx context.Context, t *domain.Task, prev int64, evs ...*domain.AuditEvent) error
	DeleteTask(ctx context.Context, id domain.ID, evs ...*domain.AuditEvent) error
	ListTasks(ctx context.Context, f domain.ActivityFilter) (domain.Page[*domain.Task], error)
}

// Directory answers who users are and where territories lie, for owners
// and territory scopes.
type Directory interface {
	GetUser(ctx context.Context, id domain.ID) (*domain.User, error)
	GetUserByEmail(ctx context.Context, email string) (*domain.User, error)
	TerritoryRegions(ctx context.Context, ids []domain.ID) ([]domain.Region, error)
}

// Deps are what the service is built on; every one is required.
type Deps struct {
	Customers  CustomerStore
	Activities ActivityStore
	Imports    ImportStore
	// ImportJobs records imports as they run, and their reports.
	ImportJobs ImportJobStore
	// ActivityImports writes imported contacts and deals.
	ActivityImports ActivityImportStore
	Directory       Directory
	Audit           domain.Auditor
	// Shredder punctures the erasure tree once an erasure or deletion
	// destroyed a data key.
	Shredder Shredder
	// Checker walks the stored records for CheckIntegrity.
	Checker IntegrityChecker
	// Limiter holds the rate limits shared by every node.
	Limiter RateLimiter
	// Duplicates answers duplicate checks (see duplicates.go).
	Duplicates DuplicateStore
}

// RateLimiter takes a token from a bucket shared by every node.
type RateLimiter interface {
	Take(ctx context.Context, bucket string, r domain.Rate) (ok bool, retryAfter time.Duration, err error)
	// Available reports whether the bucket holds a token, without taking
	// it.
	Available(ctx context.Context, bucket string, r domain.Rate) (ok bool, retryAfter time.Duration, err error)
}

// DefaultMaskedLookupRate bounds exact lookups by a value the caller sees
// masked: 120 an hour per user, 20 at once.
var DefaultMaskedLookupRate = domain.Rate{Events: 120, Per: time.Hour, Burst: 20}

// Options tune the service.
type Options struct {
	Now func() time.Time
	Log *slog.Logger
	// StepUpWindow is how long an authentication counts as fresh for
	// sensitive actions (default policy.DefaultStepUpWindow).
	StepUpWindow time.Duration
	// MaskedLookupRate bounds each user's exact lookups by a value their
	// role sees masked (default DefaultMaskedLookupRate).
	MaskedLookupRate domain.Rate
	// RunningImports bounds the imports StartImport runs at once
	// (default DefaultRunningImports).
	RunningImports int
	// DuplicateCheckRate bounds each user's duplicate answers (default
	// DefaultDuplicateCheckRate).
	DuplicateCheckRate domain.Rate
}

// Service implements the records use cases.
type Service struct {
	customers       CustomerStore
	activities      ActivityStore
	imports         ImportStore
	importJobs      ImportJobStore
	activityImports ActivityImportStore
	directory       Directory
	audit           domain.Auditor
	shredder        Shredder
	checker         IntegrityChecker
	limiter         RateLimiter
	duplicates      DuplicateStore
	now             func() time.Time
	log             *slog.Logger
	stepUp          time.Duration
	// maskedLookup bounds lookups by values the caller sees masked.
	maskedLookup domain.Rate
	// duplicateRate bounds duplicate answers.
	duplicateRate domain.Rate
	// Imports StartImport runs: their context (ended by Close), how many
	// run and may run.
	jobs       context.Context
	stopJobs   context.CancelFunc
	jobsWG     sync.WaitGroup
	running    atomic.Int64
	maxRunning int
}

// New returns the records service over d.
func New(d Deps, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.StepUpWindow <= 0 {
		o.StepUpWindow = policy.DefaultStepUpWindow
	}
	if o.MaskedLookupRate == (domain.Rate{}) {
		o.MaskedLookupRate = DefaultMaskedLookupRate
	}
	if o.DuplicateCheckRate == (domain.Rate{}) {
		o.DuplicateCheckRate = DefaultDuplicateCheckRate
	}
	if o.RunningImports <= 0 {
		o.RunningImports = DefaultRunningImports
	}
	jobs, stop := context.WithCancel(context.Background())
	return &Service{
		customers: d.Customers, activities: d.Activities, imports: d.Imports, importJobs: d.ImportJobs,
		activityImports: d.ActivityImports, directory: d.Directory,
		audit: d.Audit, shredder: d.Shredder, checker: d.Checker, limiter: d.Limiter, duplicates: d.Duplicates,
		now: o.Now, log: o.Log, stepUp: o.StepUpWindow,
		maskedLookup: o.MaskedLookupRate, duplicateRate: o.DuplicateCheckRate,
		jobs: jobs, stopJobs: stop, maxRunning: o.RunningImports,
	}
}

// errAuditUnavailable is what callers see when a read cannot be audited:
// the data is withheld.
var errAuditUnavailable = &domain.Error{Code: domain.CodeUnavailable, Message: "the audit log is unavailable; the request was refused"}

// recordRead audits a read of unmasked personal fields. It returns an
// error (and the caller returns no data) if the event is not durable.
func (s *Service) recordRead(ctx context.Context, action, targetType string, targetID domain.ID, targetIDs []string, fields []string) error {
	if len(fields) == 0 {
		return nil
	}
	ev := domain.NewAuditEvent(ctx, s.now(), action, targetType, string(targetID))
	ev.TargetIDs = targetIDs
	ev.Fields = fields
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.Error("audit record failed; withholding data", slog.String("action", action), slog.Any("err", err))
		return errAuditUnavailable
	}
	return nil
}

// recordDenied audits a refused attempt. A failure to record it is logged;
// the attempt is refused either way.
func (s *Service) recordDenied(ctx context.Context, action, targetType string, targetID domain.ID, reason string) {
	ev := domain.NewAuditEvent(ctx, s.now(), action, targetType, string(targetID))
	ev.Outcome = domain.OutcomeDenied
	ev.Reason = reason
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.Error("audit record of a denied attempt failed", slog.String("action", action), slog.Any("err", err))
	}
}

// require checks that the actor may perform fn; a refusal of a signed-in
// actor is audited as a denied attempt at action.
func (s *Service) require(ctx context.Context, fn domain.Function, action, targetType string, targetID domain.ID) (*domain.Actor, error) {
	a, err := policy.Require(ctx, fn)
	if err != nil && domain.ErrorCode(err) == domain.CodeForbidden {
		s.recordDenied(ctx, action, targetType, targetID, "function "+string(fn)+" not granted")
	}
	return a, err
}

// Which sealed field classes a customer read opens: all of them (to
// change and re-seal a customer, or reveal one field), or none (a scope
// check needs only the clear columns: owner, team, kind, region; the
// public class is skipped too, so a company's sealed name stays shut).
var (
	openAll  map[domain.FieldClass]bool
	openNone = map[domain.FieldClass]bool{domain.ClassContact: true, domain.ClassIdentity: true, domain.ClassFinancial: true,
		domain.ClassPublic: true}
)

// customerInScope loads a customer, opening its sealed fields except the
// classes in skip, and checks the actor reaches it. Out of scope answers
// not found (never forbidden: existence is not disclosed) and is audited
// as denied.
func (s *Service) customerInScope(ctx context.Context, a *domain.Actor, id domain.ID, action string, skip map[domain.FieldClass]bool) (*domain.Customer, error) {
	c, err := s.customers.GetCustomer(ctx, id, skip)
	if err != nil {
		return nil, err
	}
	inTerritory, err := s.inTerritory(ctx, a, c)
	if err != nil {
		return nil, err
	}
	if !policy.InScope(a, c.OwnerID, c.TeamID, inTerritory) {
		s.recordDenied(ctx, action, "customer", id, "out of scope")
		return nil, domain.NotFound("customer")
	}
	return c, nil
}

// inTerritory reports whether c's address lies in one of the actor's
// territories (only asked for territory-scoped roles).
func (s *Service) inTerritory(ctx context.Context, a *domain.Actor, c *domain.Customer) (bool, error) {
	if a.System || a.Role == nil || a.Role.Scope != domain.ScopeTerritory || len(a.Territories) == 0 {
		return false, nil
	}
	regions, err := s.directory.TerritoryRegions(ctx, a.Territories)
	if err != nil {
		return false, err
	}
	return policy.RegionCovers(regions, c.Address.Province, c.Address.City), nil
}

func mergeFields(dst []string, add []string) []string {
	for _, f := range add {
		found := false
		for _, d := range dst {
			if d == f {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, f)
		}
	}
	return dst
}

// isNotFound reports a not-found application error.
func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
