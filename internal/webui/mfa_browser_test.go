package webui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// mfaWorld is an app whose passkeys are bound to the origin the browser
// will see, on a test clock (TOTP codes are made for its time).
func mfaWorld(t *testing.T) (*testkit.TestApp, *testkit.Server, string, *testkit.Clock) {
	ln := testkit.Listen(t)
	origin := testkit.Origin(ln)
	clock := testkit.NewClock(time.Now().UTC())
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Now: clock.Now, Config: func(c *config.Config) {
		c.WebAuthnRPID, c.WebAuthnOrigins = "localhost", origin
	}})
	a.CreateUser(t, "sales_rep@x.example.com", domain.RoleSalesRep, "")
	return a, testkit.ServeOn(t, a, ln), origin, clock
}

// A rep sets up an authenticator app from the QR page (step-up first),
// keeps the recovery codes, signs out, and signs in with a TOTP code —
// and once with a recovery code.
func TestBrowserTOTP(t *testing.T) {
	_, _, origin, clock := mfaWorld(t)
	b := testkit.NewBrowser(t, 360, 740)
	signInBrowser(t, b, origin, domain.RoleSalesRep)
	b.Do(chromedp.Navigate(origin+"/settings/security"),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/totp"] button`)),
		chromedp.WaitVisible(chromedp.ID("totp-code")))
	if !strings.Contains(b.Text("h1"), "authenticator") {
		t.Fatalf("after asking for an app: %q", b.Text("h1"))
	}
	b.Shot("totp-setup-phone-en")
	if n := testkit.Eval[int](b, `document.querySelectorAll("svg.qr path").length`); n != 1 {
		t.Fatal("no QR code drawn")
	}
	secret := b.Text("code.secret")
	b.Do(chromedp.SendKeys(chromedp.ID("totp-code"), testkit.TOTPCode(t, secret, clock.Now())),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/totp/confirm"] button`)),
		chromedp.WaitVisible(chromedp.CSS("ol.codes")))
	b.Shot("recovery-codes-phone-en")
	recovery := testkit.Eval[[]string](b, `Array.from(document.querySelectorAll("ol.codes code")).map(e => e.textContent)`)
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes shown", len(recovery))
	}
	b.Submit("form.signout")

	signIn := func() {
		b.Do(chromedp.SendKeys(chromedp.ID("email"), "sales_rep@x.example.com"),
			chromedp.SendKeys(chromedp.ID("password"), testkit.PasswordFor("sales_rep@x.example.com")))
		b.Submit("form.stack")
		b.Do(chromedp.WaitVisible(chromedp.ID("totp")))
	}
	signIn()
	b.Shot("login-mfa-phone-en")
	clock.Advance(time.Minute) // a new time step: a code is good once
	b.Do(chromedp.SendKeys(chromedp.ID("totp"), testkit.TOTPCode(t, secret, clock.Now())),
		chromedp.Click(chromedp.CSS(`input[value="totp"] ~ button`)),
		chromedp.WaitVisible(chromedp.ID("visits")))
	b.Submit("form.signout")
	signIn()
	b.Do(chromedp.Click(chromedp.CSS("details summary")),
		chromedp.SendKeys(chromedp.ID("recovery"), recovery[0]),
		chromedp.Click(chromedp.CSS(`input[value="recovery_code"] ~ button`)),
		chromedp.WaitVisible(chromedp.ID("visits")))
	b.NoProblems()
}

// A rep registers a passkey (the phone's platform authenticator) and
// signs in with it.
func TestBrowserPasskey(t *testing.T) {
	_, _, origin, _ := mfaWorld(t)
	b := testkit.NewBrowser(t, 360, 740)
	b.VirtualAuthenticator()
	signInBrowser(t, b, origin, domain.RoleSalesRep)
	b.Do(chromedp.Navigate(origin+"/settings/security"),
		chromedp.SendKeys(chromedp.ID("passkey-name"), "work phone"),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/passkeys"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-webauthn="create"] button`)))
	b.Shot("passkey-setup-phone-en")
	b.Do(chromedp.Click(chromedp.CSS(`form[data-webauthn="create"] button`)), chromedp.WaitVisible(chromedp.CSS("ol.codes")))
	b.Do(chromedp.Navigate(origin+"/settings/security"), chromedp.WaitVisible(chromedp.CSS("ul.list li strong")))
	if got := b.Text("ul.list li strong"); got != "work phone" {
		t.Fatalf("passkey list: %q", got)
	}
	b.Submit("form.signout")
	b.Do(chromedp.SendKeys(chromedp.ID("email"), "sales_rep@x.example.com"),
		chromedp.SendKeys(chromedp.ID("password"), testkit.PasswordFor("sales_rep@x.example.com")))
	b.Submit("form.stack")
	b.Do(chromedp.WaitVisible(chromedp.ID("passkey-form")),
		chromedp.Click(chromedp.CSS("#passkey-form button")),
		chromedp.WaitVisible(chromedp.ID("visits")))
	b.NoProblems()
}
