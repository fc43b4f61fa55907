package identity_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// TestParallelLoginsKeepTheLimit signs a user in five times, then six
// more times at once (N+1 against the limit of 5). Documented behaviour:
// at the limit the oldest session ends. So the five earlier sessions all
// end and exactly five of the six new ones stay alive, on both databases
// (on PostgreSQL the user's row lock makes concurrent sign-ins count each
// other). Run with -race.
func TestParallelLoginsKeepTheLimit(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		const email = "rep@x.example.com"
		u := a.CreateUser(t, email, domain.RoleSalesRep, "")
		ctx := context.Background()
		var old []string
		for range 5 {
			res, err := a.Identity.Login(ctx, email, testkit.PasswordFor(email))
			if err != nil {
				t.Fatal(err)
			}
			old = append(old, res.Token)
		}
		clock.Advance(time.Minute)
		const n = 6
		tokens := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res, err := a.Identity.Login(ctx, email, testkit.PasswordFor(email))
				if err == nil {
					tokens[i] = res.Token
				}
				errs[i] = err
			}(i)
		}
		wg.Wait()
		alive := 0
		for i, tok := range tokens {
			if errs[i] != nil {
				t.Fatalf("login %d: %v", i, errs[i])
			}
			if _, err := a.Identity.Authenticate(ctx, tok); err == nil {
				alive++
			}
		}
		for i, tok := range old {
			if _, err := a.Identity.Authenticate(ctx, tok); err == nil {
				t.Errorf("earlier session %d survived six newer sign-ins", i)
			}
		}
		if alive != 5 {
			t.Errorf("%d of the 6 parallel sessions alive, want 5", alive)
		}
		raw := testkit.RawDB(t, a)
		if live := raw.Int(t, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`, string(u.ID)); live != 5 {
			t.Errorf("%d live sessions stored, want 5", live)
		}
		evs, _ := a.Store.AuditLog.ListAudit(ctx, storeFilter(domain.ActionSessionEnd))
		evicted := 0
		for _, ev := range evs {
			if ev.Reason == "session limit" {
				evicted++
			}
		}
		if evicted != 6 {
			t.Errorf("%d sessions recorded as ended by the session limit, want 6", evicted)
		}
	})
}

// TestDisabledUserRefusedNextRequest disables a signed-in user and a
// holder of an API token: the very next request of each is refused.
func TestDisabledUserRefusedNextRequest(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := context.Background()
		u := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		res, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		actor, err := a.Identity.Authenticate(ctx, res.Token)
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := a.Identity.CreateToken(domain.WithActor(ctx, actor), &identity.TokenInput{Name: "script", Scopes: []string{"customers:read"}})
		if err != nil {
			t.Fatal(err)
		}
		disabled := domain.UserDisabled
		if _, err := a.Identity.UpdateUser(a.System(), u.ID, &identity.UserPatch{Status: &disabled}); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"session": res.Token, "API token": secret} {
			if _, err := a.Identity.Authenticate(ctx, tok); domain.ErrorCode(err) != domain.CodeUnauthenticated {
				t.Errorf("%s of a disabled user: %v", name, err)
			}
		}
		if _, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com")); domain.ErrorCode(err) != domain.CodeUnauthenticated {
			t.Errorf("disabled user signs in: %v", err)
		}
		raw := testkit.RawDB(t, a)
		if n := raw.Int(t, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL`, string(u.ID)); n != 0 {
			t.Errorf("%d sessions of the disabled user left live", n)
		}
	})
}

// TestRoleChangesApplyNextRequest changes a user's role, and then the role
// itself: each change shows on the next authentication, because the role
// is read from the database with the session every time.
func TestRoleChangesApplyNextRequest(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := context.Background()
		u := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		res, err := a.Identity.Login(ctx, "rep@x.example.com", testkit.PasswordFor("rep@x.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		canRead := func() bool {
			actor, err := a.Identity.Authenticate(ctx, res.Token)
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.Records.ListCustomers(domain.WithActor(ctx, actor), domain.CustomerFilter{})
			return err == nil
		}
		if !canRead() {
			t.Fatal("a sales rep cannot list customers")
		}
		auditor := domain.RoleAuditor
		if _, err := a.Identity.UpdateUser(a.System(), u.ID, &identity.UserPatch{Role: &auditor}); err != nil {
			t.Fatal(err)
		}
		if canRead() {
			t.Fatal("after the change to auditor the user still lists customers")
		}
		rep := domain.RoleSalesRep
		if _, err := a.Identity.UpdateUser(a.System(), u.ID, &identity.UserPatch{Role: &rep}); err != nil {
			t.Fatal(err)
		}
		if !canRead() {
			t.Fatal("back to sales rep, the user cannot list customers")
		}
		// A custom role loses a function: its holders lose it at once.
		if _, err := a.Identity.CreateRole(a.System(), &identity.RoleInput{Name: "reader", Scope: domain.ScopeOwn,
			Functions: []domain.Function{domain.FnCustomersRead}, Fields: map[string]string{"contact": "masked"}}); err != nil {
			t.Fatal(err)
		}
		reader := "reader"
		if _, err := a.Identity.UpdateUser(a.System(), u.ID, &identity.UserPatch{Role: &reader}); err != nil {
			t.Fatal(err)
		}
		if !canRead() {
			t.Fatal("custom reader role cannot list")
		}
		none := []domain.Function{}
		if _, err := a.Identity.UpdateRole(a.System(), "reader", &identity.RolePatch{Functions: &none}); err != nil {
			t.Fatal(err)
		}
		if canRead() {
			t.Fatal("the role lost customers.read but its holder still lists customers")
		}
	})
}

