package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/custoscrm/custos/internal/cli"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

func runKeysCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestKeysCommandUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"keys"}, 2, "Usage: custos keys"},
		{[]string{"keys", "--help"}, 0, "status"},
		{[]string{"keys", "spin"}, 2, "unknown command"},
		{[]string{"keys", "rotate", "--help"}, 0, "resume"},
		{[]string{"keys", "status", "--help"}, 0, "--json"},
		{[]string{"keys", "destroy", "--help"}, 0, "--yes"},
		{[]string{"keys", "status"}, 2, "--data is required"},
		{[]string{"keys", "status", "--data", dir}, 1, "not initialized"},
		{[]string{"keys", "rotate", "--data", dir, "--batch-size", "0"}, 2, "--batch-size"},
		{[]string{"keys", "destroy", "--data", dir, "--version", "1"}, 2, "--yes"},
		{[]string{"keys", "destroy", "--data", dir, "--yes"}, 2, "--version"},
		{[]string{"keys", "status", "--data", dir, "--master-key-provider", "vault"}, 2, "file, passphrase or pkcs11"},
		{[]string{"keys", "status", "--data", dir, "--master-key-provider", "pkcs11"}, 2, "--pkcs11-module"},
		{[]string{"keys", "status", "--data", dir, "--key-refresh", "1ms"}, 2, "--key-refresh"},
		{[]string{"keys", "status", "--data", dir, "--master-key-provider", "passphrase"}, 1, "not initialized"},
	} {
		code, out, errOut := runKeysCLI(c.args...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("custos %s: exit %d, want %d; output %q", strings.Join(c.args, " "), code, c.code, out+errOut)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("refused commands wrote to the data directory: %v", entries)
	}
}

// TestRotateSurvivesKill9 runs the real binary's rotation against a data
// directory that another process keeps reading, kills it with SIGKILL
// midway, runs it again, and checks every customer decrypts and the old
// version is retired.
func TestRotateSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "custos")
	build := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "github.com/custoscrm/custos/cmd/custos")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: func(c *config.Config) { c.KeyRefresh = 100 * time.Millisecond }})
	const n = 3000
	want := make(map[domain.ID]string, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	g := demo.NewGenerator(5)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				c, err := a.Records.CreateCustomer(a.System(), g.Customer(i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[c.ID] = c.Phone
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// A reader in this process keeps reading while the binary rotates.
	stop := make(chan struct{})
	var reads atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		for {
			for id, phone := range want {
				select {
				case <-stop:
					readErr <- nil
					return
				default:
				}
				a.Vault.Forget(id) // force unwrapping, not the cache
				c, err := a.Store.Customers.GetCustomer(context.Background(), id, nil)
				if err != nil || c.Phone != phone {
					readErr <- err
					return
				}
				reads.Add(1)
			}
		}
	}()

	db, err := sql.Open("sqlite3", "file:"+a.Config.SQLitePath()+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rotate := func(batch string) *exec.Cmd {
		cmd := exec.CommandContext(context.Background(), bin, "keys", "rotate", "--data", a.Dir, "--batch-size", batch, "--key-refresh", "100ms", "--log-level", "error")
		cmd.Env = append(os.Environ(), "CUSTOS_SQLITE_SYNCHRONOUS=FULL")
		return cmd
	}
	first := rotate("5")
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	var done, total int64
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		err := db.QueryRowContext(context.Background(), `SELECT done, total FROM key_rotations ORDER BY id DESC LIMIT 1`).Scan(&done, &total)
		if err == nil && done > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if done == 0 {
		_ = first.Process.Kill()
		t.Fatalf("the rotation never made progress: %s", firstOut.String())
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = first.Wait()
	if err := db.QueryRowContext(context.Background(), `SELECT done, total FROM key_rotations ORDER BY id DESC LIMIT 1`).Scan(&done, &total); err != nil {
		t.Fatal(err)
	}
	if done >= total {
		t.Fatalf("the rotation finished before it was killed (%d/%d); nothing was tested", done, total)
	}
	t.Logf("killed the rotation at %d/%d data keys", done, total)

	// Status through the binary shows the interrupted rotation.
	out, err := exec.CommandContext(context.Background(), bin, "keys", "status", "--data", a.Dir, "--json", "--log-level", "error").Output()
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	var st struct {
		ActiveMaster   int
		MasterRotation domain.Rotation
	}
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatal(err)
	}
	if st.ActiveMaster != 2 || !st.MasterRotation.FinishedAt.IsZero() || st.MasterRotation.Done == 0 {
		t.Fatalf("status after kill -9: %s", out)
	}

	// Running it again takes over the dead holder's lease and finishes.
	second := rotate("500")
	res, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(res), "Master key rotated: v1 → v2") {
		t.Fatalf("resumed rotation: %v\n%s", err, res)
	}
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatalf("a read failed during the rotation: %v", err)
	}
	if reads.Load() == 0 {
		t.Fatal("no reads ran during the rotation")
	}
	b := testkit.Reopen(t, a)
	for id, phone := range want {
		c, err := b.Store.Customers.GetCustomer(context.Background(), id, nil)
		if err != nil || c.Phone != phone {
			t.Fatalf("customer %s after the rotation: %v", id, err)
		}
	}
	mks, err := b.Store.MasterKeys.MasterKeys(context.Background())
	if err != nil || len(mks) != 2 || mks[0].State != domain.KeyRetired || mks[0].DataKeys != 0 || mks[1].DataKeys != n {
		t.Fatalf("master keys after the rotation: %+v %v", mks, err)
	}
}
