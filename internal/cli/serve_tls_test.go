package cli_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeReloadsCertificateOnSIGHUP serves the real binary with
// --tls-cert/--tls-key, replaces the files as certbot renewing them would,
// and sends SIGHUP. Documented behaviour (docs/tls.md): the next
// connection gets the new certificate, without a restart; a broken pair
// is logged and the current certificate stays.
func TestServeReloadsCertificateOnSIGHUP(t *testing.T) {
	tmp := t.TempDir()
	ca, caKey := testCA(t)
	certPath, keyPath := filepath.Join(tmp, "fullchain.pem"), filepath.Join(tmp, "privkey.pem")
	issueLeaf(t, ca, caKey, 1, certPath, keyPath)

	cmd := exec.CommandContext(context.Background(), binary, "serve", "--data", filepath.Join(tmp, "data"), "--addr", "127.0.0.1:0",
		"--init", "--tls-cert", certPath, "--tls-key", keyPath, "--log-level", "info")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // best effort if the test fails early
	var logMu sync.Mutex
	var logs strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
		}
	}()
	logged := func(s string) bool {
		logMu.Lock()
		defer logMu.Unlock()
		return strings.Contains(logs.String(), s)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`serving https://(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				addr <- strings.Replace(m[1], "localhost", "127.0.0.1", 1)
			}
		}
	}()
	var hostport string
	select {
	case hostport = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	serial := func() int64 {
		t.Helper()
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
			Config: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer conn.Close()
		return conn.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	waitSerial := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for serial() != want {
			if time.Now().After(deadline) {
				t.Fatalf("still serving serial %d, want %d", serial(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if s := serial(); s != 1 {
		t.Fatalf("serving serial %d, want 1", s)
	}

	// Renewal: new files, SIGHUP, the new certificate from the next
	// connection on.
	issueLeaf(t, ca, caKey, 2, certPath, keyPath)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitSerial(2)

	// A broken pair (the key of another certificate): logged, and the
	// current certificate stays.
	otherCert, otherKey := filepath.Join(tmp, "other.pem"), filepath.Join(tmp, "other-key.pem")
	issueLeaf(t, ca, caKey, 3, otherCert, otherKey)
	b, err := os.ReadFile(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !logged("TLS certificate reload failed") {
		if time.Now().After(deadline) {
			t.Fatal("the failed reload was not logged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := serial(); s != 2 {
		t.Fatalf("after a broken pair serving serial %d, want 2", s)
	}
	if logged("PRIVATE KEY") {
		t.Error("key material in the logs")
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

func testCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Custos Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

// issueLeaf writes a localhost certificate with serial signed by ca (the
// full chain) and its key (mode 0600), replacing the files atomically.
func issueLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, serial int64, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{
		certPath: append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...),
		keyPath: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(path+".new", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
}
