package domain

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLeafIsCanonical(t *testing.T) {
	ev := &AuditEvent{Seq: 7, Time: time.UnixMicro(1_780_000_000_123_456), ActorUser: "usr_1", SourceIP: "203.0.113.9",
		UserAgent: "Mozilla/5.0 \"quoted\"\nnext line", Action: "customer.read", TargetType: "customer", TargetID: "cus_1",
		TargetIDs: []string{"cus_2", "cus_3"}, Fields: []string{"phone", "email"}, Outcome: OutcomeAllowed, Reason: "客户 asked"}
	leaf := string(ev.Leaf())
	want := LeafPrefix + "seq 7\ntime 1780000000123456\nactor.user \"usr_1\"\nactor.session \"\"\nactor.token \"\"\n" +
		"actor.device \"\"\nsource.ip \"203.0.113.9\"\nuser_agent \"Mozilla/5.0 \\\"quoted\\\"\\nnext line\"\n" +
		"request.id \"\"\naction \"customer.read\"\ntarget.type \"customer\"\ntarget.id \"cus_1\"\n" +
		"target.ids \"cus_2,cus_3\"\nfields \"phone,email\"\noutcome \"allowed\"\nreason \"客户 asked\"\n"
	if leaf != want {
		t.Fatalf("leaf:\n%s\nwant:\n%s", leaf, want)
	}
	// No value can add a line: 17 lines whatever the values hold.
	if n := strings.Count(leaf, "\n"); n != 17 {
		t.Fatalf("%d lines", n)
	}
	other := *ev
	other.Reason = "客户 asked!"
	if string(other.Leaf()) == leaf {
		t.Fatal("a changed column left the leaf unchanged")
	}
}

// The fast path for plain ASCII quotes exactly like strconv.Quote.
func FuzzLeafQuoting(f *testing.F) {
	for _, s := range []string{"", "plain", `with "quotes"`, `back\slash`, "tab\t", "\x7f", "é", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(leafStr(nil, "f", s))
		if want := "f " + strconv.Quote(s) + "\n"; got != want {
			t.Fatalf("%q: got %q want %q", s, got, want)
		}
	})
}
