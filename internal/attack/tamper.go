package attack

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver, to tamper with a stopped server's file
)

// copyDir copies a data directory (regular files and directories).
func copyDir(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(path) //nolint:gosec // our own work directory
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm()) //nolint:gosec // our own work directory
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			_ = out.Close()
			return err
		}
		return out.Close()
	})
}

// withSQLite opens the SQLite database of a stopped server's data
// directory and runs f on it.
func withSQLite(dataDir string, f func(db *sql.DB) error) error {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dataDir, "custos.db")+"?_busy_timeout=5000")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	defer db.Close()
	if err := f(db); err != nil {
		return fmt.Errorf("tamper: %w", err)
	}
	return nil
}

// AuditTamper is one way of rewriting the audit log behind Custos's back.
type AuditTamper struct {
	Name string
	// Seq is the entry the verification must name (-1: any).
	Seq int64
	SQL []string
}

// AuditTampers returns the audit tampering runs for a log of size
// entries.
func AuditTampers(size int64) []AuditTamper {
	k := size / 2
	return []AuditTamper{
		{"modify a column of an entry", k, []string{fmt.Sprintf(`UPDATE audit_events SET reason = reason || ' (edited)' WHERE seq = %d`, k)}},
		{"modify who acted", k + 1, []string{fmt.Sprintf(`UPDATE audit_events SET actor_user = 'usr_someone_else' WHERE seq = %d`, k+1)}},
		{"delete an entry", k, []string{fmt.Sprintf(`DELETE FROM audit_events WHERE seq = %d`, k)}},
		{"reorder two entries", k, []string{
			fmt.Sprintf(`UPDATE audit_events SET seq = -1 WHERE seq = %d`, k),
			fmt.Sprintf(`UPDATE audit_events SET seq = %d WHERE seq = %d`, k, k+1),
			fmt.Sprintf(`UPDATE audit_events SET seq = %d WHERE seq = -1`, k+1)}},
		{"insert a forged entry", -1, []string{fmt.Sprintf(`INSERT INTO audit_events (seq, time, action, outcome) VALUES (%d, 1, 'customer.read', 'allowed')`, size)}},
		{"truncate the log and its tree", -1, []string{
			fmt.Sprintf(`DELETE FROM audit_events WHERE seq >= %d`, k),
			fmt.Sprintf(`UPDATE audit_tree SET size = %d`, k)}},
		{"rewrite a stored tree hash", -1, []string{`UPDATE audit_hashes SET hash = zeroblob(32) WHERE idx = (SELECT MAX(idx) FROM audit_hashes)`}},
		{"rewrite a signed checkpoint", -1, []string{`UPDATE audit_checkpoints SET root_hash = zeroblob(32) WHERE size = (SELECT MAX(size) FROM audit_checkpoints)`}},
	}
}

var verifySeqRe = regexp.MustCompile(`seq (\d+)(?:[–-](\d+))?`)

// namesSeq reports whether verify's output names entry seq as the first
// bad one (or a range holding it).
func namesSeq(out string, seq int64) bool {
	m := verifySeqRe.FindStringSubmatch(out)
	if m == nil {
		return false
	}
	lo, _ := strconv.ParseInt(m[1], 10, 64)
	hi := lo
	if m[2] != "" {
		hi, _ = strconv.ParseInt(m[2], 10, 64)
	}
	return lo <= seq && seq <= hi
}

// tamperFixture is a stopped server's data directory with customers and a
// verified audit log.
type tamperFixture struct {
	spec      ServerSpec
	owner     string // the owner's session token (a sales manager)
	customers []tamperCustomer
	size      int64
}

type tamperCustomer struct {
	ID, Name, Phone, Email string // as the API shows them in full
}

