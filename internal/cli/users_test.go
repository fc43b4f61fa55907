package cli_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // raw access to check what the commands stored
)

// TestUsersRecoveryCommands: an operator resets a user's second factors
// and password from the command line; unknown users, missing flags and
// weak temporary passwords are refused and change nothing.
func TestUsersRecoveryCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("a long enough passphrase 密码\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "init", "--data", dir, "--admin-email", "boss@example.com", "--admin-password-file", pw); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "custos.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := func() (hash string, must int) {
		if err := db.QueryRowContext(context.Background(), `SELECT password_hash, must_change_password FROM users WHERE email = 'boss@example.com'`).Scan(&hash, &must); err != nil {
			t.Fatal(err)
		}
		return hash, must
	}
	hash0, _ := stored()

	if out, _, code := run(t, "users", "--help"); code != 0 || !strings.Contains(out, "reset-mfa") {
		t.Fatalf("users --help: %d %q", code, out)
	}
	weak := filepath.Join(t.TempDir(), "weak")
	_ = os.WriteFile(weak, []byte("password1234\n"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown user", []string{"users", "reset-mfa", "--data", dir, "--email", "ghost@example.com"}, 1, "no user with email"},
		{"missing email", []string{"users", "reset-password", "--data", dir}, 2, "--email is required"},
		{"weak temporary password", []string{"users", "reset-password", "--data", dir, "--email", "boss@example.com", "--password-file", weak}, 1, "temporary password"},
		{"unknown subcommand", []string{"users", "promote", "--data", dir}, 2, "unknown command"},
	} {
		_, errOut, code := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q", c.name, code, errOut)
		}
	}
	if h, must := stored(); h != hash0 || must != 0 {
		t.Fatal("refused commands changed the user")
	}

	out, errOut, code := run(t, "users", "reset-mfa", "--data", dir, "--email", "Boss@Example.com")
	if code != 0 || !strings.Contains(out, "Removed the second factors of boss@example.com") {
		t.Fatalf("reset-mfa: %d %q %q", code, out, errOut)
	}
	out, errOut, code = run(t, "users", "reset-password", "--data", dir, "--email", "boss@example.com")
	if code != 0 || !strings.Contains(out, "Temporary password") {
		t.Fatalf("reset-password: %d %q %q", code, out, errOut)
	}
	if h, must := stored(); h == hash0 || must != 1 {
		t.Fatalf("after reset-password: hash changed %v, must change %d", h != hash0, must)
	}
}
