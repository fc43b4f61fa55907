package records

import (
	"context"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// exportPage is how many customers one export step reads, audits and
// hands on: the largest page the store serves.
const exportPage = domain.MaxPageSize

// ExportCustomers streams every customer in the caller's scope that
// matches f (Cursor, Limit and Name are ignored), newest first, masked as
// the caller sees them, to emit in pages. It returns how many it emitted.
//
// Each page is recorded in the audit log as customer.export — which
// customers, which personal fields left unmasked — before emit sees it; if
// the event cannot be made durable the export stops with an error and the
// page is not emitted.
//
// Authorization: customers.export (an API token needs the export scope)
// and a fresh authentication (step-up). Errors: forbidden,
// step_up_required, unavailable (audit).
func (s *Service) ExportCustomers(ctx context.Context, f domain.CustomerFilter, emit func([]*domain.Customer) error) (int, error) {
	a, err := s.require(ctx, domain.FnCustomersExport, domain.ActionCustomerExport, "customer", "")
	if err != nil {
		return 0, err
	}
	if _, err := policy.RequireFresh(ctx, s.now().UTC(), s.stepUp); err != nil {
		s.recordDenied(ctx, domain.ActionCustomerExport, "customer", "", "step-up required")
		return 0, err
	}
	f.Search, f.Cursor, f.Limit = nil, "", exportPage
	f.Scope, f.Skip = policy.RecordScope(a), hiddenClasses(a)
	n := 0
	for {
		page, err := s.customers.ListCustomers(ctx, f)
		if err != nil {
			return n, err
		}
		if len(page.Items) == 0 {
			return n, nil
		}
		ids := make([]string, 0, len(page.Items))
		var fields []string
		for _, c := range page.Items {
			if c.Unreadable != "" {
				s.reportUnreadable(ctx, domain.ActionCustomerExport, c)
				continue
			}
			v := policy.NewView(a)
			v.Customer(c)
			ids = append(ids, string(c.ID))
			fields = mergeFields(fields, v.Revealed)
		}
		ev := domain.NewAuditEvent(ctx, s.now(), domain.ActionCustomerExport, "customer", "")
		ev.TargetIDs, ev.Fields = ids, fields
		if err := s.audit.Record(ctx, ev); err != nil {
			return n, errAuditUnavailable
		}
		if err := emit(page.Items); err != nil {
			return n, err
		}
		n += len(page.Items)
		if page.NextCursor == "" {
			return n, nil
		}
		f.Cursor = domain.ID(page.NextCursor)
	}
}
