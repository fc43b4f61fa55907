package attack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// MatrixResult is the outcome of the access matrix.
type MatrixResult struct {
	Cells       int      // cells generated
	Tried       int      // cells sent
	Skipped     int      // cells that cannot exist (listed in Notes)
	WrongStatus int      // cells answered with another status than expected
	Leaked      int      // cells whose answer showed a forbidden value
	Uncovered   []string // routes without a recipe
	BuildErrors int      // cells whose request could not be prepared
	// ShowedData counts answers that showed seeded marker values (full or
	// masked) the caller may see: evidence the grep had data to look at.
	ShowedData int
	Failures   []string // one line per failed cell
	Notes      []string
	// Worked maps a route to a request that succeeded (2xx) and the
	// token it used: sqlmap starts from these.
	Worked map[string]WorkedRequest
}

// WorkedRequest is a request that the server accepted.
type WorkedRequest struct {
	Route RouteInfo
	Role  string
	Req   Request
	Token string
}

// RunMatrix generates the matrix from the route table and sends every
// cell, conc at a time.
func RunMatrix(ctx context.Context, log *slog.Logger, w *World, routes []RouteInfo, conc int) *MatrixResult {
	recipes := Recipes()
	cells, uncovered := GenerateCells(routes, recipes, w.Roles)
	res := &MatrixResult{Cells: len(cells), Uncovered: uncovered, Worked: map[string]WorkedRequest{}}
	for _, u := range uncovered {
		res.Failures = append(res.Failures, "route without a recipe (add one in internal/attack/recipes.go): "+u)
	}
	needles := map[string][]Needle{Anonymous: ForbiddenNeedles(nil, func(string) bool { return false }, w.Markers)}
	for name, role := range w.Roles {
		needles[name] = ForbiddenNeedles(role, w.Reaches(name), w.Markers)
	}
	for _, tc := range TokenCallers {
		needles[tc.Name()] = ForbiddenNeedles(EffectiveRole(w.Roles[tc.Role], tc.Scopes), w.Reaches(tc.Role), w.Markers)
		if _, err := w.APIToken(ctx, tc); err != nil {
			res.Failures = append(res.Failures, fmt.Sprintf("could not create %s: %v", tc.Name(), err))
		}
	}
	log.Info("access matrix", "cells", len(cells), "routes", len(routes), "markers", len(w.Markers))
	start := time.Now()
	var mu sync.Mutex
	jobs := make(chan Cell)
	var wg sync.WaitGroup
	for i := 0; i < max(conc, 1); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				out := runCell(ctx, w, recipes[c.Route.Key()], c, needles[c.Caller()])
				mu.Lock()
				res.add(c, out)
				mu.Unlock()
			}
		}()
	}
	for _, c := range cells {
		if ctx.Err() != nil {
			break
		}
		jobs <- c
	}
	close(jobs)
	wg.Wait()
	sort.Strings(res.Failures)
	log.Info("access matrix done", "tried", res.Tried, "wrong_status", res.WrongStatus, "leaked", res.Leaked,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return res
}

type cellOutcome struct {
	skipped  bool
	why      string
	buildErr error
	status   int
	body     []byte
	leaks    []Leak
	req      Request
	token    string
	showed   bool
}

// showsMarkers reports whether body holds any seeded value, in full or
// masked.
func showsMarkers(body []byte, markers []Marker) bool {
	s := string(body)
	for _, m := range markers {
		if strings.Contains(s, m.Full) || (m.Masked != "" && strings.Contains(s, m.Masked)) {
			return true
		}
	}
	return false
}

func runCell(ctx context.Context, w *World, rc *Recipe, c Cell, needles []Needle) cellOutcome {
	req, err := rc.Build(ctx, w, c)
	if errors.Is(err, errSkipCell) {
		return cellOutcome{skipped: true, why: "no such record can exist"}
	}
	if err != nil {
		return cellOutcome{buildErr: err}
	}
	token := req.Token
	if c.Token != nil {
		if token != "" {
			// The request needs a session of its own (a fresh user's):
			// there is no token of that user to send.
			return cellOutcome{skipped: true, why: "needs a session of its own"}
		}
		token = w.Tokens[c.Token.Name()]
	}
	if token == "" && c.Role != Anonymous {
		token = w.Actors[c.Role].Token
	}
	if c.Role == Anonymous {
		token = ""
	}
	r, err := w.c.Send(ctx, c.Route.Method, token, req)
	if err != nil {
		return cellOutcome{buildErr: fmt.Errorf("send: %w", err)}
	}
	return cellOutcome{status: r.Status, body: r.Body, leaks: ScanLeaks(r.Body, needles, req.Allow), req: req, token: token,
		showed: showsMarkers(r.Body, w.Markers)}
}

func (res *MatrixResult) add(c Cell, o cellOutcome) {
	switch {
	case o.skipped:
		res.Skipped++
		res.Notes = append(res.Notes, "skipped ("+o.why+"): "+c.String())
		return
	case o.buildErr != nil:
		res.BuildErrors++
		res.Failures = append(res.Failures, fmt.Sprintf("%s: could not prepare: %v", c, o.buildErr))
		return
	}
	res.Tried++
	if o.showed && len(o.leaks) == 0 {
		res.ShowedData++
	}
	if o.status != c.Want {
		res.WrongStatus++
		res.Failures = append(res.Failures, fmt.Sprintf("%s: status %d, want %d: %s", c, o.status, c.Want, clipBytes(o.body, 160)))
	}
	if len(o.leaks) > 0 {
		res.Leaked++
		for _, l := range o.leaks {
			res.Failures = append(res.Failures, fmt.Sprintf("LEAK %s (status %d): %s", c, o.status, l))
		}
	}
	if o.status >= 200 && o.status < 300 && c.Role != Anonymous && c.Token == nil {
		if prev, ok := res.Worked[c.Route.Key()]; !ok || preferForSQLMap(c.Role, prev.Role) {
			res.Worked[c.Route.Key()] = WorkedRequest{Route: c.Route, Role: c.Role, Req: o.req, Token: o.token}
		}
	}
}

// preferForSQLMap prefers requests made by roles that reach the most
// fields with write access (the injected value then goes furthest).
func preferForSQLMap(role, prev string) bool {
	rank := map[string]int{domain.RoleSalesManager: 5, domain.RoleSalesRep: 4, domain.RoleFinance: 3, domain.RoleAdmin: 2, domain.RoleService: 1}
	return rank[role] > rank[prev]
}
