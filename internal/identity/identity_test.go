package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

func TestHasherOWASPAndLongPassphrases(t *testing.T) {
	h := identity.NewHasher(identity.OWASPMinimum, 2)
	ctx := context.Background()
	long := strings.Repeat("长城 passphrase ", 70) // > 1,000 bytes, any Unicode
	enc, err := h.Hash(ctx, long)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash does not record OWASP parameters: %s", enc)
	}
	if ok, _, _ := h.Verify(ctx, enc, long); !ok {
		t.Fatal("correct passphrase refused")
	}
	if ok, _, _ := h.Verify(ctx, enc, long[:len(long)-1]+"X"); ok {
		t.Fatal("passphrase differing only at the end accepted: it was truncated")
	}
	if ok, _, _ := h.Verify(ctx, "", long); ok {
		t.Fatal("unknown user verified")
	}
	stronger := identity.NewHasher(identity.Argon2Params{MemoryKiB: 20 * 1024, Iterations: 2, Parallelism: 1}, 1)
	if ok, upgrade, _ := stronger.Verify(ctx, enc, long); !ok || !upgrade {
		t.Fatalf("old parameters: ok=%v upgrade=%v, want both", ok, upgrade)
	}
	for _, bad := range []string{"$argon2id$v=19$m=0,t=1,p=1$AA$AA", "$bcrypt$x", "$argon2id$v=19$m=1,t=1,p=1$!!$AAAA"} {
		if ok, _, err := h.Verify(ctx, bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: ok=%v err=%v", bad, ok, err)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"春眠不觉晓处处闻啼鸟夜来风雨声", true},
		{"密码密码密码密码密码密码", false},
		{strings.Repeat("a", 1025), false},
		{"Someone@Example.com", false},
		{string([]byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0xf7, 0xf6, 0xf5, 0xf4}), false},
	} {
		err := identity.CheckPassword("password", c.pw, "someone@example.com")
		if (err == nil) != c.ok {
			t.Errorf("CheckPassword(%.20q) = %v, want ok=%v", c.pw, err, c.ok)
		}
	}
}

// TestLoginAnswersAlike shows unknown emails, wrong passwords and disabled
// accounts get the same answer, and every attempt is audited.
func TestLoginAnswersAlike(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		u := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		ctx := context.Background()
		_, errUnknown := a.Identity.Login(ctx, "nobody@x.example.com", "whatever password")
		_, errWrong := a.Identity.Login(ctx, "rep@x.example.com", "wrong password!!")
		if errUnknown == nil || errWrong == nil || errUnknown.Error() != errWrong.Error() {
			t.Fatalf("unknown: %v; wrong: %v", errUnknown, errWrong)
		}
		if domain.ErrorCode(errUnknown) != domain.CodeUnauthenticated {
			t.Fatalf("code %s", domain.ErrorCode(errUnknown))
		}
		res, err := a.Identity.Login(ctx, "REP@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if _, err := a.Identity.Authenticate(ctx, res.Token); err != nil {
			t.Fatalf("fresh token refused: %v", err)
		}
		evs, err := a.Store.AuditLog.ListAudit(ctx, storeFilter("auth.login"))
		if err != nil {
			t.Fatal(err)
		}
		var denied, allowed int
		for _, ev := range evs {
			if ev.Outcome == domain.OutcomeDenied {
				denied++
			} else if ev.ActorUser == u.ID {
				allowed++
			}
			if strings.Contains(ev.Reason+ev.TargetID+string(ev.ActorUser), "nobody@") {
				t.Errorf("audit event holds the attempted email: %+v", ev)
			}
		}
		if denied != 2 || allowed != 1 {
			t.Errorf("audited %d denied and %d allowed sign-ins, want 2 and 1", denied, allowed)
		}
	})
}

func TestForgedAndMalformedTokens(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		ctx := context.Background()
		res, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(res.Token, ".")
		forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		other := parts[0] + "." + string(domain.NewID(domain.KindSession)) + "." + parts[2]
		for _, tok := range []string{"", "garbage", forged, other, res.Token + "x", strings.ToUpper(res.Token), parts[1]} {
			if _, err := a.Identity.Authenticate(ctx, tok); domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Errorf("token %.30q: %v", tok, err)
			}
		}
	})
}

// TestSessionTimeouts uses an injected clock: idle for longer than the
// idle timeout, or past the absolute lifetime, a session stops working.
func TestSessionTimeouts(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		ctx := context.Background()
		login := func() string {
			res, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
			if err != nil {
				t.Fatal(err)
			}
			return res.Token
		}
		tok := login()
		clock.Advance(29 * time.Minute)
		if _, err := a.Identity.Authenticate(ctx, tok); err != nil {
			t.Fatalf("29 minutes idle: %v", err)
		}
		clock.Advance(31 * time.Minute)
		if _, err := a.Identity.Authenticate(ctx, tok); err == nil {
			t.Fatal("session survived more than 30 minutes idle")
		}
		tok = login()
		for i := 0; i < 12*4; i++ { // active every 15 minutes for 12 hours
			clock.Advance(15 * time.Minute)
			_, err := a.Identity.Authenticate(ctx, tok)
			if i < 12*4-1 && err != nil {
				t.Fatalf("active session refused after %v: %v", time.Duration(i+1)*15*time.Minute, err)
			}
			if i == 12*4-1 && err == nil {
				t.Fatal("session outlived its 12 hour absolute lifetime")
			}
			waitTouch(t, a)
		}
	})
}

// waitTouch lets the asynchronous last-seen write land so the next step
// sees it (the write is off the request path by design).
func waitTouch(t *testing.T, a *testkit.TestApp) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Identity.FlushActivity(ctx); err != nil {
		t.Fatalf("session activity not written: %v", err)
	}
}

func storeFilter(action string) domain.AuditFilter {
	return domain.AuditFilter{Action: action, Limit: 1000}
}
