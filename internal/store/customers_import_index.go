package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/custoscrm/custos/internal/domain"
)

// Blind-index keys are HMACs: random. Inserting each imported customer's
// entries with its row dirties a random index page per entry, and at a
// million customers the index no longer fits the page cache, so every
// commit rewrites thousands of scattered pages. An import therefore keeps
// its customers' entries aside and writes them in key order, in
// key-range chunks, every importIndexFlushRows entries and when it
// finishes: consecutive inserts then land on the same pages, each written
// once per flush.
//
// Until a flush, the import's customers exist without blind-index
// entries (not yet found by exact lookup or name search). A value taken
// by another customer meanwhile fails the flush with a conflict, and the
// import is removed, as before.
const (
	importIndexFlushRows = 250_000 // ~20 MiB of pending entries
	importIndexChunkRows = 20_000  // entries per write transaction
)

// pendingIndexRow is one blind_index row waiting to be written. It holds
// no pointers, so a quarter of a million of them cost the garbage
// collector nothing to scan.
type pendingIndexRow struct {
	field, version int32
	hashLen        uint8
	unique         bool // identifier field: the tiebreak is empty
	idLen          uint8
	hash           [32]byte
	customer       [40]byte
}

func newPendingIndexRow(e indexEntry, id domain.ID) (pendingIndexRow, error) {
	r := pendingIndexRow{field: int32(e.field.Code), version: int32(e.version), unique: e.field.Unique} //nolint:gosec // small codes and versions
	if len(e.hash) > len(r.hash) || len(id) > len(r.customer) {
		return r, fmt.Errorf("blind-index entry of %s does not fit a pending row", id)
	}
	r.hashLen, r.idLen = uint8(len(e.hash)), uint8(len(id)) //nolint:gosec // bounded just above
	copy(r.hash[:], e.hash)
	copy(r.customer[:], id)
	return r, nil
}

func (r *pendingIndexRow) id() string { return string(r.customer[:r.idLen]) }

func (r *pendingIndexRow) tiebreak() string {
	if r.unique {
		return ""
	}
	return r.id()
}

func comparePendingIndexRows(a, b pendingIndexRow) int {
	if c := cmp.Compare(a.field, b.field); c != 0 {
		return c
	}
	if c := cmp.Compare(a.version, b.version); c != 0 {
		return c
	}
	if c := bytes.Compare(a.hash[:a.hashLen], b.hash[:b.hashLen]); c != 0 {
		return c
	}
	return cmp.Compare(a.tiebreak(), b.tiebreak())
}

// importIndexes holds each running import's pending entries.
type importIndexes struct {
	mu        sync.Mutex
	m         map[domain.ID][]pendingIndexRow
	flushRows int // 0: importIndexFlushRows (tests set fewer)
}

// add appends rows to import id's pending entries and returns them all
// when they reached the flush threshold (taking them out).
func (x *importIndexes) add(id domain.ID, rows []pendingIndexRow) []pendingIndexRow {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[domain.ID][]pendingIndexRow{}
	}
	all := append(x.m[id], rows...)
	limit := x.flushRows
	if limit <= 0 {
		limit = importIndexFlushRows
	}
	if len(all) < limit {
		x.m[id] = all
		return nil
	}
	delete(x.m, id)
	return all
}

// take removes and returns import id's pending entries.
func (x *importIndexes) take(id domain.ID) []pendingIndexRow {
	x.mu.Lock()
	defer x.mu.Unlock()
	rows := x.m[id]
	delete(x.m, id)
	return rows
}

// writeIndexRows inserts rows in key order, importIndexChunkRows per
// transaction. A value another customer holds is a conflict.
func (s *DB) writeIndexRows(ctx context.Context, rows []pendingIndexRow) error {
	slices.SortFunc(rows, comparePendingIndexRows)
	cols := []string{"field", "key_version", "hash", "tiebreak", "customer_id"}
	for start := 0; start < len(rows); start += importIndexChunkRows {
		chunk := rows[start:min(start+importIndexChunkRows, len(rows))]
		args := make([][]any, len(chunk))
		for i := range chunk {
			r := &chunk[i]
			args[i] = []any{int(r.field), int(r.version), r.hash[:r.hashLen:r.hashLen], r.tiebreak(), r.id()}
		}
		err := s.Write(ctx, func(ctx context.Context, tx *Tx) error {
			return insertRows(ctx, tx, "blind_index", cols, args)
		})
		if isUniqueViolation(err) {
			return domain.Conflict("", "a phone, email, ID number or tax id of this import was taken by another customer meanwhile")
		}
		if err != nil {
			return fmt.Errorf("insert blind indexes: %w", err)
		}
	}
	return nil
}
