package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// insertNotifications adds notifications in a write transaction (the
// move or request that causes them).
func insertNotifications(ctx context.Context, tx *Tx, notes []*domain.Notification) error {
	for _, n := range notes {
		params, err := json.Marshal(n.Params)
		if err != nil {
			return fmt.Errorf("notification params: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notifications (id, user_id, kind, record_id, params, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, string(n.ID), string(n.UserID), string(n.Kind), string(n.RecordID),
			string(params), n.CreatedAt.UnixMicro()); err != nil {
			return fmt.Errorf("insert notification: %w", err)
		}
	}
	return nil
}

func scanNotification(sc scanner) (*domain.Notification, error) {
	var n domain.Notification
	var id, user, kind, record, params string
	var created int64
	var read sql.NullInt64
	if err := sc.Scan(&id, &user, &kind, &record, &params, &created, &read); err != nil {
		return nil, err
	}
	n.ID, n.UserID, n.Kind, n.RecordID = domain.ID(id), domain.ID(user), domain.NotificationKind(kind), domain.ID(record)
	n.CreatedAt, n.ReadAt = fromMicros(sql.NullInt64{Int64: created, Valid: true}), fromMicros(read)
	if err := json.Unmarshal([]byte(params), &n.Params); err != nil {
		return nil, fmt.Errorf("notification %s params: %w", id, err)
	}
	return &n, nil
}

// ListNotifications returns a page of f.UserID's notifications, newest
// first (unread ones only with f.UnreadOnly).
func (s *Notifications) ListNotifications(ctx context.Context, f domain.NotificationFilter) (domain.Page[*domain.Notification], error) {
	var page domain.Page[*domain.Notification]
	limit := f.Limit
	if limit <= 0 || limit > domain.MaxPageSize {
		limit = domain.DefaultPageSize
	}
	where, args := []string{"user_id = ?"}, []any{string(f.UserID)}
	if f.UnreadOnly {
		where = append(where, "read_at IS NULL")
	}
	if f.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, string(f.Cursor))
	}
	args = append(args, limit+1)
	items, err := queryAll(ctx, s.DB, scanNotification, `SELECT id, user_id, kind, record_id, params, created_at, read_at
		FROM notifications WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return page, fmt.Errorf("list notifications: %w", err)
	}
	if len(items) > limit {
		items = items[:limit]
		page.NextCursor = string(items[limit-1].ID)
	}
	page.Items = items
	return page, nil
}

// MarkNotificationRead marks user's notification id read at the time
// given (a notification read before keeps its first time). Another
// user's notification, or none, is not found.
func (s *Notifications) MarkNotificationRead(ctx context.Context, user, id domain.ID, at time.Time) error {
	return s.Write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ?`,
			at.UnixMicro(), string(id), string(user))
		if err != nil {
			return fmt.Errorf("mark notification read: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return domain.NotFound("notification")
		}
		return nil
	})
}
