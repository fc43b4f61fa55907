package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/cli"
	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// auditLog is a test app whose log holds two anchored checkpoints.
type auditLog struct {
	*testkit.TestApp
	raw    *testkit.Raw
	anchor string
	size   int64
}

// newAuditLog records events until the log has 15 entries, with a signed
// and anchored checkpoint at 10 and at 15.
func newAuditLog(t *testing.T, d testkit.Dialect) *auditLog {
	t.Helper()
	anchor := filepath.Join(t.TempDir(), "anchors.txt")
	a := testkit.NewApp(t, d, testkit.AppOptions{Config: func(c *config.Config) { c.AuditAnchorFile = anchor }})
	l := &auditLog{TestApp: a, raw: testkit.RawDB(t, a), anchor: anchor}
	l.fill(t, 10)
	l.fill(t, 15)
	return l
}

// fill records events until the log holds size entries, then integrates
// and signs.
func (l *auditLog) fill(t *testing.T, size int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := l.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	tree, err := l.Store.AuditLog.AuditTree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := tree.Size; i < size; i++ {
		ev := domain.NewAuditEvent(l.System(), time.Now(), domain.ActionCustomerRead, "customer", fmt.Sprintf("cus_%026d", i))
		ev.Fields = []string{"phone", "email"}
		if err := l.Audit.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := l.AuditSequencer.Integrate(ctx); err != nil || n != size-tree.Size {
		t.Fatalf("integrate: %d, %v (want %d)", n, err, size-tree.Size)
	}
	cp, err := l.AuditSequencer.Checkpoint(ctx)
	if err != nil || cp.Size != size {
		t.Fatalf("checkpoint: %+v, %v", cp, err)
	}
	l.size = size
}

// verify runs 'custos audit verify' and returns its exit code and output.
func (l *auditLog) verify(t *testing.T, extra ...string) (int, string) {
	t.Helper()
	args := []string{"audit", "verify", "--data", l.Dir, "--log-level", "error"}
	if l.DatabaseURL != "" {
		args = append(args, "--database-url", l.DatabaseURL)
	}
	args = append(args, extra...)
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, args)
	return code, out.String() + errb.String()
}

