package records

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// MaxCoverageWeeks bounds a coverage report.
const MaxCoverageWeeks = 26

// Coverage is how many visits each rep had planned per week (cancelled
// ones aside) over a run of weeks.
type Coverage struct {
	// Weeks holds the first instant of each week.
	Weeks []time.Time
	Reps  []RepCoverage
}

// RepCoverage is one rep's visits per week, in the order of
// Coverage.Weeks.
type RepCoverage struct {
	RepID       domain.ID
	DisplayName string
	Counts      []int
	Total       int
}

// VisitCoverage counts the visits to customers in the caller's scope per
// rep and week, for weeks weeks from the instant from (the start of the
// first week, in the caller's time zone). Only reps with visits appear,
// ordered by name. The report holds counts and names of colleagues, no
// customer data, so it is not a read of personal data.
//
// Authorization: visits.read and a record scope beyond one's own (a
// coverage report is about a team). Errors: invalid (weeks), forbidden.
func (s *Service) VisitCoverage(ctx context.Context, from time.Time, weeks int) (*Coverage, error) {
	a, err := s.require(ctx, domain.FnVisitsRead, "visit.coverage", "visit", "")
	if err != nil {
		return nil, err
	}
	if !a.System && a.Role.Scope == domain.ScopeOwn {
		s.recordDenied(ctx, "visit.coverage", "visit", "", "coverage needs a scope beyond one's own records")
		return nil, domain.Forbidden("visit coverage is for roles that see beyond their own records")
	}
	if weeks < 1 || weeks > MaxCoverageWeeks {
		return nil, domain.Invalid("weeks", "weeks must be 1 to %d", MaxCoverageWeeks)
	}
	counts, err := s.coverage.CountVisits(ctx, policy.RecordScope(a), from, weeks)
	if err != nil {
		return nil, err
	}
	out := &Coverage{}
	for i := range weeks {
		out.Weeks = append(out.Weeks, from.AddDate(0, 0, 7*i))
	}
	index := map[domain.ID]int{}
	for _, c := range counts {
		i, ok := index[c.RepID]
		if !ok {
			name := string(c.RepID)
			if u, err := s.directory.GetUser(ctx, c.RepID); err == nil {
				name = u.DisplayName
			} else if !isNotFound(err) {
				return nil, err
			}
			i = len(out.Reps)
			index[c.RepID] = i
			out.Reps = append(out.Reps, RepCoverage{RepID: c.RepID, DisplayName: name, Counts: make([]int, weeks)})
		}
		if c.Week >= 0 && c.Week < weeks {
			out.Reps[i].Counts[c.Week] += c.Count
			out.Reps[i].Total += c.Count
		}
	}
	slices.SortFunc(out.Reps, func(x, y RepCoverage) int { return strings.Compare(x.DisplayName, y.DisplayName) })
	return out, nil
}
