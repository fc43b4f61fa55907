// Package bench is Custos's load benchmark: it starts a server on a fresh
// data directory (or targets a running one), seeds realistic customers,
// signs in as the roles the scenarios need, and drives each scenario with
// its own HTTP/1.1 load generator over TLS, reporting throughput as a
// ratio of the same server's /healthz ceiling, latency percentiles, errors
// and the server's peak memory.
package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// client is a load-generating HTTPS client: one keep-alive HTTP/1.1
// connection per worker, like a conventional load generator.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // the benchmark talks to its own self-signed server
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// do sends one request and returns the status and body.
func (c *client) do(ctx context.Context, method, path, token string, body []byte) (int, []byte, error) {
	status, _, b, err := c.exchange(ctx, method, path, token, body, nil)
	return status, b, err
}

// exchange sends one request with extra headers and returns the status,
// the response headers and the body.
func (c *client) exchange(ctx context.Context, method, path, token string, body []byte, header http.Header) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// request is one generated request of a scenario.
type request struct {
	method, path, token string
	body                []byte
	want                int // expected status
	header              http.Header
	// alsoOK is another acceptable status (a 412 when two workers update
	// the same customer at once with the same If-Match is optimistic
	// concurrency doing its job).
	alsoOK int
	// after, when set, sees the answer (status and headers).
	after func(status int, h http.Header)
}

// generator makes the next request for a worker; rng is the worker's own.
type generator func(rng *rand.Rand, seq int64) request

// Stats are one scenario's measurements.
type Stats struct {
	Requests int64
	Errors   int64
	Elapsed  time.Duration
	RPS      float64
	P50      time.Duration
	P95      time.Duration
	P99      time.Duration
	Max      time.Duration
}

// load runs gen from conns workers for d and measures it.
func load(ctx context.Context, c *client, conns int, d time.Duration, gen generator) Stats {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		seq       atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(start.UnixNano()))) //nolint:gosec // load pattern, not secrets
			local := make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				r := gen(rng, seq.Add(1))
				t0 := time.Now()
				status, h, _, err := c.exchange(ctx, r.method, r.path, r.token, r.body, r.header)
				if err == nil && r.after != nil {
					r.after(status, h)
				}
				el := time.Since(t0)
				if ctx.Err() != nil {
					break // the scenario ended mid-request: not a result
				}
				local = append(local, el)
				if err != nil || (status != r.want && (r.alsoOK == 0 || status != r.alsoOK)) {
					errs.Add(1)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	st := Stats{Requests: int64(len(latencies)), Errors: errs.Load(), Elapsed: elapsed}
	if n := len(latencies); n > 0 {
		st.RPS = float64(n) / elapsed.Seconds()
		st.P50 = latencies[n*50/100]
		st.P95 = latencies[n*95/100]
		st.P99 = latencies[min(n-1, n*99/100)]
		st.Max = latencies[n-1]
	}
	return st
}

func (s Stats) String() string {
	return fmt.Sprintf("%.0f req/s, p50 %v, p95 %v, p99 %v, %d errors", s.RPS, s.P50, s.P95, s.P99, s.Errors)
}