// rewriteHashes recomputes the whole hash table and the tree row from
// the (tampered) events, as an attacker covering their tracks would.
func (l *auditLog) rewriteHashes(t *testing.T) {
	t.Helper()
	evs := l.events(t)
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, ev := range evs {
		hs, err := tlog.StoredHashes(int64(i), ev.Leaf(), r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	l.raw.Exec(t, `DELETE FROM audit_hashes`)
	for i, h := range hashes {
		l.raw.Exec(t, `INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)`, int64(i), h[:])
	}
	root, err := tlog.TreeHash(int64(len(evs)), r)
	if err != nil {
		t.Fatal(err)
	}
	l.raw.Exec(t, `UPDATE audit_tree SET size = ?, root_hash = ? WHERE id = 1`, int64(len(evs)), root[:])
}

// events reads the integrated events as stored (through Custos's own
// reader; the tampering itself is raw SQL).
func (l *auditLog) events(t *testing.T) []*domain.AuditEvent {
	t.Helper()
	var out []*domain.AuditEvent
	seqs := l.seqs(t)
	for i, s := range seqs {
		ev, err := l.Store.AuditLog.AuditEventBySeq(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		ev.Seq = int64(i) // the attacker renumbers to keep the log contiguous
		out = append(out, ev)
	}
	return out
}

func wantBad(t *testing.T, code int, out string, seq int64) {
	t.Helper()
	if code != 1 {
		t.Fatalf("verify exited %d, want 1; output:\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("first bad entry: seq %d:", seq)) {
		t.Fatalf("verify did not name seq %d as the first bad entry:\n%s", seq, out)
	}
}

func TestAuditVerifyIntact(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		l := newAuditLog(t, d)
		code, out := l.verify(t, "--anchor", l.anchor)
		if code != 0 || !strings.Contains(out, "audit log intact: 15 entries") || !strings.Contains(out, "2 anchored") {
			t.Fatalf("intact log: exit %d\n%s", code, out)
		}
		vk, _ := l.AuditService.VerifierKey()
		if code, out := l.verify(t, "--verifier-key", vk); code != 0 {
			t.Fatalf("pinned key: exit %d\n%s", code, out)
		}
		if code, out := l.verify(t, "--verifier-key", "custos-audit+00000000+AAAA"); code != 1 || !strings.Contains(out, "not the expected key") {
			t.Fatalf("wrong pinned key: exit %d\n%s", code, out)
		}
	})
}

func TestAuditVerifyCatchesTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, l *auditLog)
		anchor bool
		seq    int64
	}{
		{"ChangeField", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_events SET target_id = 'cus_other' WHERE seq = 7`)
		}, false, 7},
		{"ChangeTime", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_events SET time = time + 1 WHERE seq = 11`)
		}, false, 11},
		{"ChangeOutcome", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_events SET outcome = 'denied' WHERE seq = 0`)
		}, false, 0},
		{"DeleteOne", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `DELETE FROM audit_events WHERE seq = 4`)
		}, false, 4},
		{"InsertOne", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_events SET seq = -seq - 1 WHERE seq >= 5`)
			l.raw.Exec(t, `UPDATE audit_events SET seq = -seq WHERE seq < 0`)
			l.raw.Exec(t, `INSERT INTO audit_events (time, action, outcome, seq) VALUES (1, 'customer.read', 'allowed', 5)`)
		}, false, 5},
		{"AppendOne", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `INSERT INTO audit_events (time, action, outcome, seq) VALUES (1, 'customer.read', 'allowed', 15)`)
		}, false, 15},
		{"SwapTwo", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_events SET seq = -1 WHERE seq = 3`)
			l.raw.Exec(t, `UPDATE audit_events SET seq = 3 WHERE seq = 8`)
			l.raw.Exec(t, `UPDATE audit_events SET seq = 8 WHERE seq = -1`)
		}, false, 3},
		{"TruncateTail", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `DELETE FROM audit_events WHERE seq >= 12`)
		}, false, 12},
		{"TruncateTailAndRewriteHashes", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `DELETE FROM audit_events WHERE seq >= 12`)
			l.rewriteHashes(t)
			l.raw.Exec(t, `DELETE FROM audit_checkpoints WHERE size > 12`)
		}, true, 12},
		{"RollBackTreeRow", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_tree SET size = 10 WHERE id = 1`)
		}, false, 10},
		{"ChangeLeafHash", func(t *testing.T, l *auditLog) {
			l.raw.Exec(t, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, make([]byte, 32), tlog.StoredHashIndex(0, 9))
		}, false, 9},
	}
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				l := newAuditLog(t, d)
				c.tamper(t, l)
				var extra []string
				if c.anchor {
					extra = []string{"--anchor", l.anchor}
				}
				code, out := l.verify(t, extra...)
				wantBad(t, code, out, c.seq)
			})
		}
	})
}

// An entry changed or deleted together with a rewrite of all hashes and
// the tree row is only caught by the signed checkpoints, which bound where
// the change lies: between the last checkpoint that still matches and the
// first that does not.
func TestAuditVerifyChangeWithRewrittenHashes(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		t.Run("ChangeField", func(t *testing.T) {
			l := newAuditLog(t, d)
			l.raw.Exec(t, `UPDATE audit_events SET fields = 'phone' WHERE seq = 12`)
			l.rewriteHashes(t)
			code, out := l.verify(t)
			if code != 1 || !strings.Contains(out, "first bad entry: in seq 10–14:") {
				t.Fatalf("verify: exit %d\n%s", code, out)
			}
		})
		t.Run("DeleteOne", func(t *testing.T) {
			l := newAuditLog(t, d)
			l.raw.Exec(t, `DELETE FROM audit_events WHERE seq = 4`)
			l.raw.Exec(t, `UPDATE audit_events SET seq = seq - 1 WHERE seq > 4`)
			l.rewriteHashes(t)
			l.raw.Exec(t, `DELETE FROM audit_checkpoints WHERE size > 14`)
			code, out := l.verify(t, "--anchor", l.anchor)
			if code != 1 || !strings.Contains(out, "first bad entry: in seq 0–9:") {
				t.Fatalf("verify: exit %d\n%s", code, out)
			}
		})
	})
}

