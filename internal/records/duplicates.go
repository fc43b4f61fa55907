package records

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Duplicate checks. Phone, email, ID number and tax id are unique across
// customers, and a company's name should be: a create that repeats one
// cannot succeed, and saying so confirms that the value belongs to some
// customer. The answer therefore tells the caller only what they may
// know of that customer (DuplicateMatch), every answer costs the caller a
// token of a per-user bucket (Options.DuplicateCheckRate), and every
// check is audited (customer.duplicate: the field, the customer holding
// it, what the caller was told). While the bucket is empty every create
// with a checked value is refused alike — duplicate or not — so the
// refusal is not an answer either.

// DuplicateStore answers which customer already holds a value, and keeps
// the references a duplicate check hands out.
type DuplicateStore interface {
	// IdentifierHolder returns the customer holding value (normalized)
	// in an identifier field, or nil.
	IdentifierHolder(ctx context.Context, field domain.LookupField, value string) (*domain.CustomerRef, error)
	// CompanyNameHolders returns the company customers whose name folds
	// like name (domain.CompanyNameKey).
	CompanyNameHolders(ctx context.Context, name string) ([]domain.CustomerRef, error)
	SaveDuplicateRef(ctx context.Context, r *domain.DuplicateRef, evs ...*domain.AuditEvent) error
}

// DefaultDuplicateCheckRate bounds duplicate answers: 30 an hour per
// user, 10 at once.
var DefaultDuplicateCheckRate = domain.Rate{Events: 30, Per: time.Hour, Burst: 10}

func duplicateBucket(a *domain.Actor) string { return "duplicate:" + string(a.UserID) }

// checksDuplicates reports whether a create or change by a is answered
// with a duplicate check: people's are; the system's (demo data, operator
// tools) get the plain conflict.
func checksDuplicates(a *domain.Actor) bool { return !a.System }

// duplicateBudget refuses (rate_limited) while the caller's duplicate
// bucket is empty, whatever the values: a refusal only after a match
// would itself say that the value is taken.
func (s *Service) duplicateBudget(ctx context.Context, a *domain.Actor, action string) error {
	ok, wait, err := s.limiter.Available(ctx, duplicateBucket(a), s.duplicateRate)
	if err != nil {
		return err
	}
	if !ok {
		s.recordDenied(ctx, domain.ActionCustomerDuplicate, "customer", "", "duplicate checks over the rate limit ("+action+")")
		return domain.RateLimited(wait, "too many of your recent customers matched existing ones; try again later")
	}
	return nil
}

// takeDuplicateToken takes the token a duplicate answer costs.
func (s *Service) takeDuplicateToken(ctx context.Context, a *domain.Actor) error {
	ok, wait, err := s.limiter.Take(ctx, duplicateBucket(a), s.duplicateRate)
	if err != nil {
		return err
	}
	if !ok {
		s.recordDenied(ctx, domain.ActionCustomerDuplicate, "customer", "", "duplicate checks over the rate limit")
		return domain.RateLimited(wait, "too many of your recent customers matched existing ones; try again later")
	}
	return nil
}

// identifierConflict returns the identifier field a store conflict names
// ("" for any other error).
func identifierConflict(err error) domain.LookupField {
	e := domain.AsError(err)
	if err == nil || e.Code != domain.CodeConflict {
		return ""
	}
	for _, f := range domain.LookupFields {
		if e.Field == string(f) {
			return f
		}
	}
	return ""
}

// identifierDuplicate answers a create that the store refused because
// another customer holds c's value of field.
func (s *Service) identifierDuplicate(ctx context.Context, a *domain.Actor, field domain.LookupField, c *domain.Customer, conflict error) error {
	h, err := s.duplicates.IdentifierHolder(ctx, field, c.Identifier(field))
	if err != nil {
		return err
	}
	if h == nil {
		return conflict // the holder went meanwhile: the plain conflict (try again)
	}
	return s.duplicateAnswer(ctx, a, string(field), []domain.CustomerRef{*h})
}

