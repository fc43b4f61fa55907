package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestIdleTimeoutPrecision sets the sales rep role's idle timeout to its
// 60 s minimum and uses sessions at chosen moments. Documented behaviour
// (docs/identity.md, Sessions): a session is refused once its idle
// timeout has passed since its last request, to within
// identity.DefaultIdlePrecision, on every node — never before the timeout
// has passed, and at most the precision after it. Each case is probed on
// the node that served the uses and on a second node (a second Custos on
// the same database), on both databases.
func TestIdleTimeoutPrecision(t *testing.T) {
	const idle = time.Minute
	p := identity.DefaultIdlePrecision
	s := time.Second
	cases := []struct {
		name  string
		uses  []time.Duration // after sign-in; each must be accepted
		probe time.Duration   // after sign-in
		ok    bool
	}{
		{"33 s after sign-in", nil, 33 * s, true},
		{"59 s after sign-in", nil, 59 * s, true},
		{"60 s after sign-in", nil, 60 * s, true},
		{"61 s + precision after sign-in", nil, 61*s + p, false},
		{"used 33 s earlier", []time.Duration{40 * s}, 73 * s, true},
		{"used 59 s earlier", []time.Duration{40 * s}, 99 * s, true},
		{"used 61 s + precision earlier", []time.Duration{40 * s}, 101*s + p, false},
		// A use within the precision of the stored time is not written:
		// the worst case for the other node.
		{"unwritten use 60 s earlier", []time.Duration{p}, p + 60*s, true},
		{"unwritten use 61 s + precision earlier", []time.Duration{p}, 61*s + 2*p, false},
		{"busy for 2 minutes, then 60 s idle", every(s/2, 120*s), 180 * s, true},
		{"busy for 2 minutes, then 61 s + precision idle", every(s/2, 120*s), 181*s + p, false},
		{"used at 0, 33, 92 s; 59 s later", []time.Duration{33 * s, 92 * s}, 151 * s, true},
		{"used at 0, 33, 92 s; 61 s + precision later", []time.Duration{33 * s, 92 * s}, 153*s + p, false},
	}
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		start := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
		clock := testkit.NewClock(start)
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		b := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now, Dir: a.Dir, DatabaseURL: a.DatabaseURL})
		a.UpdateRole(t, domain.RoleSalesRep, func(r *domain.Role) { r.IdleTimeout = idle })
		ctx := context.Background()
		for i, c := range cases {
			for _, node := range []struct {
				name string
				app  *testkit.TestApp
			}{{"same node", a}, {"other node", b}} {
				t.Run(c.name+"/"+node.name, func(t *testing.T) {
					email := fmt.Sprintf("rep%d-%s@x.example.com", i, strings.ReplaceAll(node.name, " ", "-"))
					a.CreateUser(t, email, domain.RoleSalesRep, "")
					clock.Set(start)
					res, err := a.Identity.Login(ctx, email, testkit.PasswordFor(email))
					if err != nil {
						t.Fatal(err)
					}
					for _, u := range c.uses {
						clock.Set(start.Add(u))
						if _, err := a.Identity.Authenticate(ctx, res.Token); err != nil {
							t.Fatalf("use at %v refused: %v", u, err)
						}
						waitTouch(t, a)
					}
					clock.Set(start.Add(c.probe))
					_, err = node.app.Identity.Authenticate(ctx, res.Token)
					if c.ok && err != nil {
						t.Fatalf("probe at %v refused: %v", c.probe, err)
					}
					if !c.ok && err == nil {
						t.Fatalf("probe at %v accepted", c.probe)
					}
					waitTouch(t, node.app)
				})
			}
		}
	})
}

// every returns the moments step, 2·step, … up to end.
func every(step, end time.Duration) []time.Duration {
	var out []time.Duration
	for d := step; d <= end; d += step {
		out = append(out, d)
	}
	return out
}

// countingSessions counts the writes of last-seen times.
type countingSessions struct {
	identity.SessionStore
	calls    atomic.Int64
	sessions atomic.Int64
}

func (c *countingSessions) TouchSessions(ctx context.Context, seen map[domain.ID]time.Time) error {
	c.calls.Add(1)
	c.sessions.Add(int64(len(seen)))
	return c.SessionStore.TouchSessions(ctx, seen)
}

