package cli_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // raw access to check what the commands stored
)

// TestFileInputsMustBeUTF8 gives the commands files they cannot read: a
// password file that is not UTF-8, a CSV that is neither UTF-8 nor
// GB18030, one whose header is not a column, a UTF-16 export without a
// byte-order mark and a file that is not a customer list at all (as if an
// operator named /etc/shadow). Each is refused with the line, column or byte
// offset named, the content never repeated, and nothing stored.
func TestFileInputsMustBeUTF8(t *testing.T) {
	tmp := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const secret = "s3cr3t-Passage"
	latin1 := file("latin1-pw", "\xff\xff\xff\xff "+secret+" long enough\n")

	dir := filepath.Join(tmp, "refused")
	_, errOut, code := run(t, "init", "--data", dir, "--admin-password-file", latin1)
	if code == 0 || !strings.Contains(errOut, "not valid UTF-8 (byte 0)") || strings.Contains(errOut, secret) {
		t.Errorf("init with a non-UTF-8 password file: exit %d %q", code, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("a refused init left the data directory behind")
	}

	dir = filepath.Join(tmp, "data")
	if _, errOut, code := run(t, "init", "--data", dir, "--admin-email", "boss@example.com", "--admin-password-file", file("pw", "a long enough passphrase\n")); code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "custos.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	state := func() string {
		var hash string
		var n int
		if err := db.QueryRowContext(context.Background(), `SELECT password_hash FROM users WHERE email = 'boss@example.com'`).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM customers`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return hash + "|" + strconv.Itoa(n)
	}
	before := state()

	_, errOut, code = run(t, "users", "reset-password", "--data", dir, "--email", "boss@example.com", "--password-file", latin1)
	if code == 0 || !strings.Contains(errOut, "not valid UTF-8") || strings.Contains(errOut, secret) {
		t.Errorf("reset-password with a non-UTF-8 file: exit %d %q", code, errOut)
	}

	for _, c := range []struct {
		name, content string
		want          []string
	}{
		// Neither UTF-8 nor GB18030: refused as a whole, the first bad
		// position named.
		{"bad cell", "name,street,phone\n张伟,ok,13800138000\nAnn " + secret + ",\"Harbour\nRoad\",139\xe9\n",
			[]string{"line 4", "neither UTF-8 (not valid at line 4, byte 77)"}},
		// Valid GB18030, but not a column name.
		{"bad header", "name,ph\xf6ne\nAnn,13900139000\n", []string{"column 2 of the header is not a known column"}},
		{"utf-16 without a byte-order mark", "n\x00a\x00m\x00e\x00\n\x00A\x00n\x00n\x00\n\x00",
			[]string{"NUL byte (line 1, byte 1)", "UTF-16 saved without a byte-order mark"}},
		{"not a customer list", "root:$6$" + secret + ":19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n", []string{"column 1 of the header is not a known column"}},
	} {
		f := file(c.name+".csv", c.content)
		report := filepath.Join(tmp, c.name+"-report.csv")
		_, errOut, code := run(t, "import", "customers", "--data", dir, "--quiet", "--report", report, f)
		if code == 0 {
			t.Errorf("%s: imported", c.name)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr %q, want mention of %q", c.name, errOut, w)
			}
		}
		rep, _ := os.ReadFile(report)
		for _, leak := range []string{secret, "Harbour", "root", "ph\xf6ne", "\uFFFD"} {
			if strings.Contains(errOut, leak) || strings.Contains(string(rep), leak) {
				t.Errorf("%s: the error repeats the file's content (%q): %q %q", c.name, leak, errOut, rep)
			}
		}
	}
	if after := state(); after != before {
		t.Errorf("refused commands changed the store: %s → %s", before, after)
	}
}
