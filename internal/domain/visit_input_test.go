package domain

import (
	"testing"
	"time"
)

func TestVisitTransitions(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	lat, lng := 22.54, 114.05
	here := &LocationInput{Lat: &lat, Lng: &lng}
	v, changed, err := NewVisit(&VisitInput{CustomerID: NewIDAt(KindCustomer, at), PlannedAt: "2026-03-01T10:00:00+08:00", Notes: "带样品"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != VisitPlanned || !v.PlannedAt.Equal(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)) || len(changed) != 2 {
		t.Fatalf("new visit: %+v changed %v", v, changed)
	}
	if _, err := v.CheckOut(&CheckOutInput{Lat: &lat, Lng: &lng}, at); ErrorCode(err) != CodeConflict {
		t.Fatalf("check-out of a planned visit: %v", err)
	}
	if _, err := v.CheckIn(here, at); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CheckIn(here, at); ErrorCode(err) != CodeConflict {
		t.Fatalf("second check-in: %v", err)
	}
	planned := VisitPlanned
	cancelled := VisitCancelled
	completed := VisitCompleted
	newTime := "2026-03-02T10:00:00Z"
	for name, p := range map[string]*VisitPatch{
		"cancel after check-in":   {Status: &cancelled},
		"move after check-in":     {PlannedAt: &newTime},
		"complete through status": {Status: &completed},
	} {
		before := *v
		if _, err := p.Apply(v); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if v.Status != before.Status || !v.PlannedAt.Equal(before.PlannedAt) {
			t.Errorf("%s: visit changed on error", name)
		}
	}
	outcome := "客户同意续约"
	if _, err := (&VisitPatch{CheckOutNotes: &outcome}).Apply(v); ErrorCode(err) != CodeConflict {
		t.Fatalf("outcome notes before check-out: %v", err)
	}
	changed, err = v.CheckOut(&CheckOutInput{Lat: &lat, Lng: &lng, Notes: &outcome}, at.Add(time.Hour))
	// The outcome notes sit beside the planning notes; they never replace them.
	if err != nil || v.Status != VisitCompleted || v.CheckOutNotes != outcome || v.Notes != "带样品" || len(changed) != 3 || changed[2] != "check_out_notes" {
		t.Fatalf("check-out: %v %+v %v", err, v, changed)
	}
	corrected := "客户同意续约两年"
	if ch, err := (&VisitPatch{CheckOutNotes: &corrected}).Apply(v); err != nil || v.CheckOutNotes != corrected || len(ch) != 1 {
		t.Fatalf("correcting outcome notes: %v %v", err, ch)
	}
	w, _, _ := NewVisit(&VisitInput{CustomerID: NewIDAt(KindCustomer, at), PlannedAt: newTime})
	if ch, err := (&VisitPatch{Status: &cancelled}).Apply(w); err != nil || w.Status != VisitCancelled || len(ch) != 1 {
		t.Fatalf("cancel: %v %v", err, ch)
	}
	if _, err := (&VisitPatch{Status: &planned}).Apply(w); err != nil || w.Status != VisitPlanned {
		t.Fatalf("reinstate: %v", err)
	}
}

func TestNewDealRules(t *testing.T) {
	cid := NewIDAt(KindCustomer, time.Now())
	amount := AmountInput("100.50")
	d, changed, err := NewDeal(&DealInput{CustomerID: cid, Title: " Renewal ", Amount: &amount})
	if err != nil || d.Currency != "CNY" || d.AmountMinor != 10050 || d.Stage != StageQualification || d.Title != "Renewal" {
		t.Fatalf("NewDeal: %+v %v", d, err)
	}
	if len(changed) != 2 { // title, amount
		t.Fatalf("changed = %v", changed)
	}
	jpy := "JPY"
	if _, err := (&DealPatch{Currency: &jpy}).Apply(d); ErrorCode(err) != CodeInvalid {
		t.Fatalf("currency change without amount: %v", err)
	}
	whole := AmountInput("15000")
	if ch, err := (&DealPatch{Currency: &jpy, Amount: &whole}).Apply(d); err != nil || d.AmountMinor != 15000 || len(ch) != 2 {
		t.Fatalf("currency change with amount: %v %+v %v", err, d, ch)
	}
	for field, in := range map[string]*DealInput{
		"customer_id":    {Title: "x"},
		"title":          {CustomerID: cid},
		"stage":          {CustomerID: cid, Title: "x", Stage: "closed"},
		"expected_close": {CustomerID: cid, Title: "x", ExpectedClose: "2026-02-30"},
		"currency":       {CustomerID: cid, Title: "x", Currency: "BTC"},
		"owner_id":       {CustomerID: cid, Title: "x", OwnerID: cid},
	} {
		_, _, err := NewDeal(in)
		if de := AsError(err); de.Code != CodeInvalid || de.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}
