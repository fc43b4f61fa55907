package records

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
)

// MaxPipelineDeals bounds how many deals one pipeline view reads.
const MaxPipelineDeals = 1000

// Pipeline is the deals in the caller's scope, newest first, for a view
// of a whole team's (or company's) pipeline; More is set when there were
// more than MaxPipelineDeals.
type Pipeline struct {
	Deals []*domain.Deal
	More  bool
}

// Pipeline returns the deals in the caller's scope (at most
// MaxPipelineDeals, newest first), shaped as the caller may see them:
// amounts absent for roles without access to them.
//
// Authorization: deals.read and a record scope beyond one's own records —
// the pipeline is the view of those who oversee others' deals (a sales
// manager, finance); a rep's own deals are on their customers. Errors:
// forbidden.
func (s *Service) Pipeline(ctx context.Context) (*Pipeline, error) {
	a, err := s.require(ctx, domain.FnDealsRead, "deal.list", "deal", "")
	if err != nil {
		return nil, err
	}
	if !a.System && a.Role.Scope == domain.ScopeOwn {
		s.recordDenied(ctx, "deal.list", "deal", "", "the pipeline needs a scope beyond one's own records")
		return nil, domain.Forbidden("the pipeline is for roles that see beyond their own records")
	}
	out := &Pipeline{}
	f := domain.DealFilter{Limit: domain.MaxPageSize}
	for {
		page, err := s.ListDeals(ctx, f)
		if err != nil {
			return nil, err
		}
		out.Deals = append(out.Deals, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		if len(out.Deals) >= MaxPipelineDeals {
			out.Deals, out.More = out.Deals[:MaxPipelineDeals], true
			return out, nil
		}
		f.Cursor = domain.ID(page.NextCursor)
	}
}
