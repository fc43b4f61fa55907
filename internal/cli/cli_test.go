package cli_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

var binary string

// TestMain builds the real custos binary once; the tests drive it as an
// operator would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "custos-cli-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "custos")
	build := exec.CommandContext(context.Background(), "go", "build", "-o", binary, "github.com/custoscrm/custos/cmd/custos")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), binary, args...)
	cmd.Env = append(os.Environ(), "CUSTOS_LOG_LEVEL=warn")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// tree hashes every file under dir with its mode, to prove "unchanged".
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		st, _ := d.Info()
		m[p] = fmt.Sprintf("%x %v", sha256.Sum256(b), st.Mode())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"init", "--help"}, {"serve", "--help"}, {"version", "--help"}} {
		out, _, code := run(t, args...)
		if code != 0 || !strings.Contains(out, "Usage: custos") {
			t.Errorf("custos %v: exit %d, output %q", args, code, out)
		}
	}
	if _, errOut, code := run(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d %q", code, errOut)
	}
	if _, errOut, code := run(t, "serve", "--data"); code != 2 || errOut == "" {
		t.Errorf("missing flag value: exit %d %q", code, errOut)
	}
}

func TestInitCreatesAndRefusesTwice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("a long enough passphrase 密码\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "init", "--data", dir, "--admin-email", "Boss@Example.com", "--admin-password-file", pw)
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "a long enough passphrase") || !strings.Contains(out, "boss@example.com") {
		t.Errorf("init output: %q", out)
	}
	for p, want := range map[string]os.FileMode{
		dir:                                   0o700 | fs.ModeDir,
		filepath.Join(dir, "master.key"):      0o600,
		filepath.Join(dir, "custos.db"):       0o600,
		filepath.Join(dir, "tls", "key.pem"):  0o600,
		filepath.Join(dir, "tls", "cert.pem"): 0o644,
	} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if st.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, st.Mode(), want)
		}
	}
	before := tree(t, dir)
	_, errOut, code = run(t, "init", "--data", dir, "--admin-email", "other@example.com", "--admin-password-file", pw)
	if code == 0 || !strings.Contains(errOut, "already initialized") {
		t.Fatalf("second init: exit %d %q", code, errOut)
	}
	if after := tree(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("second init changed the data directory")
	}
}

func TestInitBadInputChangesNothing(t *testing.T) {
	base := t.TempDir()
	short := filepath.Join(base, "short")
	_ = os.WriteFile(short, []byte("short\n"), 0o600)
	empty := filepath.Join(base, "empty")
	_ = os.WriteFile(empty, nil, 0o600)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"short password", []string{"--admin-password-file", short}, "at least 12 characters"},
		{"empty password file", []string{"--admin-password-file", empty}, "empty"},
		{"missing password file", []string{"--admin-password-file", filepath.Join(base, "nope")}, "no such file"},
		{"bad email", []string{"--admin-email", "not-an-email"}, "admin-email"},
		{"bad database url", []string{"--database-url", "mysql://x"}, "postgres://"},
	} {
		dir := filepath.Join(base, strings.ReplaceAll(c.name, " ", "-"))
		_, errOut, code := run(t, append([]string{"init", "--data", dir}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q (want mention of %q)", c.name, code, errOut, c.want)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: data directory left behind", c.name)
		}
	}
}

