package policy

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// DefaultStepUpWindow is how long after proving who they are (signing in
// or stepping up) a user may take sensitive actions without doing it
// again.
const DefaultStepUpWindow = 5 * time.Minute

// RequireFresh returns the actor in ctx if they proved who they are within
// window before now; otherwise it answers step_up_required, which clients
// act on by calling POST /api/v1/auth/step-up and retrying. Every
// sensitive action calls it after its function check: revealing an
// unmasked field, exporting, changing roles or permissions, disabling
// users, managing tokens, second factors or keys.
//
// The system actor (operator commands, jobs) is always fresh. An API token
// is never stepped up: it was created under step-up, reaches only the
// scopes named then, and expires; its use of a sensitive function is
// governed by those scopes (token, second-factor and password management
// are refused to tokens altogether, see RequireSession).
func RequireFresh(ctx context.Context, now time.Time, window time.Duration) (*domain.Actor, error) {
	a, err := Actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.System || a.TokenID != "" {
		return a, nil
	}
	if window <= 0 {
		window = DefaultStepUpWindow
	}
	if a.AuthTime.IsZero() || now.Sub(a.AuthTime) > window {
		return nil, domain.StepUpRequired("confirm it is you: step up at POST /api/v1/auth/step-up, then retry")
	}
	return a, nil
}

// Fresh reports whether the actor proved who they are within window
// before now (the system actor and API tokens count as fresh, see
// RequireFresh).
func Fresh(a *domain.Actor, now time.Time, window time.Duration) bool {
	if a == nil {
		return false
	}
	if a.System || a.TokenID != "" {
		return true
	}
	if window <= 0 {
		window = DefaultStepUpWindow
	}
	return !a.AuthTime.IsZero() && now.Sub(a.AuthTime) <= window
}

// RequireSession refuses API tokens: managing one's credentials (tokens,
// second factors, password) and sessions is done by a person in a
// session, never by an integration.
func RequireSession(a *domain.Actor) error {
	if a.TokenID != "" {
		return domain.Forbidden("API tokens may not manage credentials; sign in instead")
	}
	return nil
}

// RegionCovers reports whether an address in province and city lies in
// one of regions (a region without a city covers its whole province).
func RegionCovers(regions []domain.Region, province, city string) bool {
	if province == "" {
		return false
	}
	for _, r := range regions {
		if r.Province == province && (r.City == "" || r.City == city) {
			return true
		}
	}
	return false
}
