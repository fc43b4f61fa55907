package attack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// SQLMapTarget is one sqlmap invocation: a request whose query
// parameters and JSON body fields sqlmap injects into, or whose id path
// segment it injects into (marked with *).
type SQLMapTarget struct {
	Route  string
	Method string
	Path   string // path and query; a * marks the path id
	Body   []byte
	Token  string
	// Params names what sqlmap should report as tested.
	Params []string
}

// SQLMapResult is what sqlmap reported for one target.
type SQLMapResult struct {
	Tested     map[string]bool // "PLACE name"
	Injectable map[string]bool
	// Dismissed counts suspicions sqlmap itself ruled out as false
	// positives.
	Dismissed int
}

var (
	sqlmapNotInjectable = regexp.MustCompile(`(?:\(custom\) )?(GET|POST|PUT|PATCH|DELETE|URI) parameter '([^']+)' does not seem to be injectable`)
	// Only sqlmap's final word counts: "appears to be … injectable" is
	// a suspicion it then confirms ("is vulnerable", the summary of
	// injection points) or dismisses as a false positive.
	sqlmapInjectable = regexp.MustCompile(`(?:\(custom\) )?(GET|POST|PUT|PATCH|DELETE|URI) parameter '([^']+)' is vulnerable`)
	sqlmapSummary    = regexp.MustCompile(`(?m)^Parameter: (.+) \(((?:custom\) )?[A-Z]+)\)?`)
	sqlmapDismissed  = regexp.MustCompile(`false positive or unexploitable injection point detected`)
)

// ParseSQLMap reads sqlmap's console output.
func ParseSQLMap(out string) SQLMapResult {
	res := SQLMapResult{Tested: map[string]bool{}, Injectable: map[string]bool{}}
	for _, m := range sqlmapNotInjectable.FindAllStringSubmatch(out, -1) {
		res.Tested[m[1]+" "+m[2]] = true
	}
	for _, m := range sqlmapInjectable.FindAllStringSubmatch(out, -1) {
		res.Tested[m[1]+" "+m[2]] = true
		res.Injectable[m[1]+" "+m[2]] = true
	}
	res.Dismissed = len(sqlmapDismissed.FindAllString(out, -1))
	if !strings.Contains(out, "identified the following injection point") {
		return res
	}
	for _, m := range sqlmapSummary.FindAllStringSubmatch(out, -1) {
		k := strings.TrimSuffix(strings.TrimPrefix(m[2], "custom) "), ")") + " " + m[1]
		res.Tested[k] = true
		res.Injectable[k] = true
	}
	return res
}

// testedName strips sqlmap's place and JSON prefix from a tested key.
func testedName(key string) string {
	_, name, _ := strings.Cut(key, " ")
	return strings.TrimPrefix(name, "JSON ")
}

// errTimeLimit marks a sqlmap run stopped at its time limit.
var errTimeLimit = errors.New("time limit reached")

// exclusiveLookups are customer list parameters that must stand alone.
var exclusiveLookups = map[string]string{"phone": "13900000000", "email": "someone@example.com", "id_number": "P1234567", "tax_id": "91350100M000100Y43"}