// Truncation with every trace rewritten (events, hashes, tree row, stored
// checkpoints) is invisible inside the database; the anchor file catches
// it, and the server refuses to start.
func TestAuditTruncationCaughtByAnchor(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		l := newAuditLog(t, d)
		l.raw.Exec(t, `DELETE FROM audit_events WHERE seq >= 12`)
		l.rewriteHashes(t)
		l.raw.Exec(t, `DELETE FROM audit_checkpoints WHERE size > 12`)
		if code, out := l.verify(t); code != 0 {
			t.Fatalf("without the anchor the rewrite is self-consistent; verify exited %d\n%s", code, out)
		}
		code, out := l.verify(t, "--anchor", l.anchor)
		wantBad(t, code, out, 12)
		if !strings.Contains(out, "truncated") {
			t.Fatalf("message does not say truncated:\n%s", out)
		}
		err := l.Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), "refusing to serve") || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("start after truncation: %v", err)
		}
	})
}

func TestAuditVerifyRejectsBadCheckpointsAndAnchors(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		t.Run("ForgedStoredCheckpoint", func(t *testing.T) {
			l := newAuditLog(t, d)
			var note string
			if err := l.raw.QueryRow(`SELECT note FROM audit_checkpoints WHERE size = 10`).Scan(&note); err != nil {
				t.Fatal(err)
			}
			forged := strings.Replace(note, "\n10\n", "\n11\n", 1)
			l.raw.Exec(t, `UPDATE audit_checkpoints SET note = ? WHERE size = 10`, forged)
			code, out := l.verify(t)
			if code != 1 || !strings.Contains(out, "stored checkpoint of size 10") || !strings.Contains(out, "signature") {
				t.Fatalf("forged checkpoint: exit %d\n%s", code, out)
			}
		})
		t.Run("TamperedAnchorFile", func(t *testing.T) {
			l := newAuditLog(t, d)
			b, err := os.ReadFile(l.anchor)
			if err != nil {
				t.Fatal(err)
			}
			tampered := strings.Replace(string(b), "\n15\n", "\n16\n", 1)
			if tampered == string(b) {
				t.Fatal("anchor file has no size-15 entry")
			}
			if err := os.WriteFile(l.anchor, []byte(tampered), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := l.verify(t, "--anchor", l.anchor)
			if code != 1 || !strings.Contains(out, "anchor file") || !strings.Contains(out, "signature") {
				t.Fatalf("tampered anchor: exit %d\n%s", code, out)
			}
			if err := l.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "anchor file") {
				t.Fatalf("start with a tampered anchor file: %v", err)
			}
		})
		t.Run("TruncatedAnchorFile", func(t *testing.T) {
			l := newAuditLog(t, d)
			b, err := os.ReadFile(l.anchor)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(l.anchor, b[:len(b)-20], 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := l.verify(t, "--anchor", l.anchor)
			if code != 1 || !strings.Contains(out, "truncated file") {
				t.Fatalf("truncated anchor: exit %d\n%s", code, out)
			}
		})
		t.Run("MissingAnchorFile", func(t *testing.T) {
			l := newAuditLog(t, d)
			code, out := l.verify(t, "--anchor", l.anchor+".missing")
			if code != 1 || !strings.Contains(out, "does not exist") {
				t.Fatalf("missing anchor: exit %d\n%s", code, out)
			}
		})
	})
}

// seqs lists the sequence numbers stored in the log, raw.
func (l *auditLog) seqs(t *testing.T) []int64 {
	t.Helper()
	rows, err := l.raw.Query(`SELECT seq FROM audit_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return seqs
}
