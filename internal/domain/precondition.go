package domain

// Precondition is what a change demands of the record it changes: that
// it is still at a version the caller has seen (HTTP If-Match). Records
// carry a version that starts at 1 and grows by one with every change.
// The zero value demands nothing: the change applies to the record as it
// is when the change is made.
type Precondition struct {
	// Any demands only that the record exists (If-Match: *).
	Any bool
	// Versions demands that the record is at one of these versions.
	Versions []int64
	// Unmatchable is set when the caller named only versions no record
	// ever has (weak or foreign entity tags): the change is refused.
	Unmatchable bool
}

// IfVersion demands version v.
func IfVersion(v int64) Precondition { return Precondition{Versions: []int64{v}} }

// IsZero reports whether p demands nothing.
func (p Precondition) IsZero() bool { return !p.Any && len(p.Versions) == 0 && !p.Unmatchable }

// Check returns nil when a record of kind at version satisfies p, and a
// precondition_failed error otherwise.
func (p Precondition) Check(kind string, version int64) error {
	if p.IsZero() || p.Any {
		return nil
	}
	for _, v := range p.Versions {
		if v == version {
			return nil
		}
	}
	return &Error{Code: CodePreconditionFailed, Field: "If-Match",
		Message: "the " + kind + " changed since the version you sent (If-Match); reload it and try again"}
}
