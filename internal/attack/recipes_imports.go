package attack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// importRecipes adds the import routes: an upload (a raw CSV body), an
// import's progress and its report. Only roles with customers.import may
// use them; an import is its starter's alone.
func importRecipes(m map[string]*Recipe, fn func(domain.Function, int) Rule) {
	m["POST /api/v1/imports/{kind}"] = &Recipe{Rule: fn(domain.FnCustomersImport, http.StatusAccepted),
		Query: map[string]string{"owner_id": "usr_x", "dry_run": "true"},
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/imports/customers", Body: importFile(w, false), ContentType: "text/csv"}, nil
		}}
	m["GET /api/v1/imports/{id}"] = &Recipe{Rule: fn(domain.FnCustomersImport, http.StatusOK),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			id, err := w.importAsAdmin(ctx, false) // the matrix's administrator: an import is its starter's
			return Request{Path: "/api/v1/imports/" + id}, err
		}}
	m["GET /api/v1/imports/{id}/report"] = &Recipe{Rule: fn(domain.FnCustomersImport, http.StatusOK),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			id, err := w.importAsAdmin(ctx, true)
			return Request{Path: "/api/v1/imports/" + id + "/report"}, err
		}}
}

// importFile is a small customers file with fresh names; refused adds a
// row with a cell too many, so the import is refused and has a report.
func importFile(w *World, refused bool) []byte {
	n := w.Next()
	b := fmt.Appendf(nil, "name,industry\nImported %d,retail\n", n)
	if refused {
		b = fmt.Appendf(b, "Refused %d,retail,a cell too many\n", n)
	}
	return b
}

// importAsAdmin runs an import as the matrix's administrator (whose
// cells expect to read it: an import is its starter's alone) to its end
// and returns its id.
func (w *World) importAsAdmin(ctx context.Context, refused bool) (string, error) {
	w.importMu.Lock()
	defer w.importMu.Unlock()
	var r *Response
	var err error
	// The server bounds the imports running at once: other cells may be
	// importing, so a 429 waits and tries again.
	for wait := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		r, err = w.c.Send(ctx, "POST", w.Actors[domain.RoleAdmin].Token, Request{Path: "/api/v1/imports/customers", Body: importFile(w, refused), ContentType: "text/csv"})
		if err != nil {
			return "", err
		}
		if r.Status != http.StatusTooManyRequests || time.Now().After(wait) {
			break
		}
	}
	if r.Status != http.StatusAccepted {
		return "", fmt.Errorf("start an import: %d", r.Status)
	}
	var imp struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(r.Body, &imp); err != nil {
		return "", err
	}
	deadline := time.Now().Add(time.Minute)
	for imp.State == "validating" || imp.State == "writing" {
		if time.Now().After(deadline) {
			return "", errors.New("the import did not end")
		}
		time.Sleep(50 * time.Millisecond)
		r, err := w.c.Do(ctx, "GET", "/api/v1/imports/"+imp.ID, w.Actors[domain.RoleAdmin].Token, nil)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(r.Body, &imp); err != nil {
			return "", err
		}
	}
	return imp.ID, nil
}