// TestIdleActivityWritesAreBounded shows that requests do not write on
// every request: a session used ten times a second for two minutes has its
// last-seen time written about once per precision (counted at the store,
// and seen in the stored value), concurrent requests of a stale session
// write once, and the stored time never lags the last request by more
// than the precision.
func TestIdleActivityWritesAreBounded(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		start := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
		clock := testkit.NewClock(start)
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		counter := &countingSessions{SessionStore: a.Store.Sessions}
		id, err := identity.New(identity.Deps{Users: a.Store.Users, Sessions: counter, Factors: a.Store.Factors, Audit: a.Audit},
			identity.Options{Hasher: identity.NewHasher(testkit.FastArgon2, 1), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		const email = "rep@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesRep, "")
		ctx := context.Background()
		res, err := id.Login(ctx, email, testkit.PasswordFor(email))
		if err != nil {
			t.Fatal(err)
		}
		raw := testkit.RawDB(t, a)
		stored := func() time.Time {
			return time.UnixMicro(raw.Int(t, `SELECT last_seen_at FROM sessions WHERE id = ?`, string(res.Session.ID))).UTC()
		}
		p := id.IdlePrecision()
		const requests = 1200 // ten a second for two minutes
		changes, last := 0, stored()
		for range requests {
			clock.Advance(100 * time.Millisecond)
			if _, err := id.Authenticate(ctx, res.Token); err != nil {
				t.Fatal(err)
			}
			if err := id.FlushActivity(ctx); err != nil {
				t.Fatal(err)
			}
			now := stored()
			if now != last {
				changes++
				last = now
			}
			if lag := clock.Now().Sub(now); lag > p {
				t.Fatalf("stored last-seen %v behind the last request, more than the precision %v", lag, p)
			}
		}
		span := time.Duration(requests) * 100 * time.Millisecond
		most := int(span/p) + 1
		if n := int(counter.calls.Load()); n > most || n < most/2 {
			t.Errorf("%d requests over %v wrote last-seen %d times, want about %d (once per %v)", requests, span, n, most, p)
		}
		if changes != int(counter.sessions.Load()) {
			t.Errorf("stored value changed %d times, %d session writes counted", changes, counter.sessions.Load())
		}

		// A stale session under concurrent requests: one write.
		clock.Advance(30 * time.Second)
		before := counter.sessions.Load()
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				if _, err := id.Authenticate(ctx, res.Token); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := id.FlushActivity(ctx); err != nil {
			t.Fatal(err)
		}
		if n := counter.sessions.Load() - before; n != 1 {
			t.Errorf("32 concurrent requests of a stale session wrote last-seen %d times, want 1", n)
		}
		if got := stored(); !got.Equal(clock.Now()) {
			t.Errorf("stored last-seen %v, want %v", got, clock.Now())
		}
	})
}

// TestIdleActivityBatchesSessions uses many sessions at once: their
// last-seen times reach the store in a few transactions, not one each.
func TestIdleActivityBatchesSessions(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		a.UpdateRole(t, domain.RoleSalesRep, func(r *domain.Role) { r.MaxSessions = 100 })
		counter := &countingSessions{SessionStore: a.Store.Sessions}
		id, err := identity.New(identity.Deps{Users: a.Store.Users, Sessions: counter, Factors: a.Store.Factors, Audit: a.Audit},
			identity.Options{Hasher: identity.NewHasher(testkit.FastArgon2, 1), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		const email = "rep@x.example.com"
		a.CreateUser(t, email, domain.RoleSalesRep, "")
		ctx := context.Background()
		var tokens []string
		for range 60 {
			res, err := id.Login(ctx, email, testkit.PasswordFor(email))
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, res.Token)
		}
		clock.Advance(time.Minute)
		var wg sync.WaitGroup
		for _, tok := range tokens {
			wg.Go(func() {
				if _, err := id.Authenticate(ctx, tok); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := id.FlushActivity(ctx); err != nil {
			t.Fatal(err)
		}
		if n := counter.sessions.Load(); n != int64(len(tokens)) {
			t.Errorf("%d session writes for %d sessions", n, len(tokens))
		}
		if n := counter.calls.Load(); n >= int64(len(tokens)) {
			t.Errorf("%d transactions for %d sessions: not batched", n, len(tokens))
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM sessions WHERE last_seen_at = ?`, clock.Now().UnixMicro()); n != int64(len(tokens)) {
			t.Errorf("%d sessions stored as seen now, want %d", n, len(tokens))
		}
	})
}
