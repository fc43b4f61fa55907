package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// ThrottlePolicy slows down failed sign-ins. Failures are counted in two
// kinds of bucket, both stored in the database so every node shares them:
//
//   - per account and source address: after AccountFree failures, each
//     further failure blocks that account from that address for a delay
//     that doubles from BaseDelay up to MaxDelay;
//   - per source address, whatever the account: after SourceFree failures
//     the address is blocked the same way (a credential-stuffing burst
//     across many accounts).
//
// There is deliberately no bucket per account alone: an attacker guessing
// at someone's password from elsewhere fills only their own buckets, so
// the real user signing in from their own address is never locked out.
// A blocked attempt is refused before the password is checked (cheap,
// and it does not extend the block). Failures older than Forget no
// longer count, and a successful sign-in clears its account+address
// bucket.
type ThrottlePolicy struct {
	AccountFree int
	SourceFree  int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	Forget      time.Duration
}

// DefaultThrottle is the policy a fresh install runs with.
var DefaultThrottle = ThrottlePolicy{
	AccountFree: 5,
	SourceFree:  20,
	BaseDelay:   time.Second,
	MaxDelay:    15 * time.Minute,
	Forget:      time.Hour,
}

// buckets names the throttle buckets of a sign-in attempt. The account is
// named by a hash of its normalized email, so the table holds no email
// addresses (attempts on accounts that do not exist included).
func throttleBuckets(email, source string) (account, src string) {
	sum := sha256.Sum256([]byte("custos/throttle/v1\x00" + email))
	return "acct:" + hex.EncodeToString(sum[:16]) + "|" + source, "src:" + source
}

// delay returns how long the n-th failure in a bucket with free free
// failures blocks it.
func (p ThrottlePolicy) delay(n, free int) time.Duration {
	if n <= free {
		return 0
	}
	d := p.BaseDelay
	for i := free + 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// checkThrottle refuses an attempt whose buckets are blocked, with the
// time left, and audits the refusal.
func (s *Service) checkThrottle(ctx context.Context, now time.Time, userID domain.ID, account, src string) error {
	states, err := s.factors.ThrottleStates(ctx, account, src)
	if err != nil {
		return err
	}
	var wait time.Duration
	for _, st := range states {
		if st.BlockedUntil.After(now) {
			wait = max(wait, st.BlockedUntil.Sub(now))
		}
	}
	if wait == 0 {
		return nil
	}
	ev := domain.NewAuditEvent(ctx, now, "auth.throttled", "user", string(userID))
	ev.ActorUser = userID
	ev.Outcome = domain.OutcomeDenied
	ev.Reason = "too many failed attempts"
	s.record(ctx, ev)
	return domain.RateLimited(wait, "too many failed attempts; try again later")
}

// recordFailure counts a failed attempt in its buckets.
func (s *Service) recordFailure(ctx context.Context, now time.Time, account, src string) {
	p := s.throttle
	next := func(cur domain.ThrottleState) domain.ThrottleState {
		free := p.SourceFree
		if cur.Bucket == account {
			free = p.AccountFree
		}
		if now.Sub(cur.LastFailure) > p.Forget {
			cur.Failures = 0
		}
		cur.Failures++
		cur.LastFailure = now
		if d := p.delay(cur.Failures, free); d > 0 {
			cur.BlockedUntil = now.Add(d)
		}
		return cur
	}
	if err := s.factors.RecordThrottleFailure(ctx, now, next, account, src); err != nil {
		s.log.Error("recording a failed sign-in for throttling failed", slog.Any("err", err))
	}
}

// clearThrottle forgets an account+address bucket after a success.
func (s *Service) clearThrottle(ctx context.Context, account string) {
	if err := s.factors.ClearThrottle(ctx, account); err != nil {
		s.log.Warn("clearing a throttle bucket failed", slog.Any("err", err))
	}
}
