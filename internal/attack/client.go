package attack

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client talks HTTPS to one server. The servers under attack use their
// self-signed certificates, so verification is off: the suite attacks its
// own loopback servers only.
type Client struct {
	Base string
	hc   *http.Client
}

// NewClient returns a client for base (https://host:port).
func NewClient(base string, conns int) *Client {
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // loopback servers with self-signed certificates
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &Client{Base: base, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode %d response %q: %w", r.Status, clipBytes(r.Body, 200), err)
	}
	return nil
}

// ErrorCode returns error.code of an error body ("" if none).
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

// ErrorField returns error.field of an error body ("" if none).
func (r *Response) ErrorField() string {
	var e struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Field
}

// Raw is a request given byte for byte: the body as is and any headers.
type Raw struct {
	Method  string
	Path    string // path and query, sent as given
	Token   string
	Body    []byte
	Headers map[string]string
}

// Do sends a JSON request: body is marshalled unless it is already bytes.
func (c *Client) Do(ctx context.Context, method, path, token string, body any) (*Response, error) {
	var b []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		b = v
	case json.RawMessage:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("marshal body: %w", err)
		}
	}
	return c.DoRaw(ctx, Raw{Method: method, Path: path, Token: token, Body: b})
}

// Send sends a recipe's request: an upload as it is with its
// Content-Type, anything else as JSON.
func (c *Client) Send(ctx context.Context, method, token string, req Request) (*Response, error) {
	if req.ContentType == "" {
		return c.Do(ctx, method, req.Path, token, req.Body)
	}
	b, _ := req.Body.([]byte)
	return c.DoRaw(ctx, Raw{Method: method, Path: req.Path, Token: token, Body: b, Headers: map[string]string{"Content-Type": req.ContentType}})
}

// DoRaw sends r as given.
func (c *Client) DoRaw(ctx context.Context, r Raw) (*Response, error) {
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, c.Base+r.Path, rd)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, clip(r.Path, 80), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", r.Method, clip(r.Path, 80), err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Expect sends a request and fails unless the answer has status want.
func (c *Client) Expect(ctx context.Context, want int, method, path, token string, body any) (*Response, error) {
	r, err := c.Do(ctx, method, path, token, body)
	if err != nil {
		return nil, err
	}
	if r.Status != want {
		return r, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, r.Status, want, clipBytes(r.Body, 300))
	}
	return r, nil
}

// Login signs in and returns the session token.
func (c *Client) Login(ctx context.Context, email, password string) (string, error) {
	r, err := c.Expect(ctx, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if err != nil {
		return "", fmt.Errorf("sign in %s: %w", email, err)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := r.JSON(&out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", errors.New("sign in " + email + ": no token in the answer")
	}
	return out.Token, nil
}

// ID returns the "id" of a JSON object body.
func (r *Response) ID() string {
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(r.Body, &v)
	return v.ID
}

// WaitReady polls /healthz until it answers 200 or d passes.
func (c *Client) WaitReady(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		r, err := c.Do(ctx, "GET", "/healthz", "", nil)
		if err == nil && r.Status == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not healthy after %v: %w", d, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait ready: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func clipBytes(b []byte, n int) string { return clip(string(b), n) }
