package keylifecycle_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/vault"
)

// providers lists the master key provider configurations the erasure
// tests run with: the key file on every dialect; the passphrase and the
// HSM on SQLite.
func providers(t *testing.T, d testkit.Dialect) map[string]func(*config.Config) {
	ps := map[string]func(*config.Config){"file": fastKeys}
	if d != testkit.SQLite {
		return ps
	}
	ps["passphrase"] = func(c *config.Config) {
		fastKeys(c)
		c.MasterKeyProvider = config.ProviderPassphrase
		c.MasterPassphrase = "a long enough test passphrase for custos"
	}
	ps["pkcs11"] = func(c *config.Config) {
		hsm := testkit.SoftHSM(t)
		fastKeys(c)
		c.MasterKeyProvider = config.ProviderPKCS11
		c.PKCS11Module, c.PKCS11Token, c.PKCS11PIN = hsm.Module, hsm.Token, hsm.PIN
		c.PKCS11KeyLabel = testkit.UniqueLabel()
	}
	return ps
}

// TestErasureReachesBackupCopies copies the database (as a backup
// would), erases a customer, and shows that the copy, opened with the
// installation's master key provider, cannot decrypt that customer while
// every other customer in it still decrypts.
func TestErasureReachesBackupCopies(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		for name, cfg := range providers(t, d) {
			t.Run(name, func(t *testing.T) {
				a := testkit.NewApp(t, d, testkit.AppOptions{Config: cfg})
				want := seed(t, a, 0, 40)
				var victim *domain.Customer
				for _, c := range want {
					if c.Kind == domain.CustomerPerson && c.Phone != "" {
						victim = c
						break
					}
				}
				ctx := context.Background()
				if err := testkit.AddDeal(a, victim.ID, 123456); err != nil {
					t.Fatal(err)
				}

				// The backup, taken before the erasure, opens the customer.
				backup := testkit.OpenCopy(t, a)
				if c, err := backup.Store.Customers.GetCustomer(ctx, victim.ID, nil); err != nil || c.Phone != victim.Phone {
					t.Fatalf("before the erasure the copy does not open the customer: %v", err)
				}
				wkCopy, err := testkit.DataKeyOf(backup, victim.ID)
				if err != nil || len(wkCopy.Wrapped) == 0 {
					t.Fatalf("copy holds no wrapped key: %v", err)
				}
				_ = backup.Close()

				res, err := a.Records.EraseCustomer(a.System(), victim.ID, "data_subject_request")
				if err != nil || !res.Shredded {
					t.Fatalf("erase: %+v, %v", res, err)
				}

				// Live: erased, personal fields gone, not findable, deal kept.
				c, err := a.Store.Customers.GetCustomer(ctx, victim.ID, nil)
				if err != nil || !c.Erased || c.Phone != "" || c.Name != "" || c.Email != "" || c.IDNumber != "" || c.Address.Street != "" {
					t.Fatalf("live customer after erasure: %+v, %v", c, err)
				}
				found, err := a.Store.Customers.FindCustomers(ctx, domain.LookupPhone, victim.Phone, domain.RecordScope{})
				if err != nil || len(found) != 0 {
					t.Fatalf("erased customer still found by phone: %d, %v", len(found), err)
				}
				if amount, err := testkit.DealAmount(a, victim.ID); err != nil || amount != 123456 {
					t.Fatalf("deal after erasure: %d, %v", amount, err)
				}

				// The copy, opened with the current provider: the customer
				// reads as erased, its data key does not open, everyone
				// else decrypts.
				restored := testkit.Reopen(t, backup)
				c, err = restored.Store.Customers.GetCustomer(ctx, victim.ID, nil)
				if err != nil || !c.Erased || c.Phone != "" || c.Name != "" || c.Email != "" || c.IDNumber != "" {
					t.Fatalf("the copy still opens the erased customer: %+v, %v", c, err)
				}
				wk, err := testkit.DataKeyOf(restored, victim.ID)
				if err != nil || string(wk.Wrapped) != string(wkCopy.Wrapped) {
					t.Fatalf("the copy's wrapped key changed: %v", err)
				}
				restored.Vault.Forget(wk.ID)
				if _, err := restored.Vault.Key(ctx, wk); !errors.Is(err, vault.ErrErased) {
					t.Fatalf("the copy's wrapped data key still opens: %v", err)
				}
				if _, err := restored.Keyring.LeafKey(wk.Leaf); !errors.Is(err, masterkey.ErrErased) {
					t.Fatalf("the erased leaf still derives: %v", err)
				}
				others := make(map[domain.ID]*domain.Customer, len(want))
				for id, c := range want {
					if id != victim.ID {
						others[id] = c
					}
				}
				checkAll(t, restored, others)
				checkAll(t, a, others)
				if len(others) != len(want)-1 {
					t.Fatal("lost customers")
				}
			})
		}
	})
}

