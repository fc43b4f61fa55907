package jsonapi_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsHoldNoSecretsOrPersonalData drives sign-ins (good and bad),
// creates, lookups, conflicts and validation failures with personal data,
// capturing the server's debug-level log, and finds no password, token or
// personal value in it.
func TestLogsHoldNoSecretsOrPersonalData(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		var logs lockedBuffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		a := testkit.NewApp(t, d, testkit.AppOptions{Log: log})
		s := testkit.Serve(t, a)
		a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
		tok := s.LoginAs(t, "rep@x.example.com")
		s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "rep@x.example.com", "password": "Wrong-Password-Sentinel"})
		s.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ghost@x.example.com", "password": "Ghost-Password-Sentinel"})
		body := map[string]any{"name": "Sentinelname Quux", "phone": "13812349876", "email": "sentinel@x.example.com",
			"address": map[string]string{"street": "Sentinel Street 9"}}
		s.Do(t, "POST", "/api/v1/customers", tok, body)
		s.Do(t, "POST", "/api/v1/customers", tok, body) // conflict
		s.Do(t, "GET", "/api/v1/customers?phone=13812349876", tok, nil)
		s.Do(t, "POST", "/api/v1/customers/search", tok, map[string]string{"email": "sentinel@x.example.com"})
		s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "x", "phone": "999-Sentinel-Phone"})
		s.Do(t, "GET", "/api/v1/customers?q=Sentinelname", tok, nil)
		s.Do(t, "GET", "/api/v1/customers?q=349876", tok, nil)
		s.Do(t, "POST", "/api/v1/customers/search", tok, map[string]string{"q": "Sentinelqueryword"})
		s.Do(t, "GET", "/api/v1/customers?q=Sentinelbad%25", tok, nil)
		s.Do(t, "GET", "/api/v1/customers", "cs1.ses_0000000000000000000000000.forged-token-sentinel", nil)

		out := logs.String()
		if !strings.Contains(out, `"route"`) {
			t.Fatalf("no access log captured: %q", out)
		}
		for _, secret := range []string{
			"Wrong-Password-Sentinel", "Ghost-Password-Sentinel", testkit.PasswordFor("rep@x.example.com"),
			tok, strings.Split(tok, ".")[2], "forged-token-sentinel",
			"Sentinelname", "13812349876", "8613812349876", "sentinel@x.example.com", "Sentinel Street", "Sentinel-Phone",
			"ghost@x.example.com", "349876", "Sentinelqueryword", "sentinelqueryword", "Sentinelbad",
		} {
			if strings.Contains(out, secret) {
				t.Errorf("log contains %q", secret)
			}
		}
	})
}