// TestPerRoleSessionPolicy shortens the sales_rep role's idle timeout and
// lifetime: reps' sessions follow the new policy on their next request,
// managers' keep the defaults.
func TestPerRoleSessionPolicy(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		clock := testkit.NewClock(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
		a := testkit.NewApp(t, d, testkit.AppOptions{Now: clock.Now})
		ctx := context.Background()
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
		login := func(email string) string {
			res, err := a.Identity.Login(ctx, email, testkit.PasswordFor(email))
			if err != nil {
				t.Fatal(err)
			}
			return res.Token
		}
		rep, mgr := login("rep@x.example.com"), login("mgr@x.example.com")
		a.UpdateRole(t, domain.RoleSalesRep, func(r *domain.Role) {
			r.IdleTimeout, r.AbsoluteTimeout = 5*time.Minute, time.Hour
		})
		clock.Advance(6 * time.Minute)
		if _, err := a.Identity.Authenticate(ctx, rep); err == nil {
			t.Fatal("rep session survived 6 minutes idle under a 5 minute policy")
		}
		if _, err := a.Identity.Authenticate(ctx, mgr); err != nil {
			t.Fatalf("manager session (30 minute idle timeout) refused: %v", err)
		}
		rep = login("rep@x.example.com")
		for i := 0; i < 15; i++ { // active every 4 minutes
			clock.Advance(4 * time.Minute)
			_, err := a.Identity.Authenticate(ctx, rep)
			if i < 14 && err != nil {
				t.Fatalf("active rep session refused after %v: %v", time.Duration(i+1)*4*time.Minute, err)
			}
			if i == 14 && err == nil {
				t.Fatal("rep session outlived its one hour lifetime")
			}
			waitTouch(t, a)
		}
	})
}

// TestSessionKeepsAUserAgentWhole: a long User-Agent in any script is
// kept to its first 256 bytes cut between characters, and bytes that are
// not UTF-8 are replaced, so it stays UTF-8 (PostgreSQL refuses text that
// is not, which would fail the sign-in).
func TestSessionKeepsAUserAgentWhole(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		const email = "rep@x.example.com"
		u := a.CreateUser(t, email, domain.RoleSalesRep, "")
		bad := domain.WithRequestInfo(context.Background(), domain.RequestInfo{UserAgent: "Mozilla/5.0 \xff\xfe"})
		if _, err := a.Identity.Login(bad, email, testkit.PasswordFor(email)); err != nil {
			t.Fatalf("a User-Agent that is not UTF-8: %v", err)
		}
		ua := "Mozilla/5.0 " + strings.Repeat("浏览器", 100)
		ctx := domain.WithRequestInfo(context.Background(), domain.RequestInfo{UserAgent: ua})
		res, err := a.Identity.Login(ctx, email, testkit.PasswordFor(email))
		if err != nil {
			t.Fatal(err)
		}
		actor, err := a.Identity.Authenticate(context.Background(), res.Token)
		if err != nil {
			t.Fatal(err)
		}
		list, err := a.Identity.ListSessions(domain.WithActor(context.Background(), actor), u.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("sessions: %v %v", list, err)
		}
		for _, s := range list {
			if !utf8.ValidString(s.UserAgent) {
				t.Errorf("a session keeps a User-Agent that is not UTF-8: %q", s.UserAgent)
			}
		}
		got := list[0].UserAgent
		if !strings.HasPrefix(got, "Mozilla/5.0 浏览器") {
			got = list[1].UserAgent
		}
		if !utf8.ValidString(got) || len(got) > 256 || len(got) < 250 || !strings.HasPrefix(ua, got) {
			t.Errorf("kept User-Agent (%d bytes, UTF-8 %v): %q", len(got), utf8.ValidString(got), got)
		}
	})
}
