package domain

// UnreadableReason says why a record's stored data failed its integrity
// check: a sealed field or its data key does not authenticate. Either
// means the stored bytes were changed (tampering, or a corrupted disk);
// the record is then served as unreadable — its id and this reason, no
// data — while every other record keeps being served.
type UnreadableReason string

// Unreadable reasons.
const (
	// UnreadableField: a sealed field fails authentication (AES-GCM).
	UnreadableField UnreadableReason = "sealed_field_fails_authentication"
	// UnreadableKey: the record's data key does not unwrap under the
	// master key it names.
	UnreadableKey UnreadableReason = "data_key_does_not_unwrap"
)

// CodeUnreadable: the record's stored data failed its integrity check.
const CodeUnreadable Code = "unreadable"

// Unreadable is the error for one record whose stored data failed its
// integrity check.
func Unreadable(what string, why UnreadableReason) *Error {
	return &Error{Code: CodeUnreadable, Message: "the " + what + "'s stored data failed its integrity check (" + string(why) +
		"); it has been reported (custos doctor lists such records)"}
}

// IntegrityProblem is one stored record whose sealed data fails its
// integrity check, as custos doctor reports it: ids and field names,
// never values.
type IntegrityProblem struct {
	Kind     string // customer, contact, visit, note, task
	ID       ID
	Customer ID     // the customer the record belongs to
	Field    string // the field that fails; "" when the data key does not unwrap
	Reason   UnreadableReason
}
