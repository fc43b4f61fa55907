package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
)

// Options configure a benchmark run.
type Options struct {
	// URL targets a running server instead of starting one; AdminEmail and
	// AdminPassword must then name an administrator of it.
	URL           string
	AdminEmail    string
	AdminPassword string
	// Binary is the custos executable to start (default: this one).
	Binary string
	// DataDir is where a started server keeps its data (default: a fresh
	// temporary directory, removed afterwards).
	DataDir string
	// DatabaseURL runs the started server on PostgreSQL (an empty database).
	DatabaseURL string
	// Customers to seed before the scenarios.
	Customers int
	// Seeder loads customers into a started server's data directory (the
	// CSV import); nil seeds through the API.
	Seeder func(ctx context.Context, dataDir, databaseURL, ownerEmail string, n int) error
	// Concurrency is the number of connections per scenario; LoginConcurrency
	// for the login scenario.
	Concurrency      int
	LoginConcurrency int
	Duration         time.Duration
	Scenarios        []string
	// Out receives progress and the table; JSONPath the results file.
	Out      io.Writer
	JSONPath string
	// ServerLog receives the started server's stderr.
	ServerLog io.Writer
	// ServeArgs are extra flags for the started server.
	ServeArgs []string
	// MaxErrors fails the run when a scenario has more errors (negative:
	// never).
	MaxErrors int64
}

// Scenario names, in the order they run.
// The ui_ scenarios load web UI pages as a browser signed in through the
// sign-in form would.
var AllScenarios = []string{"create", "get_unmasked", "get_masked", "search_phone", "search_name", "search_suffix",
	"search_bigram", "search_prefix", "list", "update", "mixed", "login", "ui_card", "ui_list"}

