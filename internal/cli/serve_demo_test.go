package cli_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeDemoPrintsSignIns: `custos serve --init --demo` (what `make run
// DEMO=1` runs) prints the web UI's address and a sign-in for every role,
// and each printed sign-in opens the web UI through its sign-in form.
func TestServeDemoPrintsSignIns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.CommandContext(context.Background(), binary, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--init", "--demo", "--log-level", "warn")
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
	type signIn struct{ email, password string }
	signIns := map[string]signIn{}
	signInRe := regexp.MustCompile(`^\s+(admin|sales_manager|sales_rep|finance|service|auditor)\s+(\S+@\S+)\s+(\S+)$`)
	var ui string
	deadline := time.After(3 * time.Minute)
	for ui == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve exited before printing the web UI's address")
			}
			if m := signInRe.FindStringSubmatch(l); m != nil {
				if _, seen := signIns[m[1]]; !seen {
					signIns[m[1]] = signIn{m[2], m[3]}
				}
			}
			if m := regexp.MustCompile(`web UI:\s+(https://\S+/login)$`).FindStringSubmatch(l); m != nil {
				ui = m[1]
			}
		case <-deadline:
			t.Fatal("serve did not start")
		}
	}
	go func() {
		for range lines {
		}
	}()
	for _, role := range []string{"admin", "sales_manager", "sales_rep", "finance", "service", "auditor"} {
		if signIns[role].password == "" {
			t.Errorf("no sign-in printed for %s: %v", role, signIns)
		}
	}

	pem, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	ui = strings.Replace(ui, "127.0.0.1", "localhost", 1)
	origin := strings.TrimSuffix(ui, "/login")
	csrfRe := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	for role, s := range signIns {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Timeout: 30 * time.Second, Jar: jar,
			Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequestWithContext(context.Background(), "GET", ui, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfRe.FindSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("the sign-in page: %d", resp.StatusCode)
		}
		form := url.Values{"_csrf": {string(m[1])}, "email": {s.email}, "password": {s.password}}
		req, _ = http.NewRequestWithContext(context.Background(), "POST", ui, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s signs in with the printed password: %d → %q", role, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v (want exit 0)", err)
	}
}