// TestServeHTTPSAndSIGTERM runs the README's path: serve --init on a fresh
// directory prints the https URL and a one-time admin password that works
// against the API; only TLS 1.2+ is accepted; SIGTERM exits 0.
func TestServeHTTPSAndSIGTERM(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.CommandContext(context.Background(), binary, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--init", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // best effort if the test fails early
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url, password string
	deadline := time.After(60 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before printing its URL")
			}
			if m := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(l); m != nil {
				password = m[1]
			}
			if m := regexp.MustCompile(`serving (https://\S+)`).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-deadline:
			t.Fatal("serve did not start")
		}
	}
	go func() {
		for range lines {
		}
	}()
	if password == "" {
		t.Fatal("no generated admin password printed")
	}
	pem, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	get := func(c *http.Client, u string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(context.Background(), "GET", u, nil)
		if err != nil {
			return nil, err
		}
		return c.Do(req)
	}
	client := func(maxVersion uint16) *http.Client {
		// The client deliberately offers old versions: the server must refuse them.
		cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: maxVersion} //nolint:gosec // see above
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	url = strings.Replace(url, "localhost", "127.0.0.1", 1)
	resp, err := get(client(0), url+"/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("healthz: %d over TLS %x", resp.StatusCode, resp.TLS.Version)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header")
	}
	if resp, err := get(client(tls.VersionTLS11), url+"/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
	if resp, err := get(client(tls.VersionTLS12), url+"/healthz"); err != nil {
		t.Errorf("TLS 1.2 client refused: %v", err)
	} else {
		resp.Body.Close()
	}
	if resp, err := get(&http.Client{Timeout: 5 * time.Second}, strings.Replace(url, "https://", "http://", 1)+"/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP was served")
		}
	}

	body := fmt.Sprintf(`{"email":"admin@custos.localhost","password":%q}`, password)
	req, _ := http.NewRequestWithContext(context.Background(), "POST", url+"/api/v1/auth/login", strings.NewReader(body))
	resp, err = client(0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if resp.StatusCode != 200 || login.Token == "" {
		t.Fatalf("login with the printed password: %d", resp.StatusCode)
	}
	req, _ = http.NewRequestWithContext(context.Background(), "POST", url+"/api/v1/users", strings.NewReader(`{"email":"rep@example.com","password":"another long passphrase","role":"sales_rep","display_name":"Rep"}`))
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = client(0).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID string `json:"id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.HasPrefix(created.ID, "usr_") {
		t.Fatalf("create user: %d %q", resp.StatusCode, created.ID)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v (want exit 0)", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
}

// TestImportCommand imports a CSV through the real binary, then refuses a
// file with one bad row, leaving the stored customers as they were.
func TestImportCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pw := filepath.Join(t.TempDir(), "pw")
	_ = os.WriteFile(pw, []byte("a long enough passphrase\n"), 0o600)
	if _, errOut, code := run(t, "init", "--data", dir, "--admin-password-file", pw); code != 0 {
		t.Fatal(errOut)
	}
	good := filepath.Join(t.TempDir(), "good.csv")
	_ = os.WriteFile(good, []byte("name,phone,email,tags\n张伟,13800138000,zw@example.com,vip\nAnn Smith,13900139000,ann@example.com,\n"), 0o600)
	out, errOut, code := run(t, "import", "customers", "--data", dir, "--quiet", good)
	if code != 0 || !strings.Contains(out, "imported 2 customers") {
		t.Fatalf("import: exit %d %q %q", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	report := filepath.Join(t.TempDir(), "report.csv")
	_ = os.WriteFile(bad, []byte("name,phone\nNew One,13700137000\nDup,+86 138 0013 8000\nBad,123\n"), 0o600)
	_, errOut, code = run(t, "import", "customers", "--data", dir, "--quiet", bad, "--report", report)
	if code == 0 || !strings.Contains(errOut, "line 3, phone") || !strings.Contains(errOut, "line 4, phone") || !strings.Contains(errOut, "nothing was imported") {
		t.Fatalf("bad import: exit %d %q", code, errOut)
	}
	if strings.Contains(errOut, "13800138000") {
		t.Error("the report echoes a phone number")
	}
	// The report holds each refused row as it was, with every problem.
	if b, err := os.ReadFile(report); err != nil || !strings.HasPrefix(string(b), "\ufeffline,name,phone,errors\n") ||
		!strings.Contains(string(b), "3,Dup,'+86 138 0013 8000,phone: another customer already has this phone\n") ||
		!strings.Contains(string(b), "4,Bad,123,phone: ") || strings.Contains(string(b), "New One") {
		t.Errorf("report: %q %v", b, err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "custos.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM customers`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the refused import: %d customers (%v), want the 2 imported before", n, err)
	}
	if out, _, code := run(t, "import", "customers", "--data", dir, "--dry-run", "--quiet", good); code == 0 || strings.Contains(out, "valid") {
		t.Errorf("re-importing the same customers should fail as duplicates: exit %d %q", code, out)
	}
	if _, _, code := run(t, "import", "customers", "--help"); code != 0 {
		t.Error("import --help")
	}
}
