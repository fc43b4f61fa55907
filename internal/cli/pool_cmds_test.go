package cli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPoolCommands: an operator lists every team's pool settings and runs
// the automatic return now; the return acts once (a second run changes
// nothing), never beside another node running it, and bad usage is
// refused.
func TestPoolCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("a long enough passphrase 密码\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "init", "--data", dir, "--admin-email", "boss@example.com", "--admin-password-file", pw, "--demo"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"pool", "--help"}, 0, "settings"},
		{[]string{"pool", "settings", "--help"}, 0, "--json"},
		{[]string{"pool", "return", "--help"}, 0, "lease"},
	} {
		out, _, code := run(t, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, out)
		}
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"pool"}, 2, "return"},
		{[]string{"pool", "transfer", "--data", dir}, 2, "unknown command"},
		{[]string{"pool", "settings"}, 2, "--data is required"},
		{[]string{"pool", "return", "--data", dir, "now"}, 1, "takes no arguments"},
		{[]string{"pool", "return", "--data", filepath.Join(t.TempDir(), "none")}, 1, "not initialized"},
	} {
		_, errOut, code := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errOut)
		}
	}

	out, errOut, code := run(t, "pool", "settings", "--data", dir)
	if code != 0 || !strings.Contains(out, "华南销售") || !strings.Contains(out, "30 days") || !strings.Contains(out, "(defaults)") {
		t.Fatalf("pool settings: %d %q %q", code, out, errOut)
	}
	out, _, _ = run(t, "pool", "settings", "--data", dir, "--json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0]["return_days"] != float64(30) {
		t.Fatalf("pool settings --json: %v %q", err, out)
	}

	// Nothing is due on a fresh installation.
	if out, errOut, code := run(t, "pool", "return", "--data", dir); code != 0 || !strings.Contains(out, "returned 0 customers") {
		t.Fatalf("pool return: %d %q %q", code, out, errOut)
	}
	// Two demo customers last heard of 40 days ago: they return, once.
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "custos.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	long := time.Now().Add(-40 * 24 * time.Hour).UnixMicro()
	if _, err := db.ExecContext(ctx, `INSERT INTO pool_clock (customer_id, quiet_since)
		SELECT id, ? FROM customers WHERE owner_id IS NOT NULL ORDER BY id LIMIT 2
		ON CONFLICT (customer_id) DO UPDATE SET quiet_since = excluded.quiet_since`, long); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, "pool", "return", "--data", dir, "--json")
	var rep map[string]int
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep["returned"] != 2 {
		t.Fatalf("pool return of two due customers: %d %q %q", code, out, errOut)
	}
	if out, _, code := run(t, "pool", "return", "--data", dir); code != 0 || !strings.Contains(out, "returned 0 customers") {
		t.Fatalf("pool return again: %d %q", code, out)
	}
	var returned, notified int
	if err := db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM pool_moves WHERE kind = 'return'),
		(SELECT COUNT(*) FROM notifications WHERE kind = 'pool.returned')`).Scan(&returned, &notified); err != nil || returned != 2 || notified != 2 {
		t.Fatalf("after the returns: %d moves, %d notifications, %v", returned, notified, err)
	}

	// Another node running the return: this one does not.
	if _, err := db.ExecContext(ctx, `INSERT INTO key_leases (name, holder, acquired_at, expires_at) VALUES ('job:pool-return', 'elsewhere/1/x', ?, ?)`,
		time.Now().UnixMicro(), time.Now().Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "pool", "return", "--data", dir); code != 1 || !strings.Contains(errOut, "another node") {
		t.Fatalf("pool return beside another node: %d %q", code, errOut)
	}
	if out, errOut, code := run(t, "audit", "verify", "--data", dir); code != 0 {
		t.Fatalf("audit verify after the returns: %d %q %q", code, out, errOut)
	}
}
