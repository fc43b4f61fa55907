package domain

import (
	"strconv"
	"time"
)

// NotificationKind says what a notification is about.
type NotificationKind string

// Notification kinds.
const (
	// NoticeReturnWarning: your customer returns to the pool at return_at
	// unless followed up (params return_at, days).
	NoticeReturnWarning NotificationKind = "pool.return_warning"
	// NoticeReturned: your customer went back to the pool without a
	// follow-up.
	NoticeReturned NotificationKind = "pool.returned"
	// NoticeAssigned: a manager gave you a customer (params by).
	NoticeAssigned NotificationKind = "pool.assigned"
	// NoticeReclaimed: a manager took your customer back into the pool
	// (params by).
	NoticeReclaimed NotificationKind = "pool.reclaimed"
	// NoticeTransferRequest: a rep whose new customer duplicates this one
	// asks for it (params requester_id, field).
	NoticeTransferRequest NotificationKind = "pool.transfer_request"
)

// Notification is one entry of a user's inbox: a kind, the record it is
// about and parameters. It never holds personal data: the parameters are
// ids, field names, times and numbers, set by the constructors below.
type Notification struct {
	ID        ID
	UserID    ID
	Kind      NotificationKind
	RecordID  ID
	Params    map[string]string
	CreatedAt time.Time
	ReadAt    time.Time
}

// NotificationFilter selects a user's notifications, newest first.
type NotificationFilter struct {
	UserID     ID
	UnreadOnly bool
	Cursor     ID
	Limit      int
}

func newNotice(user ID, kind NotificationKind, record ID, at time.Time, params map[string]string) *Notification {
	if params == nil {
		params = map[string]string{}
	}
	return &Notification{ID: NewIDAt(KindNotification, at), UserID: user, Kind: kind, RecordID: record,
		Params: params, CreatedAt: at.UTC()}
}

// NewReturnWarning warns owner that customer returns to the pool at
// returnAt unless followed up.
func NewReturnWarning(owner, customer ID, returnAt, at time.Time) *Notification {
	days := int(returnAt.Sub(at).Hours()/24 + 0.5)
	return newNotice(owner, NoticeReturnWarning, customer, at, map[string]string{
		"return_at": returnAt.UTC().Format(time.RFC3339), "days": strconv.Itoa(max(days, 0)),
	})
}

// NewReturnedNotice tells owner that customer went back to the pool.
func NewReturnedNotice(owner, customer ID, at time.Time) *Notification {
	return newNotice(owner, NoticeReturned, customer, at, nil)
}

// NewAssignedNotice tells owner that manager gave them customer.
func NewAssignedNotice(owner, customer, manager ID, at time.Time) *Notification {
	return newNotice(owner, NoticeAssigned, customer, at, map[string]string{"by": string(manager)})
}

// NewReclaimedNotice tells owner that manager took customer back.
func NewReclaimedNotice(owner, customer, manager ID, at time.Time) *Notification {
	return newNotice(owner, NoticeReclaimed, customer, at, map[string]string{"by": string(manager)})
}

// NewTransferRequest asks manager to consider giving customer to
// requester, whose new customer has the same field.
func NewTransferRequest(manager, customer, requester ID, field string, at time.Time) *Notification {
	return newNotice(manager, NoticeTransferRequest, customer, at, map[string]string{
		"requester_id": string(requester), "field": field,
	})
}
