package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
		errPart string // "" means success
	}{
		{"12345.67", "CNY", 1234567, ""},
		{"12345.6", "CNY", 1234560, ""},
		{"12345", "CNY", 1234500, ""},
		{"0", "USD", 0, ""},
		{"0.01", "EUR", 1, ""},
		{"007.50", "USD", 750, ""},
		{"12345", "JPY", 12345, ""},
		{"1.234", "KWD", 1234, ""},
		{"10000000000000", "CNY", 1_000_000_000_000_000, ""},
		{"10000000000000.00", "CNY", 1_000_000_000_000_000, ""},
		{"10000000000000.01", "CNY", 0, "at most"},
		{"10000000000001", "JPY", 0, "at most"},
		{"99999999999999999999999", "CNY", 0, "at most"},
		{"12345.678", "CNY", 0, "at most 2 decimal places"},
		{"100.5", "JPY", 0, "whole numbers"},
		{"100.0", "JPY", 0, "whole numbers"},
		{"-1", "CNY", 0, "negative"},
		{"-0.00", "CNY", 0, "negative"},
		{"+1", "CNY", 0, "plain decimal"},
		{"1e5", "CNY", 0, "plain decimal"},
		{"1,000", "CNY", 0, "plain decimal"},
		{" 1", "CNY", 0, "plain decimal"},
		{".5", "CNY", 0, "plain decimal"},
		{"5.", "CNY", 0, "plain decimal"},
		{"", "CNY", 0, "empty"},
		{"１２", "CNY", 0, "plain decimal"}, // full-width digits
	} {
		got, err := ParseAmount("amount", tc.in, tc.cur)
		if tc.errPart == "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", tc.in, tc.cur, got, err, tc.want)
			}
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeInvalid || de.Field != "amount" || !strings.Contains(de.Message, tc.errPart) {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want invalid amount mentioning %q", tc.in, tc.cur, got, err, tc.errPart)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{1234567, "CNY", "12345.67"}, {5, "USD", "0.05"}, {0, "EUR", "0.00"}, {12345, "JPY", "12345"}, {1234, "KWD", "1.234"},
	} {
		if got := FormatAmount(tc.minor, tc.cur); got != tc.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.minor, tc.cur, got, tc.want)
		}
	}
}

func TestNormalizeCurrency(t *testing.T) {
	for in, want := range map[string]string{"CNY": "CNY", "usd": "USD", "Eur": "EUR", "JPY": "JPY"} {
		if got, err := NormalizeCurrency("currency", in); err != nil || got != want {
			t.Errorf("NormalizeCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "CN", "CNYY", "ABC", "XXX", "XAU", "XTS", "C1Y", "人民币", "cnY\x00"} {
		if _, err := NormalizeCurrency("currency", in); ErrorCode(err) != CodeInvalid {
			t.Errorf("NormalizeCurrency(%q) accepted or failed oddly: %v", in, err)
		}
	}
}

func TestAmountInputJSON(t *testing.T) {
	var v struct {
		Amount *AmountInput `json:"amount"`
	}
	for in, want := range map[string]string{`{"amount":"12.50"}`: "12.50", `{"amount":12.5}`: "12.5", `{"amount":-3}`: "-3"} {
		if err := json.Unmarshal([]byte(in), &v); err != nil || v.Amount == nil || string(*v.Amount) != want {
			t.Errorf("%s: got %v, %v; want %q", in, v.Amount, err, want)
		}
	}
	for _, in := range []string{`{"amount":true}`, `{"amount":{}}`, `{"amount":[1]}`} {
		err := json.Unmarshal([]byte(in), &v)
		var de *Error
		if !errors.As(err, &de) || de.Field != "amount" {
			t.Errorf("%s: want an invalid amount error, got %v", in, err)
		}
	}
}

func TestLocationInput(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	ok := []LocationInput{{Lat: f(22.5), Lng: f(114.05)}, {Lat: f(-90), Lng: f(180), Accuracy: f(0)}, {Lat: f(90), Lng: f(-180), Accuracy: f(MaxAccuracy)}}
	for _, in := range ok {
		if _, err := in.Location(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
	for _, tc := range []struct {
		field string
		in    LocationInput
	}{
		{"lat", LocationInput{Lng: f(1)}},
		{"lng", LocationInput{Lat: f(1)}},
		{"lat", LocationInput{Lat: f(90.0001), Lng: f(1)}},
		{"lat", LocationInput{Lat: f(-91), Lng: f(1)}},
		{"lng", LocationInput{Lat: f(1), Lng: f(-180.5)}},
		{"lng", LocationInput{Lat: f(1), Lng: f(181)}},
		{"accuracy", LocationInput{Lat: f(1), Lng: f(1), Accuracy: f(-1)}},
		{"accuracy", LocationInput{Lat: f(1), Lng: f(1), Accuracy: f(MaxAccuracy + 1)}},
	} {
		_, err := tc.in.Location()
		var de *Error
		if !errors.As(err, &de) || de.Code != CodeInvalid || de.Field != tc.field {
			t.Errorf("%+v: want invalid %s, got %v", tc.in, tc.field, err)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12345.67", "0", "1e5", "-1", "10000000000000", "0.001", "00000000000000000001.5", ".", ""} {
		f.Add(s, "CNY")
		f.Add(s, "JPY")
	}
	f.Add("1.234", "KWD")
	f.Fuzz(func(t *testing.T, s, cur string) {
		code, err := NormalizeCurrency("currency", cur)
		if err != nil {
			return
		}
		v, err := ParseAmount("amount", s, code)
		if err != nil {
			if ErrorCode(err) != CodeInvalid {
				t.Fatalf("ParseAmount(%q, %s): non-invalid error %v", s, code, err)
			}
			return
		}
		if v < 0 || v > MaxAmountMajor*pow10(CurrencyDigits(code)) {
			t.Fatalf("ParseAmount(%q, %s) = %d out of range", s, code, v)
		}
		back, err := ParseAmount("amount", FormatAmount(v, code), code)
		if err != nil || back != v {
			t.Fatalf("round trip of %q (%s): %d → %q → %d, %v", s, code, v, FormatAmount(v, code), back, err)
		}
	})
}
