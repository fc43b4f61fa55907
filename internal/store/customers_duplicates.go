package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// Duplicate checks: which customer already holds an identifier or a
// company name. They answer with where that customer belongs (owner,
// team, region), never with its data; the service decides what the
// caller may be told.

// customerRefColumns are what a duplicate check reads of a customer.
const customerRefColumns = `c.id, c.owner_id, c.team_id, c.province, c.city`

func scanCustomerRef(sc scanner) (domain.CustomerRef, error) {
	var r domain.CustomerRef
	var id string
	var owner, team sql.NullString
	if err := sc.Scan(&id, &owner, &team, &r.Province, &r.City); err != nil {
		return r, err
	}
	r.ID, r.OwnerID, r.TeamID = domain.ID(id), domain.ID(owner.String), domain.ID(team.String)
	return r, nil
}

// IdentifierHolder returns the live customer that holds value (already
// normalized) in an identifier field, or nil when none does.
func (s *Customers) IdentifierHolder(ctx context.Context, field domain.LookupField, value string) (*domain.CustomerRef, error) {
	f, ok := lookupIndex[field]
	if !ok {
		return nil, fmt.Errorf("no blind index for %s", field)
	}
	v := s.index.Active()
	h, err := s.index.Compute(v, f, value)
	if err != nil {
		return nil, err
	}
	r, err := scanCustomerRef(s.queryRow(ctx, `SELECT `+customerRefColumns+` FROM customers c
		WHERE c.id IN (SELECT b.customer_id FROM blind_index b WHERE b.field = ? AND b.key_version = ? AND b.hash = ?)
		AND c.erased_at IS NULL`, f.Code, v, h))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identifier holder: %w", err)
	}
	return &r, nil
}

// CompanyNameHolders returns the live company customers whose name folds
// to the same key as name (domain.CompanyNameKey), newest first, at most
// 20. The match goes through the company-name blind index, so it keeps
// working whether the name is stored in clear or sealed.
func (s *Customers) CompanyNameHolders(ctx context.Context, name string) ([]domain.CustomerRef, error) {
	key := domain.CompanyNameKey(name)
	if key == "" {
		return nil, nil
	}
	v := s.index.Active()
	h, err := s.index.Compute(v, vault.IndexCompanyName, key)
	if err != nil {
		return nil, err
	}
	refs, err := queryAll(ctx, s.DB, scanCustomerRef, `SELECT `+customerRefColumns+` FROM customers c
		WHERE c.id IN (SELECT b.customer_id FROM blind_index b WHERE b.field = ? AND b.key_version = ? AND b.hash = ?)
		AND c.kind = ? AND c.erased_at IS NULL ORDER BY c.id DESC LIMIT 20`,
		vault.IndexCompanyName.Code, v, h, string(domain.CustomerCompany))
	if err != nil {
		return nil, fmt.Errorf("company name holders: %w", err)
	}
	return refs, nil
}

// SaveDuplicateRef stores a reference handed out by a duplicate check
// with its audit events, in one transaction.
func (s *Customers) SaveDuplicateRef(ctx context.Context, r *domain.DuplicateRef, evs ...*domain.AuditEvent) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO duplicate_refs (hash, user_id, customer_id, field, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.Hash, string(r.UserID), string(r.CustomerID), r.Field,
			r.CreatedAt.UnixMicro(), r.ExpiresAt.UnixMicro()); err != nil {
			if isForeignKeyViolation(err) {
				return domain.Conflict("", "the customer was deleted meanwhile; try again")
			}
			return fmt.Errorf("save duplicate reference: %w", err)
		}
		return insertAudit(ctx, tx, evs...)
	})
}

// backfillCompanyNames is the pending backfill that writes the
// company-name blind-index entries of customers stored before that index
// existed.
const backfillCompanyNames = "company_name_index"

// RunBackfills writes blind-index entries that a migration could not
// (they need the index key): for now, the company-name entries of older
// company customers, for every loaded index key version. It does nothing
// once done, and is safe to run on several nodes at once. It reads the
// names still in clear; a company whose name is already sealed gets its
// entry from the seal run (custos data seal writes every blind-index
// entry of each customer it visits).
func (s *Customers) RunBackfills(ctx context.Context) error {
	var pending int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM pending_backfills WHERE name = ?`, backfillCompanyNames).Scan(&pending); err != nil {
		return fmt.Errorf("pending backfills: %w", err)
	}
	if pending == 0 {
		return nil
	}
	start := time.Now()
	after, n := "", 0
	for {
		type company struct{ id, name string }
		batch, err := queryAll(ctx, s.DB, func(sc scanner) (company, error) {
			var c company
			var name sql.NullString
			err := sc.Scan(&c.id, &name)
			c.name = name.String
			return c, err
		}, `SELECT c.id, c.name_public FROM customers c WHERE c.kind = ? AND c.erased_at IS NULL AND c.id > ?
			ORDER BY c.id LIMIT 1000`, string(domain.CustomerCompany), after)
		if err != nil {
			return fmt.Errorf("backfill company names: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		var rows [][]any
		for _, c := range batch {
			key := domain.CompanyNameKey(c.name)
			if key == "" {
				continue
			}
			for _, v := range s.index.Versions() {
				h, err := s.index.Compute(v, vault.IndexCompanyName, key)
				if errors.Is(err, vault.ErrIndexVersionNotLoaded) {
					continue
				}
				if err != nil {
					return err
				}
				rows = append(rows, []any{vault.IndexCompanyName.Code, v, h, c.id, c.id})
			}
		}
		if err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			for _, r := range rows {
				if _, err := tx.Exec(ctx, insertIndexEntrySQL, r...); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("backfill company names: %w", err)
		}
		n += len(batch)
		after = batch[len(batch)-1].id
	}
	if err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM pending_backfills WHERE name = ?`, backfillCompanyNames)
		return err
	}); err != nil {
		return fmt.Errorf("backfill company names: %w", err)
	}
	s.log.Info("backfilled company-name index", slog.Int("companies", n), slog.Duration("took", time.Since(start)))
	return nil
}
