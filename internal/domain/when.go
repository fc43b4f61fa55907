package domain

import (
	"math"
	"time"
)

// Bounds for times and dates given as input: nothing before 1970 or after
// 2199 is a plausible visit, due date or closing date.
var (
	minInputTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxInputTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ParseTime parses an RFC 3339 time (2026-01-02T15:04:05Z or with an
// offset) into UTC at microsecond precision, as stored.
func ParseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, Invalid(field, "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z", field)
	}
	if t.Before(minInputTime) || !t.Before(maxInputTime) {
		return time.Time{}, Invalid(field, "%s must be between 1970 and 2199", field)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// ParseDate checks a calendar date written YYYY-MM-DD and returns it.
func ParseDate(field, s string) (string, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return "", Invalid(field, "%s must be a date written YYYY-MM-DD", field)
	}
	if t.Before(minInputTime) || !t.Before(maxInputTime) {
		return "", Invalid(field, "%s must be between 1970 and 2199", field)
	}
	return s, nil
}

// Location bounds.
const (
	// MaxAccuracy is the largest accuracy radius accepted, in metres.
	MaxAccuracy = 100_000
)

// LocationInput is a device position as clients send it.
type LocationInput struct {
	Lat      *float64 `json:"lat"`
	Lng      *float64 `json:"lng"`
	Accuracy *float64 `json:"accuracy"`
}

// Location validates the input: lat and lng are required, within
// -90..90 and -180..180; accuracy (metres) is optional, 0..MaxAccuracy.
func (in *LocationInput) Location() (*Location, error) {
	if in.Lat == nil {
		return nil, Invalid("lat", "lat is required")
	}
	if in.Lng == nil {
		return nil, Invalid("lng", "lng is required")
	}
	l := &Location{Lat: *in.Lat, Lng: *in.Lng}
	if math.IsNaN(l.Lat) || l.Lat < -90 || l.Lat > 90 {
		return nil, Invalid("lat", "lat must be between -90 and 90")
	}
	if math.IsNaN(l.Lng) || l.Lng < -180 || l.Lng > 180 {
		return nil, Invalid("lng", "lng must be between -180 and 180")
	}
	if in.Accuracy != nil {
		l.Accuracy = *in.Accuracy
		if math.IsNaN(l.Accuracy) || l.Accuracy < 0 || l.Accuracy > MaxAccuracy {
			return nil, Invalid("accuracy", "accuracy must be between 0 and %d metres", MaxAccuracy)
		}
	}
	return l, nil
}