// TestEraseAPI tries the erase endpoint as anonymous, as the wrong role,
// with bad input and as an administrator, checking stored state each
// time.
func TestEraseAPI(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{Config: fastKeys})
		srv := testkit.Serve(t, a)
		want := seed(t, a, 0, 5)
		var id domain.ID
		for k := range want {
			id = k
		}
		a.CreateUser(t, "mgr@x.example.com", domain.RoleSalesManager, "")
		admin := srv.LoginAs(t, testkit.AdminEmail)
		mgr := srv.LoginAs(t, "mgr@x.example.com")
		path := "/api/v1/customers/" + string(id) + "/erase"
		body := map[string]string{"reason": "data_subject_request"}
		for _, c := range []struct {
			name, token, path string
			body              any
			status            int
			code              string
		}{
			{"anonymous", "", path, body, http.StatusUnauthorized, "unauthenticated"},
			{"wrong role", mgr, path, body, http.StatusForbidden, "forbidden"},
			{"no reason", admin, path, map[string]string{}, http.StatusBadRequest, "invalid"},
			{"free-text reason", admin, path, map[string]string{"reason": "Zhang Wei asked us"}, http.StatusBadRequest, "invalid"},
			{"unknown field", admin, path, map[string]string{"reason": "data_subject_request", "x": "y"}, http.StatusBadRequest, "invalid"},
			{"malformed JSON", admin, path, "{", http.StatusBadRequest, "invalid"},
			{"bad id", admin, "/api/v1/customers/not-an-id/erase", body, http.StatusBadRequest, "invalid"},
			{"missing customer", admin, "/api/v1/customers/" + string(domain.NewID(domain.KindCustomer)) + "/erase", body, http.StatusNotFound, "not_found"},
		} {
			r := srv.Do(t, "POST", c.path, c.token, c.body)
			if r.Status != c.status || r.ErrorCode() != c.code {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		checkAll(t, a, want) // nothing was erased by the refused calls

		r := srv.Do(t, "POST", path, admin, body)
		if r.Status != http.StatusOK || r.Map(t)["shredded"] != true {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		if r := srv.Do(t, "POST", path, admin, body); r.Status != http.StatusConflict {
			t.Fatalf("erase twice: %d %s", r.Status, r.Body)
		}
		g := srv.Do(t, "GET", "/api/v1/customers/"+string(id), admin, nil)
		m := g.Map(t)
		if g.Status != http.StatusOK || m["erased"] != true || m["phone"] != nil || m["name"] != nil || m["email"] != nil {
			t.Fatalf("read after erasure: %d %s", g.Status, g.Body)
		}
		if p := srv.Do(t, "PATCH", "/api/v1/customers/"+string(id), admin, map[string]string{"industry": "x"}); p.Status != http.StatusConflict {
			t.Fatalf("update after erasure: %d %s", p.Status, p.Body)
		}
		evs, err := a.Store.AuditLog.ListAudit(context.Background(), domain.AuditFilter{Action: "customer.erase"})
		if err != nil || len(evs) != 1 || evs[0].TargetID != string(id) || evs[0].Reason != "data_subject_request" || evs[0].ActorUser == "" {
			t.Fatalf("audit of the erasure: %+v, %v", evs, err)
		}
		w := want[id]
		for _, secret := range []string{w.Phone, w.Email, w.Name} {
			if secret != "" && strings.Contains(evs[0].Reason+strings.Join(evs[0].Fields, ",")+evs[0].TargetID, secret) {
				t.Fatal("the audit event holds personal data")
			}
		}
		delete(want, id)
		checkAll(t, a, want)
	})
}

// TestEraseNeedsRecentSignIn shows erasure asks an administrator who
// signed in long ago to sign in again, and erases nothing.
func TestEraseNeedsRecentSignIn(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Now: clock.Now, Config: fastKeys})
	want := seed(t, a, 0, 3)
	ctx := a.ActAs(t, testkit.AdminEmail)
	clock.Advance(20 * time.Minute)
	var id domain.ID
	for k := range want {
		id = k
	}
	if _, err := a.Records.EraseCustomer(ctx, id, "data_subject_request"); !errors.Is(err, domain.ErrStepUpRequired) {
		t.Fatalf("erase with an old sign-in: %v", err)
	}
	checkAll(t, a, want)
}

// TestDeleteShredsToo shows deleting a customer also punctures its leaf,
// so a copy made before the deletion cannot open it either.
func TestDeleteShredsToo(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{Config: fastKeys})
	want := seed(t, a, 0, 5)
	var id domain.ID
	for k := range want {
		id = k
	}
	backup := testkit.OpenCopy(t, a)
	_ = backup.Close()
	if err := a.Records.DeleteCustomer(a.System(), id, false); err != nil {
		t.Fatal(err)
	}
	restored := testkit.Reopen(t, backup)
	c, err := restored.Store.Customers.GetCustomer(context.Background(), id, nil)
	if err != nil || !c.Erased || c.Phone != "" {
		t.Fatalf("a copy opens a deleted customer: %+v %v", c, err)
	}
	if n, _ := a.Store.DataKeys.CountPendingShreds(context.Background()); n != 0 {
		t.Fatalf("%d punctures pending", n)
	}
}