// runTamper tampers with the audit log and with sealed columns of a
// stopped server's SQLite file.
func (e *env) runTamper(ctx context.Context, p *PartResult) {
	fx, err := e.tamperFixture(ctx)
	if err != nil {
		p.Err = err
		return
	}
	caught, runs := 0, 0
	out, code := e.auditVerify(ctx, fx.spec.DataDir, "")
	p.check(code == 0, "the untouched log does not verify (exit %d): %s", code, clip(out, 300))
	for i, t := range AuditTampers(fx.size) {
		dir := filepath.Join(filepath.Dir(fx.spec.DataDir), fmt.Sprintf("audit-%d", i), "data")
		if err := copyDir(fx.spec.DataDir, dir); err != nil {
			p.Err = err
			return
		}
		if err := withSQLite(dir, func(db *sql.DB) error {
			for _, q := range t.SQL {
				if _, err := db.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		}); err != nil {
			p.fail("audit tamper %q could not be applied: %v", t.Name, err)
			continue
		}
		runs++
		out, code := e.auditVerify(ctx, dir, "")
		ok := code != 0
		named := t.Seq < 0 || namesSeq(out, t.Seq)
		if p.check(ok, "audit tamper %q: custos audit verify exited 0", t.Name) &&
			p.check(named, "audit tamper %q: verify failed but did not name entry %d: %s", t.Name, t.Seq, clip(out, 200)) {
			caught++
		}
		p.note("audit tamper %q: %s", t.Name, clip(strings.TrimSpace(lastLines(out, 1)), 160))
	}
	cRuns, cCaught := e.ciphertextTampers(ctx, p, fx)
	p.fig("audit tamper runs caught", "%d / %d", caught, runs)
	p.fig("ciphertext tamper runs failed closed", "%d / %d", cCaught, cRuns)
}

// tamperFixture starts a server, creates customers and audit events,
// lets them be integrated and signed, and stops it.
func (e *env) tamperFixture(ctx context.Context) (*tamperFixture, error) {
	spec := e.serverSpec("tamper", "")
	srv, err := StartServer(ctx, spec)
	if err != nil {
		return nil, err
	}
	c := NewClient(srv.URL, 4)
	fx := &tamperFixture{spec: spec}
	token, err := writer(ctx, c, spec, e.tag+"t")
	if err != nil {
		_ = srv.Stop()
		return nil, err
	}
	fx.owner = token
	gen := newMarkerGen(e.tag + "tamper")
	for i := 0; i < 6; i++ {
		name, _ := gen.PersonName()
		email, _ := gen.Email()
		phone := gen.Phone()
		r, err := c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers", token,
			map[string]any{"kind": "person", "name": name, "phone": phone, "email": email})
		if err != nil {
			_ = srv.Stop()
			return nil, err
		}
		fx.customers = append(fx.customers, tamperCustomer{ID: r.ID(), Name: name, Phone: "+86" + phone, Email: email})
		_, _ = c.Do(ctx, "GET", "/api/v1/customers/"+r.ID(), token, nil) // an audited read
	}
	// Wait for the events to be integrated and a checkpoint signed.
	time.Sleep(3 * time.Second)
	if err := srv.Stop(); err != nil {
		return nil, err
	}
	err = withSQLite(spec.DataDir, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, `SELECT size FROM audit_tree`).Scan(&fx.size)
	})
	if err != nil {
		return nil, err
	}
	if fx.size < 4 {
		return nil, fmt.Errorf("the audit log holds only %d entries", fx.size)
	}
	return fx, nil
}

// ciphertextTampers flips a byte of a sealed column, and copies a sealed
// value from one customer to another, then reads the customer: the read
// must fail closed, never answer 200 with wrong data, and never show the
// other customer's value.
func (e *env) ciphertextTampers(ctx context.Context, p *PartResult, fx *tamperFixture) (runs, caught int) {
	victim, donor := fx.customers[0], fx.customers[1]
	cases := []struct {
		name string
		sql  string
	}{
		{"flip a byte of customers.phone_sealed",
			`UPDATE customers SET phone_sealed = substr(phone_sealed, 1, length(phone_sealed) - 5) || CAST(X'5A' AS BLOB) || substr(phone_sealed, length(phone_sealed) - 3) WHERE id = '` + victim.ID + `'`},
		{"flip a byte of customers.name_sealed",
			`UPDATE customers SET name_sealed = CAST(X'00' AS BLOB) || substr(name_sealed, 2) WHERE id = '` + victim.ID + `'`},
		{"copy another customer's phone_sealed",
			`UPDATE customers SET phone_sealed = (SELECT phone_sealed FROM customers WHERE id = '` + donor.ID + `') WHERE id = '` + victim.ID + `'`},
	}
	for i, tc := range cases {
		dir := filepath.Join(filepath.Dir(fx.spec.DataDir), fmt.Sprintf("cipher-%d", i), "data")
		if err := copyDir(fx.spec.DataDir, dir); err != nil {
			p.fail("%s: copy: %v", tc.name, err)
			continue
		}
		var changed int64
		if err := withSQLite(dir, func(db *sql.DB) error {
			res, err := db.ExecContext(ctx, tc.sql) //nolint:gosec // ids come from our own server
			if err != nil {
				return err
			}
			changed, _ = res.RowsAffected()
			return nil
		}); err != nil || changed != 1 {
			p.fail("%s: could not apply (rows %d): %v", tc.name, changed, err)
			continue
		}
		runs++
		if e.readTampered(ctx, p, tc.name, fx, dir, victim, donor) {
			caught++
		}
	}
	return runs, caught
}

