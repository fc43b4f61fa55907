package testkit

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/httpserver"
	"github.com/custoscrm/custos/internal/tlscert"
)

// Server is a running HTTPS Custos for a test.
type Server struct {
	URL    string
	Client *http.Client
	App    *TestApp
}

// Serve starts a real HTTPS server for a on 127.0.0.1 with the data
// directory's self-signed certificate; it stops when the test ends.
func Serve(t testing.TB, a *TestApp) *Server {
	t.Helper()
	return ServeOn(t, a, Listen(t))
}

// Listen opens the loopback listener a test server will serve on, so a
// test can configure the app with its origin first (passkeys are bound
// to the origin): see Origin.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln
}

// Origin is the https origin a browser sees for a server on ln, by the
// name its certificate carries.
func Origin(ln net.Listener) string {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "https://localhost:" + port
}

// ServeOn is Serve on a listener from Listen.
func ServeOn(t testing.TB, a *TestApp, ln net.Listener) *Server {
	t.Helper()
	certPath := filepath.Join(a.Dir, "tls", "cert.pem")
	cert, err := tlscert.Load(certPath, filepath.Join(a.Dir, "tls", "key.pem"))
	if err != nil {
		t.Fatalf("load cert: %v", err)
	}
	srv := httpserver.New(httpserver.Options{TLS: tlscert.ServerConfig(cert), Handler: a.Handler(), Log: a.Log,
		MaxBodyBytes: a.Config.MaxBodyBytes, BodyLimit: a.BodyLimit, Ready: a.Store.Ready})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	pem, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 64,
			ForceAttemptHTTP2:   true,
		},
	}
	t.Cleanup(client.CloseIdleConnections)
	return &Server{URL: "https://" + ln.Addr().String(), Client: client, App: a}
}

// Response is a finished API call.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode returns error.code of an error body ("" if absent).
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code  string `json:"code"`
			Field string `json:"field"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// ErrorField returns error.field of an error body.
func (r *Response) ErrorField() string {
	var e struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Field
}

// Do sends a request with an optional bearer token and body (a []byte or
// string is sent as is; anything else is encoded as JSON).
func (s *Server) Do(t testing.TB, method, path, token string, body any) *Response {
	t.Helper()
	return s.DoWith(t, method, path, token, body, nil)
}

// DoWith is Do with extra request headers (a Content-Type among them
// replaces the default).
func (s *Server) DoWith(t testing.TB, method, path, token string, body any, header http.Header) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Login signs in over the API and returns the bearer token.
func (s *Server) Login(t testing.TB, email, password string) string {
	t.Helper()
	r := s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	r.JSON(t, &out)
	return out.Token
}

// LoginAs signs in a user made by TestApp.CreateUser (or the admin).
func (s *Server) LoginAs(t testing.TB, email string) string {
	t.Helper()
	if email == AdminEmail {
		return s.Login(t, email, AdminPassword)
	}
	return s.Login(t, email, PasswordFor(email))
}
