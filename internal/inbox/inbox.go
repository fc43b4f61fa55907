// Package inbox is the notification inbox service: each user's
// notifications (a kind, the record it is about, parameters — ids, field
// names, times, never personal data), listed newest first and marked
// read. Other services write notifications with the changes that cause
// them, through their own stores; this one only reads and marks them,
// and only the signed-in user's own.
package inbox

import (
	"context"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// Store holds the inboxes.
type Store interface {
	ListNotifications(ctx context.Context, f domain.NotificationFilter) (domain.Page[*domain.Notification], error)
	// MarkNotificationRead marks user's notification id read at at;
	// another user's, or none, is not found.
	MarkNotificationRead(ctx context.Context, user, id domain.ID, at time.Time) error
}

// Deps are what the service is built on; every one is required.
type Deps struct {
	Notifications Store
}

// Options tune the service.
type Options struct {
	Now func() time.Time
}

// Service reads and marks the signed-in user's notifications.
type Service struct {
	store Store
	now   func() time.Time
}

// New returns the inbox service over d.
func New(d Deps, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: d.Notifications, now: o.Now}
}

// List returns a page of the caller's notifications, newest first; only
// unread ones with unreadOnly.
//
// Authorization: any signed-in user, their own inbox only (the system
// has none).
func (s *Service) List(ctx context.Context, unreadOnly bool, cursor domain.ID, limit int) (domain.Page[*domain.Notification], error) {
	a, err := policy.Actor(ctx)
	if err != nil {
		return domain.Page[*domain.Notification]{}, err
	}
	if a.System {
		return domain.Page[*domain.Notification]{}, nil
	}
	return s.store.ListNotifications(ctx, domain.NotificationFilter{UserID: a.UserID, UnreadOnly: unreadOnly, Cursor: cursor, Limit: limit})
}

// MarkRead marks one of the caller's notifications read. Another user's
// notification is not found, exactly like one that does not exist.
func (s *Service) MarkRead(ctx context.Context, id domain.ID) error {
	a, err := policy.Actor(ctx)
	if err != nil {
		return err
	}
	if a.System {
		return domain.NotFound("notification")
	}
	return s.store.MarkNotificationRead(ctx, a.UserID, id, s.now().UTC())
}
