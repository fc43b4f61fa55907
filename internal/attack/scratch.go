package attack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"
)

// errSkipCell marks a cell that cannot be built for this caller (no such
// record can exist); skipped cells are counted and listed.
var errSkipCell = errors.New("cell not applicable")

// Scratch records are fresh records for cells that change or destroy
// what they touch, so the seeded bundles stay as they were.

func (w *World) freshPhone() string { return w.gen.Phone() }

// ScratchPerson creates a person customer owned by (and created by) owner.
func (w *World) ScratchPerson(ctx context.Context, owner *User) (string, error) {
	n := w.Next()
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers", owner.Token, map[string]any{
		"kind": "person", "name": fmt.Sprintf("Scratch Person%s", letters(n)), "phone": w.freshPhone()})
	if err != nil {
		return "", fmt.Errorf("scratch person: %w", err)
	}
	return r.ID(), nil
}

// ScratchCompany creates a company customer owned by owner.
func (w *World) ScratchCompany(ctx context.Context, owner *User) (string, error) {
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers", owner.Token, map[string]any{
		"kind": "company", "name": fmt.Sprintf("Scratch %d Ltd", w.Next())})
	if err != nil {
		return "", fmt.Errorf("scratch company: %w", err)
	}
	return r.ID(), nil
}

// ScratchContact creates a contact at a fresh company owned by owner.
func (w *World) ScratchContact(ctx context.Context, owner *User) (string, error) {
	co, err := w.ScratchCompany(ctx, owner)
	if err != nil {
		return "", err
	}
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers/"+co+"/contacts", owner.Token,
		map[string]string{"name": fmt.Sprintf("Scratch Contact%s", letters(w.Next()))})
	if err != nil {
		return "", fmt.Errorf("scratch contact: %w", err)
	}
	return r.ID(), nil
}

// scratchChild creates a record of a fresh person customer of owner.
func (w *World) scratchChild(ctx context.Context, owner *User, path string, body map[string]any) (string, error) {
	p, err := w.ScratchPerson(ctx, owner)
	if err != nil {
		return "", err
	}
	body["customer_id"] = p
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", path, owner.Token, body)
	if err != nil {
		return "", fmt.Errorf("scratch %s: %w", path, err)
	}
	return r.ID(), nil
}

// ScratchDeal creates a deal.
func (w *World) ScratchDeal(ctx context.Context, owner *User) (string, error) {
	return w.scratchChild(ctx, owner, "/api/v1/deals", map[string]any{"title": "Scratch deal", "amount": "100.00"})
}

// ScratchVisit creates a planned visit whose rep is owner.
func (w *World) ScratchVisit(ctx context.Context, owner *User) (string, error) {
	return w.scratchChild(ctx, owner, "/api/v1/visits", map[string]any{"planned_at": plannedAt()})
}

// ScratchCheckedIn creates a visit and checks in (owner must be its rep
// and may write locations).
func (w *World) ScratchCheckedIn(ctx context.Context, owner *User) (string, error) {
	id, err := w.ScratchVisit(ctx, owner)
	if err != nil {
		return "", err
	}
	if _, err := w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/visits/"+id+"/check-in", owner.Token,
		map[string]any{"lat": 30.5, "lng": 120.5, "accuracy": 10}); err != nil {
		return "", fmt.Errorf("scratch check-in: %w", err)
	}
	return id, nil
}

// ScratchNote creates a note.
func (w *World) ScratchNote(ctx context.Context, owner *User) (string, error) {
	return w.scratchChild(ctx, owner, "/api/v1/notes", map[string]any{"body": "scratch note"})
}

// ScratchTask creates a task.
func (w *World) ScratchTask(ctx context.Context, owner *User) (string, error) {
	return w.scratchChild(ctx, owner, "/api/v1/tasks", map[string]any{"title": "scratch task"})
}

func plannedAt() string { return time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339) }

// Throwaway returns a fresh signed-in user of role in team A, for cells
// that end sessions, change passwords or enroll factors.
func (w *World) Throwaway(ctx context.Context, role string) (*User, error) {
	if role == Anonymous {
		role = "sales_rep"
	}
	return w.NewUser(ctx, role, w.TeamA, true)
}

// EnrollTOTP enrolls an authenticator for u and returns the secret and
// the recovery codes.
func (w *World) EnrollTOTP(ctx context.Context, u *User) (string, []string, error) {
	r, err := w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/mfa/totp", u.Token, nil)
	if err != nil {
		return "", nil, err
	}
	var begin struct {
		Secret string `json:"secret"`
	}
	if err := r.JSON(&begin); err != nil {
		return "", nil, err
	}
	code, err := totp.GenerateCode(begin.Secret, time.Now())
	if err != nil {
		return "", nil, fmt.Errorf("totp code: %w", err)
	}
	r, err = w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/mfa/totp/confirm", u.Token, map[string]string{"code": code})
	if err != nil {
		return "", nil, err
	}
	var done struct {
		Codes []string `json:"recovery_codes"`
	}
	if err := r.JSON(&done); err != nil {
		return "", nil, err
	}
	return begin.Secret, done.Codes, nil
}

// MFAChallenge enrolls TOTP for a fresh user of role, signs in with the
// password, and returns the second-factor challenge and a recovery code.
func (w *World) MFAChallenge(ctx context.Context, role string) (string, string, error) {
	u, err := w.Throwaway(ctx, role)
	if err != nil {
		return "", "", err
	}
	_, codes, err := w.EnrollTOTP(ctx, u)
	if err != nil {
		return "", "", err
	}
	if len(codes) == 0 {
		return "", "", errors.New("no recovery codes")
	}
	r, err := w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": w.Password})
	if err != nil {
		return "", "", err
	}
	var ch struct {
		Token string `json:"mfa_token"`
	}
	if err := r.JSON(&ch); err != nil || ch.Token == "" {
		return "", "", fmt.Errorf("no mfa_token in %s", clipBytes(r.Body, 200))
	}
	return ch.Token, codes[0], nil
}

// sessionID returns the session id inside a session token (cs1.ID.secret).
func sessionID(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// ScratchRole creates a custom role (as the initial administrator).
func (w *World) ScratchRole(ctx context.Context) (string, error) {
	name := fmt.Sprintf("attack_role_%d", w.Next())
	if _, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/roles", w.Admin0,
		map[string]any{"name": name, "scope": "own", "functions": []string{"customers.read"}}); err != nil {
		return "", err
	}
	return name, nil
}

// ScratchTerritory creates a territory.
func (w *World) ScratchTerritory(ctx context.Context) (string, error) {
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/territories", w.Admin0,
		map[string]any{"name": fmt.Sprintf("Attack T%d", w.Next()), "regions": []map[string]string{{"province": "浙江省"}}})
	if err != nil {
		return "", err
	}
	return r.ID(), nil
}

// ScratchToken creates an API token for u and returns its id.
func (w *World) ScratchToken(ctx context.Context, u *User) (string, error) {
	scope := "customers:read"
	if u.Role == "auditor" {
		scope = "audit:read"
	}
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/tokens", u.Token,
		map[string]any{"name": "attack", "scopes": []string{scope}})
	if err != nil {
		return "", err
	}
	return r.ID(), nil
}

func totpNow(secret string) (string, error) {
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		return "", fmt.Errorf("totp code: %w", err)
	}
	return code, nil
}
