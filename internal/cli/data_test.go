package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/testkit"
)

func TestDataCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"data", "--help"}, {"data", "seal", "--help"}, {"data", "status", "--help"}} {
		code, out, _ := runKeysCLI(args...)
		if code != 0 || !strings.Contains(out, "Usage: custos data") {
			t.Errorf("custos %v: exit %d, output %q", args, code, out)
		}
	}
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"data"}, 2, "Usage: custos data"},
		{[]string{"data", "shred"}, 2, "unknown command"},
		{[]string{"data", "seal", "--data", t.TempDir(), "--batch-size", "0"}, 2, "--batch-size"},
		{[]string{"data", "seal", "--data", t.TempDir(), "now"}, 1, "takes no arguments"},
		{[]string{"data", "seal", "--data", t.TempDir()}, 1, "not initialized"},
		{[]string{"data", "status", "--data", t.TempDir()}, 1, "not initialized"},
	} {
		code, _, errOut := runKeysCLI(c.args...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("custos %v: exit %d %q, want %d saying %q", c.args, code, errOut, c.code, c.says)
		}
	}
}

// TestDataSealSurvivesKill9 stores customers, contacts and deals as an
// earlier version did (company names, employers and titles in clear, no
// partial-search entries), runs the real binary's `data seal` while this
// process keeps reading, kills it with SIGKILL midway, runs it again, and
// checks that everything reads the same, nothing is left in clear, and
// every customer is found by the end of its phone number.
func TestDataSealSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		ctx := context.Background()
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: func(c *config.Config) { c.KeyRefresh = 100 * time.Millisecond }})
		const n = 1500
		want := make(map[domain.ID]*domain.Customer, n)
		var mu sync.Mutex
		var wg sync.WaitGroup
		g := demo.NewGenerator(11)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					c, err := a.Records.CreateCustomer(a.System(), g.Customer(i))
					if err == nil && c.Kind == domain.CustomerCompany {
						_, err = a.Records.CreateDeal(a.System(), &domain.DealInput{CustomerID: c.ID, Title: "Renewal for " + c.Name})
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					want[c.ID] = c
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		raw := testkit.RawDB(t, a)
		clear := 0
		for id, c := range want {
			if c.Kind == domain.CustomerCompany {
				raw.Exec(t, `UPDATE customers SET name_public = ?, name_sealed = NULL WHERE id = ?`, c.Name, string(id))
				raw.Exec(t, `UPDATE deals SET title = ?, title_sealed = NULL WHERE customer_id = ?`, "Renewal for "+c.Name, string(id))
				clear += 2
			}
			if c.Company != "" {
				raw.Exec(t, `UPDATE customers SET company = ?, company_sealed = NULL WHERE id = ?`, c.Company, string(id))
				clear++
			}
		}
		raw.Exec(t, `DELETE FROM blind_index WHERE field IN (6, 7, 8)`)

		// A reader in this process keeps reading while the binary seals.
		stop := make(chan struct{})
		readErr := make(chan error, 1)
		go func() {
			for {
				for id, w := range want {
					select {
					case <-stop:
						readErr <- nil
						return
					default:
					}
					c, err := a.Store.Customers.GetCustomer(ctx, id, nil)
					if err != nil || c.Name != w.Name || c.Company != w.Company || c.Phone != w.Phone {
						readErr <- err
						return
					}
				}
			}
		}()

		seal := func(batch string) *exec.Cmd {
			args := []string{"data", "seal", "--data", a.Dir, "--batch-size", batch, "--log-level", "error"}
			if a.DatabaseURL != "" {
				args = append(args, "--database-url", a.DatabaseURL)
			}
			return exec.CommandContext(ctx, binary, args...)
		}
		first := seal("3")
		var firstOut bytes.Buffer
		first.Stdout, first.Stderr = &firstOut, &firstOut
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		var done, total int64
		progress := func() error {
			return raw.QueryRow(`SELECT done, total FROM data_migrations ORDER BY id DESC LIMIT 1`).Scan(&done, &total)
		}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if err := progress(); err == nil && done > 30 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := first.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		_ = first.Wait()
		if err := progress(); err != nil {
			t.Fatalf("no seal run recorded: %v\n%s", err, firstOut.String())
		}
		if done == 0 || done >= total {
			t.Fatalf("killed at %d/%d: nothing was tested\n%s", done, total, firstOut.String())
		}
		t.Logf("killed the seal run at %d/%d records", done, total)

		status := func() keylifecycle.SealStatus {
			args := []string{"data", "status", "--data", a.Dir, "--json", "--log-level", "error"}
			if a.DatabaseURL != "" {
				args = append(args, "--database-url", a.DatabaseURL)
			}
			out, err := exec.CommandContext(ctx, binary, args...).Output()
			if err != nil {
				t.Fatalf("data status: %v", err)
			}
			var st keylifecycle.SealStatus
			if err := json.Unmarshal(out, &st); err != nil {
				t.Fatalf("data status: %v: %s", err, out)
			}
			return st
		}
		if st := status(); st.Last == nil || !st.Last.FinishedAt.IsZero() || st.Running || st.ClearValues == 0 || st.ClearValues >= int64(clear) {
			t.Fatalf("status after kill -9 (%d values were in clear): %+v", clear, st)
		}

		// Running it again takes over the dead holder's lease and finishes.
		res, err := seal("200").CombinedOutput()
		if err != nil || !strings.Contains(string(res), "Stored data sealed") {
			t.Fatalf("resumed seal run: %v\n%s", err, res)
		}
		close(stop)
		if err := <-readErr; err != nil {
			t.Fatalf("a read failed during the seal run: %v", err)
		}
		if st := status(); st.ClearValues != 0 || st.Last.FinishedAt.IsZero() {
			t.Fatalf("status after the seal run: %+v", st)
		}
		if out, err := seal("200").CombinedOutput(); err != nil || !strings.Contains(string(out), "Stored data sealed") {
			t.Fatalf("a second run: %s", out)
		}
		b := testkit.Reopen(t, a)
		for id, w := range want {
			c, err := b.Store.Customers.GetCustomer(ctx, id, nil)
			if err != nil || c.Name != w.Name || c.Company != w.Company || c.Phone != w.Phone {
				t.Fatalf("customer %s after the seal run: %v", id, err)
			}
		}
		sample := 0
		for id, w := range want {
			if sample++; sample > 50 {
				break
			}
			s, err := domain.ParseSearch("q", w.Phone[len(w.Phone)-6:])
			if err != nil {
				t.Fatal(err)
			}
			page, err := b.Records.ListCustomers(b.System(), domain.CustomerFilter{Search: s, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			hit := false
			for _, c := range page.Items {
				hit = hit || c.ID == id
			}
			if !hit {
				t.Fatalf("customer %s is not found by the end of its phone after the seal run", id)
			}
		}
		var titles int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM deals WHERE title <> ''`).Scan(&titles); err != nil || titles != 0 {
			t.Fatalf("%d deal titles left in clear: %v", titles, err)
		}
	})
}
