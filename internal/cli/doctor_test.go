package cli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// custos doctor lists every record whose stored data fails its integrity
// check — by kind, id, field and reason, never a value — and exits 1; on
// an intact database it exits 0.
func TestDoctorListsUnreadableRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pw := filepath.Join(t.TempDir(), "pw")
	_ = os.WriteFile(pw, []byte("a long enough passphrase\n"), 0o600)
	if _, errOut, code := run(t, "init", "--data", dir, "--admin-password-file", pw); code != 0 {
		t.Fatal(errOut)
	}
	csvFile := filepath.Join(t.TempDir(), "c.csv")
	_ = os.WriteFile(csvFile, []byte("name,phone,email\n张伟,13800138000,zw@example.com\nAnn Smith,13900139000,ann@example.com\nBo Li,13700137000,bo@example.com\n"), 0o600)
	if out, errOut, code := run(t, "import", "customers", "--data", dir, "--quiet", csvFile); code != 0 {
		t.Fatalf("import: %s %s", out, errOut)
	}
	out, errOut, code := run(t, "doctor", "--data", dir)
	if code != 0 || !strings.Contains(out, "checked 3 records: 0 unreadable") {
		t.Fatalf("doctor on an intact database: exit %d %q %q", code, out, errOut)
	}

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "custos.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var fieldID, keyID, dek string
	var phone []byte
	if err := db.QueryRowContext(ctx, `SELECT id, phone_sealed FROM customers ORDER BY id LIMIT 1`).Scan(&fieldID, &phone); err != nil {
		t.Fatal(err)
	}
	phone[len(phone)-1] ^= 1
	if _, err := db.ExecContext(ctx, `UPDATE customers SET phone_sealed = ? WHERE id = ?`, phone, fieldID); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT id, dek_id FROM customers ORDER BY id DESC LIMIT 1`).Scan(&keyID, &dek); err != nil {
		t.Fatal(err)
	}
	var wrapped []byte
	if err := db.QueryRowContext(ctx, `SELECT wrapped FROM data_keys WHERE id = ?`, dek).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	wrapped[len(wrapped)-1] ^= 1
	if _, err := db.ExecContext(ctx, `UPDATE data_keys SET wrapped = ? WHERE id = ?`, wrapped, dek); err != nil {
		t.Fatal(err)
	}

	out, errOut, code = run(t, "doctor", "--data", dir, "--json")
	if code != 1 {
		t.Fatalf("doctor on a damaged database: exit %d %q %q", code, out, errOut)
	}
	var rep struct {
		Checked    int64 `json:"checked"`
		Unreadable []struct {
			Kind, ID, Field, Reason string
		} `json:"unreadable"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor --json: %v %q", err, out)
	}
	got := map[string]string{}
	for _, p := range rep.Unreadable {
		got[p.ID] = p.Kind + " " + p.Field + " " + p.Reason
	}
	if rep.Checked != 3 || len(got) != 2 ||
		got[fieldID] != "customer phone sealed_field_fails_authentication" ||
		got[keyID] != "customer  data_key_does_not_unwrap" {
		t.Fatalf("doctor report: %+v", rep)
	}
	for _, v := range []string{"13800138000", "13900139000", "13700137000", "example.com"} {
		if strings.Contains(out, v) || strings.Contains(errOut, v) {
			t.Fatalf("doctor printed a value: %q", v)
		}
	}
	if _, _, code := run(t, "doctor", "--help"); code != 0 {
		t.Error("doctor --help")
	}
}
