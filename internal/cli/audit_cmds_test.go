package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/cli"
	"github.com/custoscrm/custos/internal/testkit"
)

// runInProcess runs the CLI inside the test process (no binary build).
func runInProcess(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestAuditCommandsHelp(t *testing.T) {
	for _, sub := range []string{"verify", "checkpoint", "key", "export"} {
		code, out, _ := runInProcess(t, "audit", sub, "--help")
		if code != 0 || !strings.Contains(out, "Usage: custos audit "+sub) {
			t.Errorf("audit %s --help: %d %q", sub, code, out)
		}
	}
	if code, out, _ := runInProcess(t, "audit", "--help"); code != 0 || !strings.Contains(out, "verify") {
		t.Errorf("audit --help: %d %q", code, out)
	}
	if code, _, errs := runInProcess(t, "audit", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("audit frobnicate: %d %q", code, errs)
	}
}

func TestServeRefusesBadAuditConfig(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ flag, want string }{
		{"--audit-ship-syslog=udp://127.0.0.1:514", "tcp://host:port or tls://host:port"},
		{"--audit-anchor-url=http://anchor.example.com/", "https://"},
		{"--audit-sequence-interval=0s", "--audit-sequence-interval"},
		{"--audit-ship-syslog-ca=/tmp/ca.pem", "goes with a tls://"},
	} {
		code, _, errs := runInProcess(t, "serve", "--data", dir, c.flag)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("serve %s: %d %q", c.flag, code, errs)
		}
	}
}

func TestAuditKeyCheckpointExport(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		l := newAuditLog(t, d)
		db := []string{"--data", l.Dir, "--log-level", "error"}
		if l.DatabaseURL != "" {
			db = append(db, "--database-url", l.DatabaseURL)
		}
		code, out, errs := runInProcess(t, append([]string{"audit", "key"}, db...)...)
		if code != 0 || !strings.Contains(out, "verifier "+l.AuditSigner.VerifierKey()) || !strings.Contains(out, "origin "+l.AuditSigner.Origin()) {
			t.Fatalf("audit key: %d %q %q", code, out, errs)
		}
		code, out, errs = runInProcess(t, append([]string{"audit", "checkpoint", "--audit-anchor-file", l.anchor}, db...)...)
		if code != 0 || !strings.HasPrefix(out, l.AuditSigner.Origin()+"\n") || !strings.Contains(out, "— custos-audit ") {
			t.Fatalf("audit checkpoint: %d %q %q", code, out, errs)
		}
		path := filepath.Join(t.TempDir(), "export.csv")
		code, _, errs = runInProcess(t, append([]string{"audit", "export", "--from", "2", "--to", "4", "--out", path}, db...)...)
		if code != 0 {
			t.Fatalf("audit export: %d %q", code, errs)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(rows) != 4 || rows[1][0] != "2" || rows[3][0] != "4" {
			t.Fatalf("export: %v %q", err, rows)
		}
		if code, _, _ := runInProcess(t, append([]string{"audit", "export", "--from", "2", "--to", "4", "--out", path}, db...)...); code == 0 {
			t.Fatal("export overwrote an existing file")
		}
		// The export was recorded, and the log still verifies.
		if code, out := l.verify(t, "--anchor", l.anchor); code != 0 {
			t.Fatalf("verify after export: %d %s", code, out)
		}
	})
}
