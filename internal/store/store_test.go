package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/testkit"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

// TestReopenAndNewerSchema reopens a database (migrations are idempotent)
// and refuses one whose schema is newer than the binary.
func TestReopenAndNewerSchema(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ms, _ := store.Migrations(store.SQLite)
		v, err := a.Store.SchemaVersion(context.Background())
		if err != nil || v != ms[len(ms)-1].Version {
			t.Fatalf("schema version %d, %v; want %d", v, err, ms[len(ms)-1].Version)
		}
		again := testkit.NewApp(t, d, testkit.AppOptions{Dir: a.Dir, DatabaseURL: a.DatabaseURL})
		if v2, _ := again.Store.SchemaVersion(context.Background()); v2 != v {
			t.Fatalf("reopen changed schema version to %d", v2)
		}
		raw := testkit.RawDB(t, a)
		raw.Exec(t, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)`, v+1)
		_, err = store.Open(context.Background(), store.Options{SQLitePath: a.Config.SQLitePath(), DatabaseURL: a.DatabaseURL})
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Fatalf("opening a newer schema: %v", err)
		}
	})
}

// TestGroupCommitIsolatesFailures runs many concurrent writes through the
// one writer, some of which fail: every successful write is stored, no
// part of a failed one is, and each caller gets its own result.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		errBoom := errors.New("boom")
		var wg sync.WaitGroup
		results := make([]error, 200)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = a.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO teams (id, name, created_at) VALUES (?, ?, 0)`,
						string(domain.NewID(domain.KindTeam)), fmt.Sprintf("team-%d", i)); err != nil {
						return err
					}
					if i%3 == 0 {
						return errBoom // after a successful insert: it must be undone
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		want := 0
		for i, err := range results {
			if i%3 == 0 {
				if !errors.Is(err, errBoom) {
					t.Fatalf("write %d: %v, want boom", i, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
			want++
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM teams WHERE name LIKE 'team-%'`); n != int64(want) {
			t.Fatalf("stored %d teams, want %d", n, want)
		}
		for i := 0; i < len(results); i += 3 {
			if n := raw.Int(t, `SELECT COUNT(*) FROM teams WHERE name = ?`, fmt.Sprintf("team-%d", i)); n != 0 {
				t.Fatalf("failed write %d left its row behind", i)
			}
		}
	})
}
