package identity_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestCommonPasswordsRefused shows the estimator refuses common passwords,
// with or without the usual decorations, and keyboard walks, repeats and
// sequences, while long passphrases in any script pass (and are never
// truncated: see TestHasherOWASPAndLongPassphrases).
func TestCommonPasswordsRefused(t *testing.T) {
	for _, pw := range []string{
		"password1234", "Password123456!", "qwertyuiop123", "1qaz2wsx3edc", "iloveyou2024", "baseball1234",
		"monkeymonkey", "letmeinletmein", "aaaaaaaaaaaaaaaa", "abcdefghijklmnop", "123456789012", "dragon123456",
		"passwordpassword", "michael12345", "REP@x.example.com", strings.Repeat("ab", 40), strings.Repeat("密码", 40),
	} {
		if err := identity.CheckPassword("password", pw, "rep@x.example.com"); err == nil {
			t.Errorf("%q accepted", pw)
		} else if e := domain.AsError(err); e.Code != domain.CodeInvalid || e.Field != "password" {
			t.Errorf("%q: %v, want invalid on field password", pw, err)
		}
	}
	long64 := "河边的柳树在春风里轻轻摇摆，我们沿着小路慢慢走到了湖的另一边，看见一只白鹭飞过水面" // 40+ Han characters
	for _, pw := range []string{
		"correct horse battery staple",
		"Tea at four by the harbour, then the night ferry home",
		long64 + long64,
		strings.Repeat("Zürich Straße ", 6) + "Ελληνικά κείμενα με κάποια λόγια και αριθμούς 1984",
		strings.Repeat("长城 passphrase ", 70)[:1000],
	} {
		if err := identity.CheckPassword("password", pw, "rep@x.example.com"); err != nil {
			t.Errorf("passphrase %.30q… refused: %v", pw, err)
		}
	}
}

// TestHashUpgradedAtSignIn stores a user's hash with old (cheaper)
// parameters, reopens Custos with stronger ones and signs in: the stored
// hash now records the new parameters, and the password still works.
func TestHashUpgradedAtSignIn(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		u := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		stronger := identity.Argon2Params{MemoryKiB: 128, Iterations: 2, Parallelism: 1}
		b := testkit.NewApp(t, d, testkit.AppOptions{Dir: a.Dir, DatabaseURL: a.DatabaseURL, Argon2: &stronger})
		ctx := context.Background()
		before, _ := b.Store.Users.GetUser(ctx, u.ID)
		if !strings.Contains(before.PasswordHash, "m=64,t=1,p=1") {
			t.Fatalf("unexpected starting hash %q", before.PasswordHash)
		}
		if _, err := b.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com")); err != nil {
			t.Fatal(err)
		}
		after, _ := b.Store.Users.GetUser(ctx, u.ID)
		if !strings.Contains(after.PasswordHash, "m=128,t=2,p=1") {
			t.Fatalf("hash not upgraded: %q", after.PasswordHash)
		}
		if after.PasswordHash == before.PasswordHash {
			t.Fatal("hash unchanged")
		}
		if _, err := b.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com")); err != nil {
			t.Fatalf("sign-in after the upgrade: %v", err)
		}
		if _, err := b.Identity.Login(ctx, "rep@x.example.com", "not the password at all"); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Fatalf("wrong password after the upgrade: %v", err)
		}
	})
}

// TestConcurrentLoginsKeepMemoryBounded starts 500 password checks at once
// with OWASP's parameters (19 MiB each), as a login flood would, on a
// hasher bounded to 2 at a time, sampling the heap as they run. Unbounded,
// 500 hashes would need about 9.5 GiB; bounded, the heap grows by at most
// 6 × 2 × 19 MiB plus 48 MiB of slack (276 MiB, a 34th of unbounded): at
// most 2 hashes' 19 MiB live at a time, a pair finishing while the next
// pair starts, and garbage the collector has not reclaimed yet — which on
// a machine whose cores are busy with other work lags well behind the
// GOGC target, so the bound leaves room for it.
func TestConcurrentLoginsKeepMemoryBounded(t *testing.T) {
	const (
		logins      = 500
		concurrency = 2
		perHash     = 19 << 20
		slack       = 48 << 20
	)
	h := identity.NewHasher(identity.OWASPMinimum, concurrency)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for i := 0; i < logins; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _, _ := h.Verify(ctx, enc, "a wrong guess from the flood"); ok {
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	elapsed := time.Since(start)
	grow := float64(peak.Load()) - float64(base.HeapInuse)
	bound := float64(6*concurrency*perHash + slack)
	t.Logf("%d concurrent logins (m=19 MiB, t=2, p=1, %d at a time) in %v: heap in use grew by at most %.1f MiB (bound %.0f MiB; unbounded would be %.0f MiB)",
		logins, concurrency, elapsed.Round(time.Millisecond), grow/(1<<20), bound/(1<<20), float64(logins*perHash)/(1<<20))
	if accepted.Load() != 0 {
		t.Fatal("a wrong password was accepted")
	}
	if grow > bound {
		t.Fatalf("heap grew by %.1f MiB, over the bound of %.0f MiB", grow/(1<<20), bound/(1<<20))
	}
}