// Result is one scenario's outcome.
type Result struct {
	Scenario  string  `json:"scenario"`
	Requests  int64   `json:"requests"`
	Errors    int64   `json:"errors"`
	RPS       float64 `json:"requests_per_second"`
	Ratio     float64 `json:"ratio_of_ceiling"`
	P50Ms     float64 `json:"p50_ms"`
	P95Ms     float64 `json:"p95_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	PeakRSSMB float64 `json:"server_peak_rss_mb,omitempty"`
	// ServerCPUUs is the server's CPU time per request (user + system).
	ServerCPUUs float64 `json:"server_cpu_us_per_request,omitempty"`
	Concurrency int     `json:"concurrency"`
}

// Report is a whole run.
type Report struct {
	Started     time.Time `json:"started"`
	Machine     string    `json:"machine"`
	Database    string    `json:"database"`
	Customers   int       `json:"customers"`
	SeedSeconds float64   `json:"seed_seconds"`
	Duration    string    `json:"duration_per_scenario"`
	Ceiling     Result    `json:"ceiling"`
	Results     []Result  `json:"results"`
}

type fixture struct {
	c            *client
	manager      string      // sales_manager token: sees contact data unmasked
	managerUI    http.Header // the manager's web UI session cookie, as a browser sends it
	service      string      // service token: masked views
	ids          []string
	phones       []string
	names        []string
	fullNames    []string
	loginUsers   []string
	loginPass    string
	nextCustomer atomic.Int64
	// etags holds the ETag the update scenario last saw for a customer.
	etags sync.Map
}

func randomSecret() string {
	b := make([]byte, 18)
	_, _ = crand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Run performs the benchmark.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Customers <= 0 {
		o.Customers = 100_000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.LoginConcurrency <= 0 {
		o.LoginConcurrency = 500
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if len(o.Scenarios) == 0 {
		o.Scenarios = AllScenarios
	}
	for _, s := range o.Scenarios {
		if !contains(AllScenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", s, strings.Join(AllScenarios, ", "))
		}
	}
	rep := &Report{Started: time.Now().UTC(), Customers: o.Customers, Duration: o.Duration.String(),
		Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()), Database: "sqlite"}
	if o.DatabaseURL != "" {
		rep.Database = "postgres"
	}

	var srv *serverProc
	base := o.URL
	if base == "" {
		if o.Binary == "" {
			exe, err := os.Executable()
			if err != nil {
				return nil, err
			}
			o.Binary = exe
		}
		if o.DataDir == "" {
			dir, err := os.MkdirTemp("", "custos-bench")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			o.DataDir = filepath.Join(dir, "data")
		}
		o.AdminEmail, o.AdminPassword = "admin@bench.custos.localhost", randomSecret()
		if o.ServerLog == nil {
			o.ServerLog = io.Discard
		}
		fmt.Fprintf(o.Out, "starting custos serve on %s (%s)\n", o.DataDir, rep.Database)
		var err error
		srv, err = startServer(ctx, o.Binary, o.DataDir, o.DatabaseURL, o.AdminEmail, o.AdminPassword, o.ServerLog, o.ServeArgs)
		if err != nil {
			return nil, err
		}
		defer func() {
			if srv != nil {
				_ = srv.stop()
			}
		}()
		base = srv.url
		if o.Seeder == nil {
			o.Seeder = importSeeder(o.Binary)
		}
	}
	f, err := setup(ctx, base, o)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if o.Seeder != nil && srv != nil {
		fmt.Fprintf(o.Out, "seeding %d customers by CSV import\n", o.Customers)
		if err := o.Seeder(ctx, o.DataDir, o.DatabaseURL, "bench-manager@bench.custos.localhost", o.Customers); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if err := f.collect(ctx, o.Customers); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(o.Out, "seeding %d customers through the API\n", o.Customers)
		if err := f.seedAPI(ctx, o.Customers, o.Concurrency); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	rep.SeedSeconds = time.Since(t0).Seconds()
	fmt.Fprintf(o.Out, "seeded in %.1f s\n", rep.SeedSeconds)

	measure := func(name string, conns int, gen generator) Result {
		var cpu0 time.Duration
		if srv != nil {
			resetPeakRSS(srv.pid())
			cpu0 = cpuTime(srv.pid())
		}
		st := load(ctx, f.c, conns, o.Duration, gen)
		r := Result{Scenario: name, Requests: st.Requests, Errors: st.Errors, RPS: st.RPS, Concurrency: conns,
			P50Ms: ms(st.P50), P95Ms: ms(st.P95), P99Ms: ms(st.P99), MaxMs: ms(st.Max)}
		if srv != nil {
			r.PeakRSSMB = float64(peakRSS(srv.pid())) / (1 << 20)
			if st.Requests > 0 {
				r.ServerCPUUs = float64((cpuTime(srv.pid()) - cpu0).Microseconds()) / float64(st.Requests)
			}
		}
		if rep.Ceiling.RPS > 0 {
			r.Ratio = r.RPS / rep.Ceiling.RPS
		}
		fmt.Fprintf(o.Out, "  %-13s %s\n", name, st)
		return r
	}
	fmt.Fprintf(o.Out, "ceiling: GET /healthz, %d connections, %v\n", o.Concurrency, o.Duration)
	rep.Ceiling = measure("healthz", o.Concurrency, func(*rand.Rand, int64) request {
		return request{method: "GET", path: "/healthz", want: 200}
	})
	rep.Ceiling.Ratio = 1
	for _, name := range o.Scenarios {
		conns := o.Concurrency
		if name == "login" {
			conns = o.LoginConcurrency
			f.c = newClient(base, conns)
		}
		rep.Results = append(rep.Results, measure(name, conns, f.scenario(name)))
	}
	if srv != nil {
		err := srv.stop()
		srv = nil
		if err != nil {
			return rep, fmt.Errorf("server did not stop cleanly: %w", err)
		}
	}
	WriteTable(o.Out, rep)
	if o.MaxErrors >= 0 {
		for _, r := range rep.Results {
			if r.Errors > o.MaxErrors {
				return rep, fmt.Errorf("scenario %s had %d errors (at most %d allowed)", r.Scenario, r.Errors, o.MaxErrors)
			}
		}
	}
	if o.JSONPath != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.JSONPath, append(b, '\n'), 0o600); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// setup signs in as the administrator and creates the benchmark's users.
func setup(ctx context.Context, base string, o Options) (*fixture, error) {
	f := &fixture{c: newClient(base, o.Concurrency), loginPass: randomSecret()}
	admin, err := f.login(ctx, o.AdminEmail, o.AdminPassword)
	if err != nil {
		return nil, fmt.Errorf("sign in as administrator: %w", err)
	}
	team := ""
	st, body, err := f.c.do(ctx, "POST", "/api/v1/teams", admin, []byte(`{"name":"Bench"}`))
	if err == nil && st == 201 {
		var t struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &t)
		team = t.ID
	}
	mk := func(email, role string) error {
		in := map[string]string{"email": email, "password": f.loginPass, "role": role, "display_name": email}
		if team != "" {
			in["team_id"] = team
		}
		b, _ := json.Marshal(in)
		st, body, err := f.c.do(ctx, "POST", "/api/v1/users", admin, b)
		if err != nil {
			return err
		}
		if st != 201 && st != 409 {
			return fmt.Errorf("create user %s: %d %s", email, st, body)
		}
		return nil
	}
	if err := mk("bench-manager@bench.custos.localhost", domain.RoleSalesManager); err != nil {
		return nil, err
	}
	if err := mk("bench-service@bench.custos.localhost", domain.RoleService); err != nil {
		return nil, err
	}
	for i := 0; i < 20; i++ {
		email := fmt.Sprintf("bench-login-%d@bench.custos.localhost", i)
		if err := mk(email, domain.RoleSalesRep); err != nil {
			return nil, err
		}
		f.loginUsers = append(f.loginUsers, email)
	}
	if f.manager, err = f.login(ctx, "bench-manager@bench.custos.localhost", f.loginPass); err != nil {
		return nil, err
	}
	if f.service, err = f.login(ctx, "bench-service@bench.custos.localhost", f.loginPass); err != nil {
		return nil, err
	}
	if contains(o.Scenarios, "ui_card") || contains(o.Scenarios, "ui_list") {
		session, err := f.signInUI(ctx, "bench-manager@bench.custos.localhost", f.loginPass)
		if err != nil {
			return nil, err
		}
		f.managerUI = http.Header{"Cookie": {session.Name + "=" + session.Value}}
	}
	return f, nil
}

// signInUI signs in through the web UI's sign-in form, as a browser
// does: the form's page (its CSRF token and pre-session cookie), then
// the form posted from the same origin. It returns the session cookie.
func (f *fixture) signInUI(ctx context.Context, email, password string) (*http.Cookie, error) {
	hc := &http.Client{Transport: f.c.hc.Transport, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, "GET", f.c.base+"/login", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	m := csrfField.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return nil, fmt.Errorf("the sign-in page: %d", resp.StatusCode)
	}
	form := url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {password}}
	req, err = http.NewRequestWithContext(ctx, "POST", f.c.base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = hc.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-custos_session" && c.Value != "" {
			return c, nil
		}
	}
	return nil, fmt.Errorf("sign in to the web UI as %s: %d, no session", email, resp.StatusCode)
}

// csrfField finds the CSRF token in a form.
var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (f *fixture) login(ctx context.Context, email, password string) (string, error) {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	st, body, err := f.c.do(ctx, "POST", "/api/v1/auth/login", "", b)
	if err != nil {
		return "", err
	}
	if st != 200 {
		return "", fmt.Errorf("login %s: %d %s", email, st, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		return "", errors.New("login answered no token")
	}
	return out.Token, nil
}

// seedAPI creates n customers through the API as the manager.
func (f *fixture) seedAPI(ctx context.Context, n, conns int) error {
	g := demo.NewGenerator(1)
	f.ids, f.phones, f.names, f.fullNames = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				in := managerInput(g.Customer(i))
				b, _ := json.Marshal(in)
				st, body, err := f.c.do(ctx, "POST", "/api/v1/customers", f.manager, b)
				if err != nil || st != 201 {
					once.Do(func() { firstErr = callError(fmt.Sprintf("create customer %d", i), st, body, err) })
					return
				}
				var c struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(body, &c)
				f.ids[i], f.phones[i], f.names[i], f.fullNames[i] = c.ID, in.Phone, searchName(in), in.Name
			}
		}()
	}
	wg.Wait()
	f.nextCustomer.Store(int64(n))
	return firstErr
}

// collect pages through the customers a seeder imported to learn their ids,
// and regenerates their phones and names.
func (f *fixture) collect(ctx context.Context, n int) error {
	g := demo.NewGenerator(1)
	for i := 0; i < n; i++ {
		in := g.Customer(i)
		f.phones = append(f.phones, in.Phone)
		f.names = append(f.names, searchName(in))
		f.fullNames = append(f.fullNames, in.Name)
	}
	cursor := ""
	for {
		path := "/api/v1/customers?limit=200"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		st, body, err := f.c.do(ctx, "GET", path, f.service, nil)
		if err != nil || st != 200 {
			return callError("list customers", st, body, err)
		}
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			f.ids = append(f.ids, it.ID)
		}
		if page.Next == nil {
			break
		}
		cursor = *page.Next
	}
	if len(f.ids) < n {
		return fmt.Errorf("found %d customers, seeded %d", len(f.ids), n)
	}
	f.nextCustomer.Store(int64(n))
	return nil
}

// searchName is what a rep would type to find a customer: a Chinese
// surname, or one word of a Latin name.
func searchName(in *domain.CustomerInput) string {
	if domain.IsCJKName(in.Name) {
		if s := domain.ChineseSurname(in.Name); s != "" {
			return in.Name
		}
	}
	// The last word with a letter: a company's number ("Co. 12") would
	// read as the end of a phone number.
	w := strings.Fields(in.Name)
	for i := len(w) - 1; i >= 0 && len(w) > 1; i-- {
		if strings.IndexFunc(w[i], unicode.IsLetter) >= 0 {
			return w[i]
		}
	}
	return in.Name
}

// managerInput drops what a sales manager may not set (financial
// identifiers are finance's), so the manager can create the customer.
func managerInput(in *domain.CustomerInput) *domain.CustomerInput {
	in.TaxID, in.BankAccount = "", ""
	return in
}

// callError describes a failed call: a transport error, or an unexpected
// status with the server's answer.
func callError(what string, status int, body []byte, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: status %d: %s", what, status, body)
}
