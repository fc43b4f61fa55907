package jsonapi_test

import (
	"math"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jsonapi"
)

// decodeOrInvalid decodes body strictly into v; any failure must be an
// invalid-input error (a 400), never a panic or an internal error.
func decodeOrInvalid(t *testing.T, body []byte, v any) bool {
	t.Helper()
	err := jsonapi.DecodeStrict(body, v)
	if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("decode %q: %v", body, err)
	}
	return err == nil
}

func FuzzDealInput(f *testing.F) {
	for _, s := range []string{
		`{"customer_id":"cus_01jq0000000000000000000000","title":"Q3 order","amount":"12345.67","currency":"CNY","stage":"won","expected_close":"2026-12-31"}`,
		`{"customer_id":"cus_01jq0000000000000000000000","title":"x","amount":12.5,"currency":"jpy"}`,
		`{"customer_id":"cus_01jq0000000000000000000000","title":"x","amount":-1}`,
		`{"title":"x","amount":1e400}`, `{"amount":true}`, `{"amount":"0.001","currency":"KWD"}`, `[]`, `{"stage":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in domain.DealInput
		if !decodeOrInvalid(t, body, &in) {
			return
		}
		d, _, err := domain.NewDeal(&in)
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("NewDeal: %v", err)
			}
			return
		}
		checkDeal(t, d)
		var p domain.DealPatch
		if !decodeOrInvalid(t, body, &p) {
			return
		}
		before := *d
		if _, err := p.Apply(d); err != nil {
			if domain.ErrorCode(err) != domain.CodeInvalid || d.AmountMinor != before.AmountMinor || d.Currency != before.Currency || d.Title != before.Title {
				t.Fatalf("failed patch %v changed the deal or failed oddly", err)
			}
			return
		}
		checkDeal(t, d)
	})
}

func checkDeal(t *testing.T, d *domain.Deal) {
	t.Helper()
	if cur, err := domain.NormalizeCurrency("currency", d.Currency); err != nil || cur != d.Currency {
		t.Fatalf("accepted currency %q", d.Currency)
	}
	if d.AmountMinor < 0 || d.AmountMinor > domain.MaxAmountMajor*int64(math.Pow10(domain.CurrencyDigits(d.Currency))) {
		t.Fatalf("accepted amount %d", d.AmountMinor)
	}
	if back, err := domain.ParseAmount("amount", domain.FormatAmount(d.AmountMinor, d.Currency), d.Currency); err != nil || back != d.AmountMinor {
		t.Fatalf("amount %d does not round-trip", d.AmountMinor)
	}
	if !domain.ValidDealStage(d.Stage) || d.Title == "" || !domain.ValidID(domain.KindCustomer, string(d.CustomerID)) {
		t.Fatalf("accepted deal %+v", d)
	}
	if d.OwnerID != "" && !domain.ValidID(domain.KindUser, string(d.OwnerID)) {
		t.Fatalf("accepted owner %q", d.OwnerID)
	}
	if d.ExpectedClose != "" {
		if _, err := time.Parse(time.DateOnly, d.ExpectedClose); err != nil {
			t.Fatalf("accepted expected_close %q", d.ExpectedClose)
		}
	}
}

func FuzzVisitInput(f *testing.F) {
	for _, s := range []string{
		`{"customer_id":"cus_01jq0000000000000000000000","planned_at":"2026-06-01T10:00:00+08:00","notes":"plan"}`,
		`{"lat":22.5431,"lng":114.0579,"accuracy":12}`,
		`{"lat":91,"lng":0}`, `{"lat":"x"}`, `{"lat":1e309,"lng":0}`, `{"lat":-0,"lng":-180,"notes":"done"}`,
		`{"planned_at":"0000-01-01T00:00:00Z"}`, `{"status":"cancelled","rep_id":"usr_01jq0000000000000000000000"}`,
	} {
		f.Add([]byte(s))
	}
	at := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var in domain.VisitInput
		if decodeOrInvalid(t, body, &in) {
			v, _, err := domain.NewVisit(&in)
			if err != nil && domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("NewVisit: %v", err)
			}
			if err == nil && (v.Status != domain.VisitPlanned || v.PlannedAt.IsZero() || v.PlannedAt.Location() != time.UTC) {
				t.Fatalf("accepted visit %+v", v)
			}
		}
		v := &domain.Visit{Status: domain.VisitPlanned, PlannedAt: at}
		var p domain.VisitPatch
		if decodeOrInvalid(t, body, &p) {
			if _, err := p.Apply(v); err == nil && v.Status != domain.VisitPlanned && v.Status != domain.VisitCancelled {
				t.Fatalf("a patch moved a visit to %s", v.Status)
			}
			v.Status = domain.VisitPlanned
		}
		var loc domain.LocationInput
		if decodeOrInvalid(t, body, &loc) {
			if _, err := v.CheckIn(&loc, at); err == nil {
				checkLocation(t, v.CheckInLoc)
			} else if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("check-in: %v", err)
			}
		}
		var out domain.CheckOutInput
		if decodeOrInvalid(t, body, &out) && v.Status == domain.VisitCheckedIn {
			if _, err := v.CheckOut(&out, at); err == nil {
				checkLocation(t, v.CheckOutLoc)
			} else if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("check-out: %v", err)
			}
		}
	})
}

func checkLocation(t *testing.T, l *domain.Location) {
	t.Helper()
	if l == nil || !(l.Lat >= -90 && l.Lat <= 90 && l.Lng >= -180 && l.Lng <= 180 && l.Accuracy >= 0 && l.Accuracy <= domain.MaxAccuracy) {
		t.Fatalf("accepted location %+v", l)
	}
}
