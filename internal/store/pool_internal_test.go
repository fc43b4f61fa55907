package store

import (
	"strconv"
	"testing"
)

func TestMicrosPerDayLiteral(t *testing.T) {
	if microsPerDaySQL != strconv.FormatInt(microsPerDay, 10) {
		t.Fatalf("microsPerDaySQL %s, microsPerDay %d", microsPerDaySQL, microsPerDay)
	}
}
