// Package pool is the customer pool service (公海池): customers without an
// owner, which reps of the team see masked and claim within their team's
// limits; managers assign and reclaim; owned customers that go without a
// follow-up for the team's return period return to the pool (their
// owners warned first); a rep whose new customer duplicates one they
// cannot see asks that customer's managers for it. Every move is on the
// audit log. Authorization is decided here for every caller (API, CLI,
// the return job), through package policy.
package pool

import (
	"context"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Store persists the pool.
type Store interface {
	// ListPool returns a page of pool customers in f.Scope.
	ListPool(ctx context.Context, f domain.PoolFilter) (domain.Page[*domain.Customer], error)
	// MovePool applies one move with its notifications and audit events
	// (see domain.PoolMove); a customer that moved meanwhile is a
	// conflict, a claim over a limit rate_limited or a conflict.
	MovePool(ctx context.Context, m *domain.PoolMove, notes []*domain.Notification, evs ...*domain.AuditEvent) error
	PoolSettings(ctx context.Context, team domain.ID) (*domain.PoolSettings, error)
	ListPoolSettings(ctx context.Context) ([]*domain.PoolSettings, error)
	SavePoolSettings(ctx context.Context, p *domain.PoolSettings, evs ...*domain.AuditEvent) error
	// DueForReturn pages through owned customers whose warning or return
	// has come by now.
	DueForReturn(ctx context.Context, now time.Time, def *domain.PoolSettings, after domain.ID, limit int) ([]domain.PoolDue, error)
	// WarnOwner records a warning unless the customer moved or was
	// followed up meanwhile (false).
	WarnOwner(ctx context.Context, d domain.PoolDue, at time.Time, notes []*domain.Notification, evs ...*domain.AuditEvent) (bool, error)
	PurgeDuplicateRefs(ctx context.Context, before time.Time) (int64, error)
	DuplicateRef(ctx context.Context, hash []byte) (*domain.DuplicateRef, error)
	// UseDuplicateRef marks a reference used, with the notifications and
	// audit events; one not the user's, used or expired is invalid.
	UseDuplicateRef(ctx context.Context, hash []byte, user domain.ID, at time.Time, notes []*domain.Notification, evs ...*domain.AuditEvent) error
	CustomerRef(ctx context.Context, id domain.ID) (*domain.CustomerRef, error)
	// PoolManagers returns who runs team's pool.
	PoolManagers(ctx context.Context, team domain.ID) ([]domain.ID, error)
}

// CustomerReader reads one customer with the sealed fields of every class
// opened except those in skip.
type CustomerReader interface {
	GetCustomer(ctx context.Context, id domain.ID, skip map[domain.FieldClass]bool) (*domain.Customer, error)
}

// Directory answers who users are and where territories lie.
type Directory interface {
	GetUser(ctx context.Context, id domain.ID) (*domain.User, error)
	TerritoryRegions(ctx context.Context, ids []domain.ID) ([]domain.Region, error)
}

// Deps are what the service is built on; every one is required.
type Deps struct {
	Pool      Store
	Customers CustomerReader
	Directory Directory
	Audit     domain.Auditor
}

// Options tune the service.
type Options struct {
	Now func() time.Time
	Log *slog.Logger
}

// Service implements the pool use cases.
type Service struct {
	pool      Store
	customers CustomerReader
	directory Directory
	audit     domain.Auditor
	now       func() time.Time
	log       *slog.Logger
}

// New returns the pool service over d.
func New(d Deps, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: d.Pool, customers: d.Customers, directory: d.Directory, audit: d.Audit, now: o.Now, log: o.Log}
}

// require checks that the actor may perform fn; a refusal of a signed-in
// actor is audited as a denied attempt at action.
func (s *Service) require(ctx context.Context, fn domain.Function, action string, target domain.ID) (*domain.Actor, error) {
	a, err := policy.Require(ctx, fn)
	if err != nil && domain.ErrorCode(err) == domain.CodeForbidden {
		s.recordDenied(ctx, action, target, "function "+string(fn)+" not granted")
	}
	return a, err
}

// recordDenied audits a refused attempt. A failure to record it is
// logged; the attempt is refused either way.
func (s *Service) recordDenied(ctx context.Context, action string, target domain.ID, reason string) {
	ev := domain.NewAuditEvent(ctx, s.now(), action, "customer", string(target))
	ev.Outcome, ev.Reason = domain.OutcomeDenied, reason
	if err := s.audit.Record(ctx, ev); err != nil {
		s.log.Error("audit record of a denied attempt failed", slog.String("action", action), slog.Any("err", err))
	}
}

// covered reports whether (province, city) lies in one of the actor's
// territories.
func (s *Service) covered(ctx context.Context, a *domain.Actor, province, city string) (bool, error) {
	if a.System || len(a.Territories) == 0 {
		return false, nil
	}
	regions, err := s.directory.TerritoryRegions(ctx, a.Territories)
	if err != nil {
		return false, err
	}
	return policy.RegionCovers(regions, province, city), nil
}

// hiddenClasses names the sealed field classes a may not see at all: the
// store leaves them sealed.
func hiddenClasses(a *domain.Actor) map[domain.FieldClass]bool {
	skip := map[domain.FieldClass]bool{}
	for _, c := range []domain.FieldClass{domain.ClassContact, domain.ClassIdentity, domain.ClassFinancial} {
		if policy.FieldAccess(a, c) == domain.AccessNone {
			skip[c] = true
		}
	}
	return skip
}

// openNone reads a customer's clear columns only (owner, team, region):
// enough to decide, nothing to decrypt.
var openNone = map[domain.FieldClass]bool{domain.ClassContact: true, domain.ClassIdentity: true, domain.ClassFinancial: true}
