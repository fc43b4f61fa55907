package attack

import (
	"context"
	"fmt"
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
)

// Recipes for the customer pool, transfer requests and the notification
// inbox. Pool customers are fresh scratch customers reclaimed into the
// pool of team A (RelTeam: every actor's team) or team B (RelOther) by
// the initial administrator.

// roomyPool lifts team A's pool limits so that the actors, who own many
// scratch customers, may still claim.
func (w *World) roomyPool(ctx context.Context) error {
	_, err := w.c.Expect(ctx, http.StatusOK, "PUT", "/api/v1/teams/"+w.TeamA+"/pool-settings", w.Admin0,
		map[string]int{"daily_claims": 1000, "max_owned": 100000, "return_days": 30, "warn_days": 3})
	return err
}

// ScratchPooled puts a fresh customer into the pool of team A (rel team)
// or team B (rel other) and returns its id.
func (w *World) ScratchPooled(ctx context.Context, rel Relation) (string, error) {
	owner := w.Mate
	if rel == RelOther {
		owner = w.RepB
	}
	id, err := w.ScratchPerson(ctx, owner)
	if err != nil {
		return "", err
	}
	if _, err := w.c.Expect(ctx, http.StatusNoContent, "POST", "/api/v1/customers/"+id+"/reclaim", w.Admin0, nil); err != nil {
		return "", fmt.Errorf("reclaim into the pool: %w", err)
	}
	return id, nil
}

// scratchNotification gives user a fresh notification (a pool customer
// assigned to them) and returns its id.
func (w *World) scratchNotification(ctx context.Context, u *User) (string, error) {
	id, err := w.ScratchPooled(ctx, RelTeam)
	if err != nil {
		return "", err
	}
	if _, err := w.c.Expect(ctx, http.StatusNoContent, "POST", "/api/v1/pool/customers/"+id+"/assign", w.Admin0,
		map[string]string{"owner_id": u.ID}); err != nil {
		return "", fmt.Errorf("assign: %w", err)
	}
	r, err := w.c.Expect(ctx, http.StatusOK, "GET", "/api/v1/notifications?limit=1", u.Token, nil)
	if err != nil {
		return "", err
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := r.JSON(&page); err != nil {
		return "", fmt.Errorf("the new notification of %s: %w", u.Email, err)
	}
	if len(page.Items) == 0 {
		return "", fmt.Errorf("no new notification of %s", u.Email)
	}
	return page.Items[0].ID, nil
}

func poolRecipes(m map[string]*Recipe) {
	poolRels := []Relation{RelTeam, RelOther}
	poolRule := func(f domain.Function, ok int) Rule { return Rule{Fn: f, Scoped: true, Pool: true, OK: ok} }
	pooled := func(suffix string, body func(w *World) any) func(context.Context, *World, Cell) (Request, error) {
		return func(ctx context.Context, w *World, c Cell) (Request, error) {
			if err := w.roomyPool(ctx); err != nil {
				return Request{}, err
			}
			id, err := w.ScratchPooled(ctx, c.Rel)
			if err != nil {
				return Request{}, err
			}
			r := Request{Path: "/api/v1/pool/customers/" + id + suffix}
			if body != nil {
				r.Body = body(w)
			}
			return r, nil
		}
	}

	m["GET /api/v1/pool/customers"] = &Recipe{Rule: Rule{Fn: domain.FnPoolClaim, OK: http.StatusOK},
		Query: map[string]string{"cursor": "", "limit": "10"},
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			if _, err := w.ScratchPooled(ctx, RelTeam); err != nil {
				return Request{}, err
			}
			return Request{Path: "/api/v1/pool/customers?limit=200"}, nil
		}}
	m["POST /api/v1/pool/customers/{id}/claim"] = &Recipe{Rule: poolRule(domain.FnPoolClaim, http.StatusOK), Relations: poolRels,
		Build: pooled("/claim", nil)}
	m["POST /api/v1/pool/customers/{id}/assign"] = &Recipe{Rule: poolRule(domain.FnPoolManage, http.StatusNoContent), Relations: poolRels,
		Build: pooled("/assign", func(w *World) any { return map[string]string{"owner_id": w.Mate.ID} })}
	m["POST /api/v1/customers/{id}/release"] = &Recipe{Rule: Rule{Fn: domain.FnPoolClaim, Scoped: true, OwnerOnly: true, OK: http.StatusNoContent},
		Relations: AllRelations, Records: true, Build: scratch((*World).ScratchPerson, under2("/api/v1/customers/", "/release"), nil)}
	m["POST /api/v1/customers/{id}/reclaim"] = &Recipe{Rule: Rule{Fn: domain.FnPoolManage, Scoped: true, OK: http.StatusNoContent},
		Relations: AllRelations, Records: true, Build: scratch((*World).ScratchPerson, under2("/api/v1/customers/", "/reclaim"), nil)}
	// A reference is the caller's own answer to a duplicate: the suite
	// sends a forged one, which every caller allowed to ask must see
	// refused (400), the others forbidden.
	m["POST /api/v1/pool/transfer-requests"] = &Recipe{Rule: Rule{Fn: domain.FnCustomersCreate, OK: http.StatusBadRequest},
		Build: fixed("/api/v1/pool/transfer-requests", map[string]string{"reference": "dr1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})}
	// Every actor is a member of team A, and members read their team's
	// pool rules.
	m["GET /api/v1/teams/{id}/pool-settings"] = &Recipe{Rule: Rule{OK: http.StatusOK},
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/teams/" + w.TeamA + "/pool-settings"}, nil
		}}
	m["PUT /api/v1/teams/{id}/pool-settings"] = &Recipe{Rule: Rule{Fn: domain.FnPoolManage, OK: http.StatusOK},
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/teams/" + w.TeamA + "/pool-settings",
				Body: map[string]int{"daily_claims": 1000, "max_owned": 100000, "return_days": 30, "warn_days": 3}}, nil
		}}
	m["GET /api/v1/notifications"] = &Recipe{Rule: Rule{OK: http.StatusOK},
		Query: map[string]string{"unread": "true", "cursor": "", "limit": "10"}, Build: fixed("/api/v1/notifications", nil)}
	m["POST /api/v1/notifications/{id}/read"] = &Recipe{Rule: Rule{OwnerOnly: true, OK: http.StatusNoContent},
		Relations: []Relation{RelOwn, RelOther},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			u := w.Actors[actorRole(c)]
			if c.Rel == RelOther {
				u = w.RepB
			}
			id, err := w.scratchNotification(ctx, u)
			return Request{Path: "/api/v1/notifications/" + id + "/read"}, err
		}}
}