// sqlmapTargets builds the targets of one route from a valid request.
func sqlmapTargets(rt RouteInfo, rc *Recipe, req Request, token string, sample func(param string) string) []SQLMapTarget {
	var out []SQLMapTarget
	base := req.Path
	var existing url.Values
	pathOnly := base
	if i := strings.IndexByte(base, '?'); i >= 0 {
		pathOnly = base[:i]
		existing, _ = url.ParseQuery(base[i+1:])
	}
	var body []byte
	var bodyKeys []string
	if req.Body != nil && req.ContentType == "" {
		body, _ = json.Marshal(req.Body)
		var obj map[string]any
		if json.Unmarshal(body, &obj) == nil {
			for k := range obj {
				bodyKeys = append(bodyKeys, k)
			}
		}
	}
	// Query parameters and body fields, in one invocation.
	q := url.Values{}
	for k, v := range existing {
		q[k] = v
	}
	for k := range rc.Query {
		if _, ok := exclusiveLookups[k]; ok && rt.Key() == "GET /api/v1/customers" {
			continue
		}
		if _, ok := q[k]; !ok {
			q.Set(k, sample(k))
		}
	}
	if len(q) > 0 || len(bodyKeys) > 0 {
		t := SQLMapTarget{Route: rt.Key(), Method: rt.Method, Path: pathOnly, Body: body, Token: token}
		if len(q) > 0 {
			t.Path += "?" + q.Encode()
		}
		for k := range q {
			t.Params = append(t.Params, k)
		}
		t.Params = append(t.Params, bodyKeys...)
		sort.Strings(t.Params)
		out = append(out, t)
	}
	if rt.Key() == "GET /api/v1/customers" {
		for k, v := range exclusiveLookups {
			out = append(out, SQLMapTarget{Route: rt.Key(), Method: "GET", Path: pathOnly + "?" + k + "=" + url.QueryEscape(v), Token: token, Params: []string{k}})
		}
	}
	// The id path segment, alone (no body: ids are parsed first).
	if rt.HasPathID() {
		segs := strings.Split(pathOnly, "/")
		idx := -1
		for i, p := range strings.Split(rt.Pattern, "/") {
			if strings.HasPrefix(p, "{") {
				idx = i
			}
		}
		if idx >= 0 && idx < len(segs) {
			segs[idx] += "*"
			out = append(out, SQLMapTarget{Route: rt.Key(), Method: rt.Method, Path: strings.Join(segs, "/"), Token: token, Params: []string{"#1*"}})
		}
	}
	return out
}

// successRole returns a role (and relation) the route's recipe expects to
// succeed for — to get the route's own success answer, which for a
// recipe that sends a forged or unknown value is a 4xx — preferring
// roles that write the most.
func successRole(w *World, rc *Recipe) (string, Relation) {
	v := Variant{}
	if len(rc.Variants) > 0 {
		v = rc.Variants[0]
	}
	rels := rc.Relations
	if len(rels) == 0 {
		rels = []Relation{RelNone}
	}
	for _, name := range []string{domain.RoleSalesManager, domain.RoleSalesRep, domain.RoleAdmin, domain.RoleFinance, domain.RoleService, domain.RoleAuditor} {
		for _, rel := range rels {
			if rel == RelOwn && !canOwn(name, rc) {
				continue
			}
			if st := rc.Rule.Expect(w.Roles[name], rel, v); st == rc.Rule.OK {
				return name, rel
			}
		}
	}
	return "", RelNone
}

