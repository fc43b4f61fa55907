package audit_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/audit"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/tlscert"
)

// readFrames reads RFC 6587 octet-counted frames until n are read.
func readFrames(t *testing.T, c net.Conn, n int) []string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var out []string
	for len(out) < n {
		lenStr, err := r.ReadString(' ')
		if err != nil {
			t.Fatalf("frame length: %v", err)
		}
		size, err := strconv.Atoi(strings.TrimSuffix(lenStr, " "))
		if err != nil || size <= 0 {
			t.Fatalf("frame length %q", lenStr)
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(r, msg); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(msg))
	}
	return out
}

// checkSyslog checks one RFC 5424 message and returns its ECS document.
func checkSyslog(t *testing.T, msg string) map[string]any {
	t.Helper()
	// <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] BOM MSG
	parts := strings.SplitN(msg, " ", 7)
	if len(parts) != 7 || !strings.HasPrefix(parts[0], "<") || !strings.HasSuffix(parts[0], ">1") || parts[3] != "custos" {
		t.Fatalf("not RFC 5424: %q", msg)
	}
	if _, err := time.Parse(time.RFC3339Nano, parts[1]); err != nil {
		t.Fatalf("timestamp %q: %v", parts[1], err)
	}
	sd, body, ok := strings.Cut(parts[6], "] \xef\xbb\xbf")
	if !ok || !strings.HasPrefix(sd, "[custos@32473 seq=\"") {
		t.Fatalf("structured data / BOM: %q", parts[6])
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("message body is not JSON: %v", err)
	}
	return doc
}

func seededLog(t *testing.T, d testkit.Dialect) *testkit.TestApp {
	t.Helper()
	a := testkit.NewApp(t, d, testkit.AppOptions{})
	ctx := context.Background()
	ev := readEvent(a, 1)
	ev.SourceIP, ev.UserAgent, ev.RequestID = "203.0.113.9", "Mozilla/5.0 (\"quoted\" ] agent)", "req_1"
	if err := a.Audit.Record(ctx, ev); err != nil {
		t.Fatal(err)
	}
	denied := domain.NewAuditEvent(ctx, time.Now(), domain.ActionLogin, "user", "")
	denied.Outcome, denied.Reason = domain.OutcomeDenied, "unknown account"
	if err := a.Audit.Record(ctx, denied); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestShipSyslogOverTCPAndTLS(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := seededLog(t, d)
		tree, _ := a.Store.AuditLog.AuditTree(context.Background())
		dir := t.TempDir()
		certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := tlscert.GenerateSelfSigned(certPath, keyPath, []string{"127.0.0.1"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		cert, err := tlscert.Load(certPath, keyPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, scheme := range []string{"tcp", "tls"} {
			t.Run(scheme, func(t *testing.T) {
				var ln net.Listener
				var err error
				if scheme == "tls" {
					ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
				} else {
					ln, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
				}
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				got := make(chan []string, 1)
				go func() {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					defer c.Close()
					got <- readFrames(t, c, int(tree.Size))
				}()
				ca := ""
				if scheme == "tls" {
					ca = certPath
				}
				sink, err := audit.NewSyslogSink(scheme, ln.Addr().String(), ca, a.AuditSigner.Origin())
				if err != nil {
					t.Fatal(err)
				}
				defer sink.Close()
				sh := audit.NewShipper(a.Store.AuditLog, sink, nil)
				n, err := sh.ShipOnce(context.Background())
				if err != nil || int64(n) != tree.Size {
					t.Fatalf("ship: %d %v", n, err)
				}
				msgs := <-got
				last := checkSyslog(t, msgs[len(msgs)-1])
				ev := last["event"].(map[string]any)
				if ev["action"] != "auth.login" || ev["outcome"] != "failure" || ev["reason"] != "unknown account" {
					t.Fatalf("denied login as ECS: %v", last)
				}
				if !strings.HasPrefix(msgs[len(msgs)-1], "<109>1 ") { // log audit (13) × 8 + notice (5)
					t.Fatalf("priority of a denied event: %q", msgs[len(msgs)-1][:8])
				}
				read := checkSyslog(t, msgs[len(msgs)-2])
				if read["source"].(map[string]any)["ip"] != "203.0.113.9" ||
					read["user_agent"].(map[string]any)["original"] != "Mozilla/5.0 (\"quoted\" ] agent)" ||
					read["http"].(map[string]any)["request"].(map[string]any)["id"] != "req_1" ||
					read["event"].(map[string]any)["action"] != "customer.read" {
					t.Fatalf("read as ECS: %v", read)
				}
				if n, err := sh.ShipOnce(context.Background()); err != nil || n != 0 {
					t.Fatalf("shipped again: %d %v", n, err)
				}
			})
		}
	})
}

// A sink that is down makes shipping fail and retry later from the same
// cursor; recording and the Merkle log carry on regardless.
func TestShippingFailureNeverBlocksTheLog(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := seededLog(t, d)
		ctx := context.Background()
		ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nobody listens: the sink is down
		sink, err := audit.NewSyslogSink("tcp", addr, "", a.AuditSigner.Origin())
		if err != nil {
			t.Fatal(err)
		}
		sh := audit.NewShipper(a.Store.AuditLog, sink, nil)
		if _, err := sh.ShipOnce(ctx); err == nil {
			t.Fatal("shipping to a closed port succeeded")
		}
		if err := a.Audit.Record(ctx, readEvent(a, 9)); err != nil {
			t.Fatalf("recording while the SIEM is down: %v", err)
		}
		if _, err := a.AuditSequencer.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
		if cur, _ := a.Store.AuditLog.AuditShipCursor(ctx, sink.Name()); cur != -1 {
			t.Fatalf("cursor moved on failure: %d", cur)
		}
		ln, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		defer ln.Close()
		tree, _ := a.Store.AuditLog.AuditTree(ctx)
		got := make(chan []string, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			got <- readFrames(t, c, int(tree.Size))
		}()
		if n, err := sh.ShipOnce(ctx); err != nil || int64(n) != tree.Size {
			t.Fatalf("ship after recovery: %d %v", n, err)
		}
		if msgs := <-got; len(msgs) != int(tree.Size) {
			t.Fatalf("received %d messages", len(msgs))
		}
		if cur, _ := a.Store.AuditLog.AuditShipCursor(ctx, sink.Name()); cur != tree.Size-1 {
			t.Fatalf("cursor %d, want %d", cur, tree.Size-1)
		}
	})
}

func TestShipJSONLines(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := seededLog(t, d)
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		sink, err := audit.NewJSONLSink(path, a.AuditSigner.Origin(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sh := audit.NewShipper(a.Store.AuditLog, sink, nil)
		n, err := sh.ShipOnce(context.Background())
		if err != nil || n == 0 {
			t.Fatalf("ship: %d %v", n, err)
		}
		sink.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) != n {
			t.Fatalf("%d lines for %d events", len(lines), n)
		}
		for i, l := range lines {
			var doc struct {
				Timestamp string `json:"@timestamp"`
				Event     struct {
					Action   string `json:"action"`
					Sequence int64  `json:"sequence"`
					Dataset  string `json:"dataset"`
				} `json:"event"`
			}
			if err := json.Unmarshal([]byte(l), &doc); err != nil || doc.Event.Sequence != int64(i) || doc.Event.Action == "" ||
				doc.Event.Dataset != "custos.audit" || !strings.HasSuffix(doc.Timestamp, "Z") {
				t.Fatalf("line %d: %v %s", i, err, l)
			}
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", st.Mode())
		}
	})
}
