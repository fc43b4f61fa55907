package testkit

import (
	"syscall"
	"testing"
	"time"
)

// CPUTimer measures the process's CPU time (user + system) over a
// benchmark. Unlike wall time per op it barely moves when other processes
// share the machine, so before/after comparisons stay meaningful on a busy
// box.
type CPUTimer struct {
	b     *testing.B
	start time.Duration
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// StartCPU resets b's timer and starts measuring CPU time.
func StartCPU(b *testing.B) *CPUTimer {
	b.ResetTimer()
	return &CPUTimer{b: b, start: cpuNow()}
}

// Stop reports cpu-ns/op.
func (c *CPUTimer) Stop() {
	c.b.StopTimer()
	if c.b.N > 0 {
		c.b.ReportMetric(float64(cpuNow()-c.start)/float64(c.b.N), "cpu-ns/op")
	}
}
