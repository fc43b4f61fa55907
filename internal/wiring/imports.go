package wiring

import (
	"context"
	"fmt"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/store"
)

// importStore adapts the store's typed bulk-insert API to the CRM
// service's import interface, which may not name store types.
type importStore struct{ *store.Store }

func (s importStore) PrepareCustomerForImport(ctx context.Context, c *domain.Customer) (any, error) {
	return s.PrepareCustomer(ctx, c)
}

func (s importStore) InsertPreparedCustomers(ctx context.Context, importID domain.ID, batch []any) error {
	typed := make([]*store.PreparedCustomer, len(batch))
	for i, b := range batch {
		p, ok := b.(*store.PreparedCustomer)
		if !ok {
			return fmt.Errorf("import: batch item %d is %T, not a prepared customer", i, b)
		}
		typed[i] = p
	}
	return s.InsertCustomers(ctx, importID, typed)
}
