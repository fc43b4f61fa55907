package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// Partial search walks the blind index newest first. Each alternative of
// a search (domain.SearchAlt: every token in one index) is a stream of
// candidate customers in descending id order, read in growing batches:
// either down one token's bucket — the primary key (field, key_version,
// hash, tiebreak) keeps a token's entries in customer-id order, so the
// walk reads them in order and stops at the page — probing the other
// tokens and the customer's scope and filters per entry; or, when the
// caller's scope (an owner, a team) holds fewer customers than the
// smallest bucket, down the scope's customers, probing each token. The
// streams are merged, and every candidate is decrypted and confirmed
// (domain.Search.Matches): a tag is 2 bytes of an HMAC, shared by many
// tokens. A page stops after domain.MaxSearchExamined candidates with a
// cursor to go on, so a query whose bucket is crowded by other tokens
// costs a bounded amount per request.

// searchCountCap bounds the counting that picks how a stream walks.
const searchCountCap = 2000

// searchRow is a customers row with its wrapped data key, read together
// so that a candidate that is not cached costs no second query.
type searchRow struct {
	r       customerRow
	kek     sql.NullInt64
	wrapped []byte
}

// searchStream yields one alternative's candidates, newest first.
type searchStream struct {
	query string // SELECT … WHERE …, without the cursor, order and limit
	order string // the column walked: c.id or b0.tiebreak
	args  []any
	below domain.ID // the next batch reads ids below this
	batch int
	buf   []searchRow
	done  bool
}

func (s *Customers) searchCustomers(ctx context.Context, f domain.CustomerFilter) (domain.Page[*domain.Customer], error) {
	var page domain.Page[*domain.Customer]
	limit := pageLimit(f)
	conds, cargs := customerConds(f)
	if f.Search.CompaniesOnly {
		conds = append(conds, "c.kind = ?")
		cargs = append(cargs, string(domain.CustomerCompany))
	}
	v := s.index.Active()
	var streams []*searchStream
	for _, alt := range f.Search.Alts {
		st, err := s.newSearchStream(ctx, f, alt, v, conds, cargs)
		if err != nil {
			return page, err
		}
		if st != nil {
			st.batch = min(limit+1, 256)
			streams = append(streams, st)
		}
	}
	examined := 0
	for {
		best := -1
		for i, st := range streams {
			if err := s.fillStream(ctx, st); err != nil {
				return page, err
			}
			if len(st.buf) > 0 && (best < 0 || st.buf[0].r.id > streams[best].buf[0].r.id) {
				best = i
			}
		}
		if best < 0 {
			return page, nil // every stream is exhausted
		}
		row := streams[best].buf[0]
		for _, st := range streams {
			if len(st.buf) > 0 && st.buf[0].r.id == row.r.id {
				st.buf = st.buf[1:]
			}
		}
		examined++
		c, err := s.openSearchRow(ctx, &row, f.Skip)
		if err != nil {
			return page, err
		}
		if c.Unreadable == "" && f.Search.Matches(c) {
			page.Items = append(page.Items, c)
		}
		if len(page.Items) == limit || examined >= domain.MaxSearchExamined {
			for _, st := range streams {
				if len(st.buf) > 0 || !st.done {
					page.NextCursor = string(c.ID)
					break
				}
			}
			return page, nil
		}
	}
}

