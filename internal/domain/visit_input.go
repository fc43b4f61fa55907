package domain

import "time"

// VisitInput is everything a client may set when planning a visit.
type VisitInput struct {
	CustomerID ID     `json:"customer_id"`
	RepID      ID     `json:"rep_id"`
	PlannedAt  string `json:"planned_at"` // RFC 3339
	Notes      string `json:"notes"`
}

// VisitPatch is a partial update of a visit. Status may only move between
// planned and cancelled here; check-in and check-out have their own
// actions. Notes are the planning notes; the outcome notes given at
// check-out (check_out_notes) may be corrected once the visit is
// completed.
type VisitPatch struct {
	RepID         *ID          `json:"rep_id"`
	PlannedAt     *string      `json:"planned_at"`
	Status        *VisitStatus `json:"status"`
	Notes         *string      `json:"notes"`
	CheckOutNotes *string      `json:"check_out_notes"`
}

// CheckOutInput is the body of a check-out: where the rep is and, if
// they like, the outcome notes (kept beside the planning notes, never
// over them).
type CheckOutInput struct {
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
	Accuracy *float64 `json:"accuracy"`
	Notes    *string  `json:"notes"`
}

// begun reports whether the rep has checked in.
func (v *Visit) begun() bool {
	return v.Status == VisitCheckedIn || v.Status == VisitCompleted
}

// Apply validates the patch onto v and returns the names of the fields it
// changed. On error v is unchanged.
func (p *VisitPatch) Apply(v *Visit) ([]string, error) {
	next := *v
	var ch changes
	ch.id("rep_id", KindUser, p.RepID, &next.RepID)
	ch.time("planned_at", p.PlannedAt, &next.PlannedAt, true)
	if ch.err == nil && v.begun() && (ch.has("rep_id") || ch.has("planned_at")) {
		return nil, Conflict(ch.names[0], "the visit has begun; its rep and time can no longer change")
	}
	if ch.err == nil && p.Status != nil && *p.Status != next.Status {
		switch {
		case *p.Status == VisitCheckedIn || *p.Status == VisitCompleted:
			return nil, Invalid("status", "visits are checked in and out through check-in and check-out")
		case *p.Status != VisitPlanned && *p.Status != VisitCancelled:
			return nil, Invalid("status", "status must be planned or cancelled")
		case v.begun():
			return nil, Conflict("status", "a visit that has begun cannot be %s", *p.Status)
		}
		ch.mark("status", true)
		next.Status = *p.Status
	}
	ch.text("notes", p.Notes, &next.Notes, longText)
	if ch.err == nil && p.CheckOutNotes != nil && v.Status != VisitCompleted {
		return nil, Conflict("check_out_notes", "outcome notes are given at check-out; this visit is %s", v.Status)
	}
	ch.text("check_out_notes", p.CheckOutNotes, &next.CheckOutNotes, longText)
	if ch.err != nil {
		return nil, ch.err
	}
	*v = next
	return ch.names, nil
}

// NewVisit validates a create input and returns the planned visit it
// describes and the fields it sets.
func NewVisit(in *VisitInput) (*Visit, []string, error) {
	cid, err := requiredID("customer_id", KindCustomer, in.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	if in.PlannedAt == "" {
		return nil, nil, Invalid("planned_at", "planned_at is required")
	}
	v := &Visit{CustomerID: cid, Status: VisitPlanned}
	changed, err := (&VisitPatch{RepID: given(in.RepID), PlannedAt: &in.PlannedAt, Notes: given(in.Notes)}).Apply(v)
	if err != nil {
		return nil, nil, err
	}
	return v, changed, nil
}

// CheckIn records the rep's arrival at time at, where in says. Only a
// planned visit can be checked in (conflict otherwise). It returns the
// fields it changed.
func (v *Visit) CheckIn(in *LocationInput, at time.Time) ([]string, error) {
	loc, err := in.Location()
	if err != nil {
		return nil, err
	}
	if v.Status != VisitPlanned {
		return nil, Conflict("status", "only a planned visit can be checked in; this one is %s", v.Status)
	}
	v.Status, v.CheckInAt, v.CheckInLoc = VisitCheckedIn, at, loc
	return []string{"status", "location"}, nil
}

// CheckOut records the rep's departure, with optional outcome notes
// (kept as check_out_notes; the planning notes stay as they are). Only a
// checked-in visit can be checked out (conflict otherwise). It returns
// the fields it changed.
func (v *Visit) CheckOut(in *CheckOutInput, at time.Time) ([]string, error) {
	loc, err := (&LocationInput{Lat: in.Lat, Lng: in.Lng, Accuracy: in.Accuracy}).Location()
	if err != nil {
		return nil, err
	}
	if v.Status != VisitCheckedIn {
		return nil, Conflict("status", "only a checked-in visit can be checked out; this one is %s", v.Status)
	}
	changed := []string{"status", "location"}
	if in.Notes != nil {
		notes, err := longText("notes", *in.Notes)
		if err != nil {
			return nil, err
		}
		if notes != v.CheckOutNotes {
			changed = append(changed, "check_out_notes")
		}
		v.CheckOutNotes = notes
	}
	v.Status, v.CheckOutAt, v.CheckOutLoc = VisitCompleted, at, loc
	return changed, nil
}
