package identity_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

func from(ip string) context.Context {
	return domain.WithRequestInfo(context.Background(), domain.RequestInfo{SourceIP: ip, RequestID: "req_test"})
}

// TestThrottleGrowsAndRecovers drives failed sign-ins on an injected
// clock: five free failures per account and address, then blocks that
// double (1 s, 2 s, 4 s, 8 s…) during which even the right password is
// refused without being checked; another address is never blocked; the
// block ends on its own, and a success clears the count.
func TestThrottleGrowsAndRecovers(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		const email = "rep@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesRep, "")
		right := testkit.PasswordFor(email)
		attacker, home := from("203.0.113.7"), from("198.51.100.20")

		login := func(ctx context.Context, pw string) error {
			_, err := a.Identity.Login(ctx, email, pw)
			return err
		}
		for i := 1; i <= 5; i++ {
			if err := login(attacker, "wrong guess number "+fmt.Sprint(i)); domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Fatalf("failure %d: %v, want unauthenticated", i, err)
			}
		}
		// The 6th failure blocks; from then on the block doubles.
		want := time.Second
		for i := 6; i <= 10; i++ {
			if err := login(attacker, "another wrong guess"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Fatalf("failure %d: %v", i, err)
			}
			err := login(attacker, right)
			de := domain.AsError(err)
			if de.Code != domain.CodeRateLimited || de.RetryAfter != want {
				t.Fatalf("after failure %d: %v (retry after %v), want rate_limited after %v", i, err, de.RetryAfter, want)
			}
			// The real user at home is not locked out.
			if err := login(home, right); err != nil {
				t.Fatalf("the account owner from another address is refused: %v", err)
			}
			clock.Advance(want)
			want *= 2
		}
		// Waiting out the block, the right password works and clears the count.
		if err := login(attacker, right); err != nil {
			t.Fatalf("after the block: %v", err)
		}
		for i := 1; i <= 5; i++ {
			if err := login(attacker, "fresh mistake"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Fatalf("after a success, failure %d: %v (the count was not cleared)", i, err)
			}
		}
		// Failures older than an hour are forgotten.
		clock.Advance(2 * time.Hour)
		if err := login(attacker, "one more mistake"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("after two quiet hours: %v", err)
		}
		if err := login(attacker, right); err != nil {
			t.Fatalf("old failures still count: %v", err)
		}
		// Refusals are audited.
		evs, err := a.Store.AuditLog.ListAudit(context.Background(), storeFilter("auth.throttled"))
		if err != nil || len(evs) < 5 {
			t.Fatalf("audited %d throttled attempts (%v), want at least 5", len(evs), err)
		}
	})
}

// TestThrottleCredentialStuffing shows a burst across many accounts from
// one address is throttled by the per-address bucket, while other
// addresses sign in.
func TestThrottleCredentialStuffing(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		a.CreateUser(t, "real@x.example.com", domain.RoleSalesRep, "")
		bot := from("192.0.2.99")
		for i := 0; i < 20; i++ {
			_, err := a.Identity.Login(bot, fmt.Sprintf("victim%d@x.example.com", i), "Summer2026!Summer")
			if domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		_, err := a.Identity.Login(bot, "victim99@x.example.com", "Summer2026!Summer")
		if domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("21st failure: %v", err)
		}
		_, err = a.Identity.Login(bot, "real@x.example.com", testkit.PasswordFor("real@x.example.com"))
		if de := domain.AsError(err); de.Code != domain.CodeRateLimited || de.RetryAfter <= 0 {
			t.Fatalf("stuffing source not throttled: %v", err)
		}
		if _, err := a.Identity.Login(from("198.51.100.1"), "real@x.example.com", testkit.PasswordFor("real@x.example.com")); err != nil {
			t.Fatalf("another address: %v", err)
		}
		// Nothing identifying is kept: buckets hold a hash, not the email.
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM login_throttle WHERE bucket LIKE '%victim%' OR bucket LIKE '%example.com%'`); n != 0 {
			t.Fatalf("%d throttle buckets name an email", n)
		}
	})
}
