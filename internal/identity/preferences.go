package identity

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Locales are the languages Custos speaks.
var Locales = []string{"en", "zh-CN"}

// Preferences are a user's own settings for the web UI. Empty means "as
// the browser says" (the language from Accept-Language, the zone the
// language's default: Asia/Shanghai for zh-CN, UTC for en).
type Preferences struct {
	Locale   *string `json:"locale"`
	TimeZone *string `json:"time_zone"`
}

// SetPreferences changes the caller's own language and time zone.
//
// Authorization: any signed-in person (pending steps allowed: a user
// who must change their password may still pick a language). Errors:
// invalid (locale or time_zone named).
func (s *Service) SetPreferences(ctx context.Context, p *Preferences) (*domain.User, error) {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	if a.System {
		return nil, domain.Invalid("", "the system has no preferences")
	}
	var up domain.UserUpdate
	var fields []string
	if p.Locale != nil {
		if *p.Locale != "" && !validLocale(*p.Locale) {
			return nil, domain.Invalid("locale", "locale must be one of %v, or empty for the browser's", Locales)
		}
		up.Locale = p.Locale
		fields = append(fields, "locale")
	}
	if p.TimeZone != nil {
		if *p.TimeZone != "" {
			if len(*p.TimeZone) > 64 {
				return nil, domain.Invalid("time_zone", "time_zone is too long")
			}
			if _, err := time.LoadLocation(*p.TimeZone); err != nil || *p.TimeZone == "Local" {
				return nil, domain.Invalid("time_zone", "time_zone must be an IANA zone such as Asia/Shanghai")
			}
		}
		up.TimeZone = p.TimeZone
		fields = append(fields, "time_zone")
	}
	if len(fields) == 0 {
		return nil, domain.Invalid("", "nothing to change")
	}
	ev := domain.NewAuditEvent(ctx, s.now().UTC(), domain.ActionUserUpdate, "user", string(a.UserID))
	ev.Fields = fields
	if err := s.users.UpdateUser(ctx, a.UserID, up, ev); err != nil {
		return nil, err
	}
	return s.users.GetUser(ctx, a.UserID)
}

func validLocale(l string) bool {
	for _, x := range Locales {
		if l == x {
			return true
		}
	}
	return false
}
