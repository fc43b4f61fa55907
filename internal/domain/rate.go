package domain

import "time"

// Rate is a token bucket: up to Burst requests at once, refilled at Events
// per Per. The zero Rate allows nothing.
type Rate struct {
	Events int
	Per    time.Duration
	Burst  int
}

// PerSecond is the refill rate in tokens per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Events) / r.Per.Seconds()
}