// runSQLMap points sqlmap at every list parameter, id path segment and
// JSON body field of the API.
func (e *env) runSQLMap(ctx context.Context, p *PartResult, srv *Server, w *World, _ *MatrixResult) {
	b := e.opts.Budget
	recipes := Recipes()
	if err := w.Relogin(ctx); err != nil {
		p.Err = err
		return
	}
	var targets []SQLMapTarget
	var login []SQLMapTarget
	for _, rt := range APIRoutes() {
		rc := recipes[rt.Key()]
		if rc == nil {
			continue
		}
		role, rel := successRole(w, rc)
		if role == "" {
			p.note("%s: no role succeeds on it; sqlmap skipped it", rt.Key())
			continue
		}
		cell := Cell{Route: rt, Role: role, Rel: rel}
		if len(rc.Variants) > 0 {
			cell.Variant = rc.Variants[0]
		}
		req, err := rc.Build(ctx, w, cell)
		if err != nil {
			p.fail("%s: could not build a valid request for sqlmap: %v", rt.Key(), err)
			continue
		}
		tok := req.Token
		if tok == "" && !rt.Public {
			tok = w.Actors[role].Token
		}
		actor := w.Actors[role]
		sample := func(param string) string {
			switch param {
			case "owner_id", "rep_id", "assignee_id", "user_id":
				return actor.ID
			case "actor":
				return actor.ID
			case "customer_id", "target":
				return w.Bundles[BundleTeam].Person
			}
			return rc.Query[param]
		}
		ts := sqlmapTargets(rt, rc, req, tok, sample)
		if rt.Key() == "POST /api/v1/auth/login" {
			login = append(login, ts...) // last: it trips the sign-in throttle
			continue
		}
		targets = append(targets, ts...)
	}
	targets = append(targets, login...)
	e.log.Info("sqlmap", "targets", len(targets), "level", b.SQLMapLevel, "risk", b.SQLMapRisk, "techniques", b.SQLMapTechniques)

	dir := filepath.Join(filepath.Dir(srv.DataDir), "sqlmap")
	var mu sync.Mutex
	tested, injectable, runs, dismissed, timedOut := 0, 0, 0, 0, 0
	conc := 4
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, t := range targets {
		if ctx.Err() != nil {
			break
		}
		if t.Route == "POST /api/v1/auth/login" {
			wg.Wait() // everything else first
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, t SQLMapTarget) {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := e.sqlmap(ctx, srv.URL, t, filepath.Join(dir, fmt.Sprintf("%03d", i)))
			res := ParseSQLMap(out)
			mu.Lock()
			defer mu.Unlock()
			runs++
			switch {
			case errors.Is(err, errTimeLimit):
				// A budget matter, not a finding: what was tested counts.
				timedOut++
				p.note("%s %s: sqlmap stopped at its time limit after testing %d of %d parameters", t.Method, clip(t.Path, 80), len(res.Tested), len(t.Params))
			case err != nil:
				p.fail("%s %s: sqlmap did not finish: %v", t.Method, clip(t.Path, 80), err)
			}
			got := map[string]bool{}
			for k := range res.Tested {
				got[testedName(k)] = true
			}
			tested += len(res.Tested)
			dismissed += res.Dismissed
			for _, want := range t.Params {
				if !got[want] {
					p.note("%s: sqlmap did not report %q as tested (%s %s)", t.Route, want, t.Method, clip(t.Path, 60))
				}
			}
			for k := range res.Injectable {
				injectable++
				p.fail("%s: sqlmap found %s injectable (%s %s)", t.Route, k, t.Method, clip(t.Path, 80))
			}
			if len(res.Tested) == 0 && !errors.Is(err, errTimeLimit) {
				p.fail("%s %s: sqlmap tested nothing: %s", t.Method, clip(t.Path, 80), clip(lastLines(out, 3), 300))
			}
		}(i, t)
	}
	wg.Wait()
	p.Checks = tested
	p.fig("parameters tested / injectable", "%d / %d", tested, injectable)
	p.fig("sqlmap runs (level/risk/techniques)", "%d (%d/%d/%s)", runs, b.SQLMapLevel, b.SQLMapRisk, b.SQLMapTechniques)
	p.fig("suspicions sqlmap dismissed itself", "%d", dismissed)
	p.fig("runs stopped at the time limit", "%d (limit %v)", timedOut, b.SQLMapTimeout)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// sqlmap runs one invocation and returns its output.
func (e *env) sqlmap(ctx context.Context, base string, t SQLMapTarget, outDir string) (string, error) {
	b := e.opts.Budget
	ctx, cancel := context.WithTimeout(ctx, b.SQLMapTimeout)
	defer cancel()
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return "", fmt.Errorf("sqlmap dir: %w", err)
	}
	args := []string{"-u", base + t.Path, "--method", t.Method, "--batch", "--disable-coloring", "--skip-waf",
		"--level", fmt.Sprint(b.SQLMapLevel), "--risk", fmt.Sprint(b.SQLMapRisk), "--technique", b.SQLMapTechniques,
		"--threads", fmt.Sprint(b.SQLMapThreads), "--time-sec", "2", "--timeout", "15", "--retries", "1",
		"--ignore-code", "401,403,404,409,429", "--output-dir", outDir, "--flush-session"}
	if t.Token != "" {
		args = append(args, "-H", "Authorization: Bearer "+t.Token)
	}
	if t.Body != nil {
		args = append(args, "--data", string(t.Body), "-H", "Content-Type: application/json")
	}
	cmd := exec.CommandContext(ctx, e.opts.SQLMap, args...) //nolint:gosec // the configured scanner against our own loopback server
	cmd.Env = append(os.Environ(), "HOME="+outDir)          // sqlmap keeps its history under HOME
	start := time.Now()
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(outDir, "sqlmap.log"), out, 0o600)
	e.log.Debug("sqlmap run", "route", t.Route, "path", clip(t.Path, 80), "elapsed", time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%w (%v)", errTimeLimit, b.SQLMapTimeout)
	}
	if err != nil {
		return string(out), fmt.Errorf("sqlmap: %w", err)
	}
	return string(out), nil
}