// duplicateAnswer tells the caller what they may know of the customers
// holding their value of field (the first that the caller reaches, else
// the first in a pool they may claim from, else the first), having taken
// the token it costs, and audits it. It returns the *domain.DuplicateError
// to answer with.
func (s *Service) duplicateAnswer(ctx context.Context, a *domain.Actor, field string, holders []domain.CustomerRef) error {
	if err := s.takeDuplicateToken(ctx, a); err != nil {
		return err
	}
	h, match := holders[0], domain.MatchElsewhere
	for _, cand := range holders {
		covered, err := s.regionCovered(ctx, a, cand.Province, cand.City)
		if err != nil {
			return err
		}
		if policy.InScope(a, cand.OwnerID, cand.TeamID, covered) {
			h, match = cand, domain.MatchInScope
			break
		}
		if match == domain.MatchElsewhere && cand.OwnerID == "" && policy.Can(a, domain.FnPoolClaim) && policy.InPool(a, cand.TeamID, covered) {
			h, match = cand, domain.MatchPool
		}
	}
	now := s.now().UTC()
	ev := domain.NewAuditEvent(ctx, now, domain.ActionCustomerDuplicate, "customer", string(h.ID))
	ev.Fields, ev.Reason = []string{field}, string(match)
	d := domain.Duplicate{Field: field, Match: match}
	what := describeField(field)
	var msg string
	switch match {
	case domain.MatchInScope:
		d.CustomerID = h.ID
		msg = "a customer with this " + what + " already exists in your records"
	case domain.MatchPool:
		d.CustomerID = h.ID
		msg = "a customer with this " + what + " is in the customer pool: claim it instead"
	default:
		msg = "a customer with this " + what + " already exists and is owned by another rep or team: ask your manager, or request a transfer with the reference"
	}
	if match == domain.MatchElsewhere {
		ref, hash := domain.NewDuplicateReference()
		d.Reference, d.ExpiresAt = ref, now.Add(domain.DuplicateRefTTL)
		if err := s.duplicates.SaveDuplicateRef(ctx, &domain.DuplicateRef{Hash: hash, UserID: a.UserID, CustomerID: h.ID,
			Field: field, CreatedAt: now, ExpiresAt: d.ExpiresAt}, ev); err != nil {
			return err
		}
	} else if err := s.audit.Record(ctx, ev); err != nil {
		return errAuditUnavailable
	}
	return &domain.DuplicateError{Err: domain.Conflict(field, "%s", msg), Duplicate: d}
}

// changeDuplicate handles a change (PATCH) that would repeat another
// customer's identifier or company name: it costs a token and is audited
// like a create's, and answers the plain conflict naming the field.
func (s *Service) changeDuplicate(ctx context.Context, a *domain.Actor, field string, holder domain.ID, conflict error) error {
	if err := s.takeDuplicateToken(ctx, a); err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, s.now().UTC(), domain.ActionCustomerDuplicate, "customer", string(holder))
	ev.Fields, ev.Reason = []string{field}, "change refused"
	if err := s.audit.Record(ctx, ev); err != nil {
		return errAuditUnavailable
	}
	return conflict
}

// regionCovered reports whether (province, city) lies in one of the
// actor's territories.
func (s *Service) regionCovered(ctx context.Context, a *domain.Actor, province, city string) (bool, error) {
	if a.System || len(a.Territories) == 0 {
		return false, nil
	}
	regions, err := s.directory.TerritoryRegions(ctx, a.Territories)
	if err != nil {
		return false, err
	}
	return policy.RegionCovers(regions, province, city), nil
}

func describeField(field string) string {
	switch field {
	case "id_number":
		return "ID number"
	case "tax_id":
		return "tax id"
	case "name":
		return "company name"
	}
	return field
}

// checkChangeDuplicates runs before a change that sets an identifier or
// renames a company: while the caller's duplicate bucket is empty it is
// refused, and a company name another company customer has is refused as
// a conflict on name (costing a token).
func (s *Service) checkChangeDuplicates(ctx context.Context, a *domain.Actor, c *domain.Customer, changed []string) error {
	if !checksDuplicates(a) {
		return nil
	}
	renamed := c.Kind == domain.CustomerCompany && contains(changed, "name")
	checked := renamed
	for _, f := range domain.LookupFields {
		checked = checked || (contains(changed, string(f)) && c.Identifier(f) != "")
	}
	if !checked {
		return nil
	}
	if err := s.duplicateBudget(ctx, a, "change"); err != nil {
		return err
	}
	if !renamed {
		return nil
	}
	holders, err := s.duplicates.CompanyNameHolders(ctx, c.Name)
	if err != nil {
		return err
	}
	for _, h := range holders {
		if h.ID != c.ID {
			return s.changeDuplicate(ctx, a, "name", h.ID, domain.Conflict("name", "another company customer already has this name"))
		}
	}
	return nil
}