// newSearchStream plans alt's walk: nil when one of its tokens has no
// entry at all.
func (s *Customers) newSearchStream(ctx context.Context, f domain.CustomerFilter, alt domain.SearchAlt, v int,
	conds []string, cargs []any) (*searchStream, error) {
	field, ok := searchIndex[alt.Index]
	if !ok || len(alt.Tokens) == 0 {
		return nil, fmt.Errorf("search: unknown index %d", alt.Index)
	}
	hashes := make([][]byte, 0, len(alt.Tokens))
	seen := map[string]bool{}
	for _, t := range alt.Tokens {
		h, err := s.index.Compute(v, field, t)
		if err != nil {
			return nil, err
		}
		if !seen[string(h)] {
			seen[string(h)] = true
			hashes = append(hashes, h)
		}
	}
	// Count (up to the cap) what each way of walking would read.
	narrow, nargs := narrowScope(f)
	driver, driverCount := 0, searchCountCap
	if len(hashes) > 1 || narrow != "" {
		for i, h := range hashes {
			n, err := s.boundedCount(ctx, `SELECT 1 FROM blind_index WHERE field = ? AND key_version = ? AND hash = ?`,
				field.Code, v, h)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, nil
			}
			if i == 0 || n < driverCount {
				driver, driverCount = i, n
			}
		}
	}
	probe := func(h []byte, on string) (string, []any) {
		return "EXISTS (SELECT 1 FROM blind_index b WHERE b.field = ? AND b.key_version = ? AND b.hash = ? AND b.tiebreak = " + on + ")",
			[]any{field.Code, v, h}
	}
	cols := s.customerColumns() + `, k.kek_version, k.wrapped`
	st := &searchStream{below: f.Cursor}
	if narrow != "" && driverCount >= searchCountCap/4 {
		n, err := s.boundedCount(ctx, `SELECT 1 FROM customers c WHERE `+narrow, nargs...)
		if err != nil {
			return nil, err
		}
		if n < driverCount {
			where := append([]string(nil), conds...)
			args := append([]any(nil), cargs...)
			for _, h := range hashes {
				p, pargs := probe(h, "c.id")
				where, args = append(where, p), append(args, pargs...)
			}
			st.query = `SELECT ` + cols + ` FROM customers c LEFT JOIN data_keys k ON k.id = c.dek_id WHERE ` +
				strings.Join(where, " AND ")
			st.order, st.args = "c.id", args
			return st, nil
		}
	}
	where := []string{"b0.field = ?", "b0.key_version = ?", "b0.hash = ?"}
	args := []any{field.Code, v, hashes[driver]}
	for i, h := range hashes {
		if i != driver {
			p, pargs := probe(h, "b0.tiebreak")
			where, args = append(where, p), append(args, pargs...)
		}
	}
	where, args = append(where, conds...), append(args, cargs...)
	// CROSS JOIN keeps the bucket the outer loop: SQLite would otherwise
	// walk a scope's index (customers_team, customers_owner) over every
	// customer of the team and probe the bucket for each.
	st.query = `SELECT ` + cols + ` FROM blind_index b0 CROSS JOIN customers c
		LEFT JOIN data_keys k ON k.id = c.dek_id WHERE c.id = b0.tiebreak AND ` + strings.Join(where, " AND ")
	st.order, st.args = "b0.tiebreak", args
	return st, nil
}

// narrowScope returns the condition selecting the customers of one owner
// or one team the caller is confined to (their own scope, their team's,
// or an owner_id filter), when there is one: a walk through it may read
// fewer rows than a crowded bucket.
func narrowScope(f domain.CustomerFilter) (string, []any) {
	switch {
	case f.Scope.Nothing:
		return "", nil
	case f.Scope.OwnerID != "":
		return "c.owner_id = ?", []any{string(f.Scope.OwnerID)}
	case f.OwnerID != "":
		return "c.owner_id = ?", []any{string(f.OwnerID)}
	case f.Scope.TeamID != "":
		return "c.team_id = ?", []any{string(f.Scope.TeamID)}
	}
	return "", nil
}

// boundedCount counts the rows of query, up to searchCountCap.
func (s *Customers) boundedCount(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM (`+query+` LIMIT `+fmt.Sprint(searchCountCap)+`) x`, args...).Scan(&n)
	return n, err
}

// fillStream reads st's next batch when its buffer is empty.
func (s *Customers) fillStream(ctx context.Context, st *searchStream) error {
	if len(st.buf) > 0 || st.done {
		return nil
	}
	query, args := st.query, append([]any(nil), st.args...)
	if st.below != "" {
		query += ` AND ` + st.order + ` < ?`
		args = append(args, string(st.below))
	}
	rows, err := s.query(ctx, query+` ORDER BY `+st.order+` DESC LIMIT ?`, append(args, st.batch)...)
	if err != nil {
		return fmt.Errorf("search customers: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sr searchRow
		if err := rows.Scan(append(sr.r.dest(), &sr.kek, &sr.wrapped)...); err != nil {
			return err
		}
		st.buf = append(st.buf, sr)
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n < st.batch {
		st.done = true
	}
	if n > 0 {
		st.below = domain.ID(st.buf[n-1].r.id)
	}
	st.batch = min(st.batch*2, 512)
	return nil
}

// openSearchRow opens a candidate, unwrapping its data key from the row
// when it is not cached.
func (s *Customers) openSearchRow(ctx context.Context, sr *searchRow, skip map[domain.FieldClass]bool) (*domain.Customer, error) {
	id := domain.ID(sr.r.dekID)
	if sr.wrapped != nil && !sr.r.erasedAt.Valid && !s.vault.IsCached(id) {
		wk := vault.WrappedKey{ID: id, KEKVersion: int(sr.kek.Int64), Wrapped: sr.wrapped}
		// A key that does not unwrap, or whose leaf is punctured, is
		// reported by the row's own read (unreadable, or erased).
		if _, err := s.vault.Key(ctx, wk); err != nil && !errors.Is(err, vault.ErrErased) && !errors.Is(err, vault.ErrUnwrap) {
			return nil, err
		}
	}
	return s.openCustomer(ctx, &sr.r, skip)
}