// readTampered starts a server on a tampered copy and reads the victim
// as a role that sees contact data in full and as one that sees it
// masked, and through the list.
func (e *env) readTampered(ctx context.Context, p *PartResult, name string, fx *tamperFixture, dir string, victim, donor tamperCustomer) bool {
	spec := fx.spec
	spec.DataDir = dir
	spec.Addr = ""
	srv, err := StartServer(ctx, spec)
	if err != nil {
		p.fail("%s: the server does not start on the tampered copy: %v", name, err)
		return false
	}
	defer func() { _ = srv.Stop() }()
	c := NewClient(srv.URL, 2)
	admin, err := c.Login(ctx, spec.AdminEmail, spec.Password)
	if err != nil {
		p.fail("%s: sign in: %v", name, err)
		return false
	}
	pw := randomSecret() + " reader"
	ok := true
	// The owner (sales manager: contact data in full), a service agent
	// (masked, every record) and a manager of no team (who does not reach
	// the record: it must look like any absent record, 404).
	for _, role := range []string{"owner", "service", "outsider"} {
		tok := fx.owner
		if role != "owner" {
			r := map[string]string{"service": "service", "outsider": "sales_manager"}[role]
			email := fmt.Sprintf("reader.%s.%d@attack.custos.localhost", role, time.Now().UnixNano())
			if _, err := c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/users", admin, map[string]string{
				"email": email, "password": pw, "role": r, "display_name": "Reader"}); err != nil {
				p.fail("%s: %v", name, err)
				return false
			}
			if tok, err = c.Login(ctx, email, pw); err != nil {
				p.fail("%s: %v", name, err)
				return false
			}
		}
		if role == "outsider" {
			r, err := c.Do(ctx, "GET", "/api/v1/customers/"+victim.ID, tok, nil)
			if err == nil {
				p.check(r.Status == http.StatusNotFound, "%s: a caller outside the record's scope gets %d, not 404: the damaged record is decrypted before the scope check, so its existence shows (%s)",
					name, r.Status, clipBytes(r.Body, 80))
			}
			continue
		}
		for _, path := range []string{"/api/v1/customers/" + victim.ID, "/api/v1/customers?limit=200"} {
			r, err := c.Do(ctx, "GET", path, tok, nil)
			if err != nil {
				p.fail("%s: %s as %s: %v", name, path, role, err)
				ok = false
				continue
			}
			if !p.check(!strings.Contains(string(r.Body), donor.Phone[3:]) || strings.Contains(path, "?"),
				"%s: GET %s as %s showed the other customer's phone", name, path, role) {
				ok = false
			}
			body := victimJSON(r.Body, victim.ID)
			if body == nil {
				// The read failed (closed) or the list left the record out.
				p.check(r.Status >= 400 || strings.Contains(path, "?"), "%s: GET %s as %s answered %d without the customer", name, path, role, r.Status)
				p.check(r.Status < 500 || r.ErrorCode() != "", "%s: GET %s as %s: %d without a JSON error", name, path, role, r.Status)
				p.note("%s: GET %s as %s → %d %s", name, clip(path, 40), role, r.Status, clipBytes(r.Body, 100))
				continue
			}
			// Answered with the customer: every shown value must be right.
			wrong := tamperedValuesWrong(body, victim, role)
			if !p.check(wrong == "", "%s: GET %s as %s answered %d with wrong data: %s", name, path, role, r.Status, wrong) {
				ok = false
			}
			p.note("%s: GET %s as %s → %d, customer shown (%s)", name, clip(path, 40), role, r.Status, clip(string(body), 120))
		}
	}
	return ok
}

// victimJSON returns the JSON object of customer id in a customer or list
// body (nil if absent).
func victimJSON(body []byte, id string) []byte {
	var one map[string]any
	if json.Unmarshal(body, &one) == nil {
		if one["id"] == id {
			return body
		}
		if items, ok := one["items"].([]any); ok {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok && m["id"] == id {
					b, _ := json.Marshal(m)
					return b
				}
			}
		}
	}
	return nil
}

// tamperedValuesWrong returns what is wrong in a customer as shown to
// role ("" if every value shown is the true one or its mask).
func tamperedValuesWrong(body []byte, v tamperCustomer, role string) string {
	var c struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
		Email string `json:"email"`
	}
	_ = json.Unmarshal(body, &c)
	want := map[string][2]string{"name": {c.Name, v.Name}, "phone": {c.Phone, v.Phone}, "email": {c.Email, v.Email}}
	var bad []string
	for f, gw := range want {
		got, full := gw[0], gw[1]
		if got == "" || got == full {
			continue
		}
		if role == "service" && maskedMatches(f, got, full) {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s %q (true value %q)", f, got, full))
	}
	return strings.Join(bad, "; ")
}

func maskedMatches(field, got, full string) bool {
	n, _ := (&markerMask{}).mask(field, full)
	return n == got
}
