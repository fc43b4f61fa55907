package store_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/demo"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
)

// secrets lists the personal values of a customer in every form an
// attacker could grep for.
func secretForms(c *domain.Customer) []string {
	var out []string
	add := func(v string) {
		if v == "" {
			return
		}
		for _, s := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
			out = append(out, s, base64.StdEncoding.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s)))
		}
	}
	if c.Kind == domain.CustomerPerson { // company names are public by design
		add(c.Name)
		for _, w := range strings.Fields(c.Name) {
			if len(w) >= 4 {
				add(w)
			}
		}
	}
	add(c.Phone)
	add(strings.TrimPrefix(c.Phone, "+86"))
	add(c.Email)
	add(c.Address.Street)
	add(c.IDNumber)
	add(c.TaxID)
	add(c.BankAccount)
	return out
}

// TestNoPlaintextAtRest creates customers through the service and then
// reads the database as a thief would — the SQLite file and WAL, or a
// pg_dump — and finds none of their personal values in any form, while
// the service returns them intact.
func TestNoPlaintextAtRest(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := a.System()
		g := demo.NewGenerator(42)
		var created []*domain.Customer
		for i := 0; i < 40; i++ {
			in := g.Customer(i)
			// Unusual markers so a hit can only be ours.
			if in.Kind == domain.CustomerPerson && i%2 == 0 {
				in.Name = fmt.Sprintf("Quinterius Zebulon%d", i)
			}
			in.Address.Street = fmt.Sprintf("Xylophone Lane %d", 1000+i)
			if in.Kind == domain.CustomerPerson {
				in.BankAccount = fmt.Sprintf("62220210%010d", 31337+i)
			}
			c, err := a.Records.CreateCustomer(ctx, in)
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			got, err := a.Records.GetCustomer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Phone == "" || got.Email == "" || got.Address.Street != in.Address.Street {
				t.Fatalf("customer %d did not round-trip: %+v", i, got)
			}
			created = append(created, got)
		}
		stored := testkit.StoredBytes(t, a)
		if len(stored) < 1000 {
			t.Fatalf("stored bytes suspiciously small: %d", len(stored))
		}
		for _, c := range created {
			for _, s := range secretForms(c) {
				if bytes.Contains(stored, []byte(s)) {
					t.Errorf("found %q of customer %s in the stored data", s, c.ID)
				}
			}
		}
	})
}

// TestCiphertextBoundToPlace moves sealed values to another customer's row
// and to another column of the same row: neither opens.
func TestCiphertextBoundToPlace(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := a.System()
		g := demo.NewGenerator(7)
		var ids []domain.ID
		for i := 0; i < 3; i++ {
			in := g.Customer(i)
			in.Kind, in.TaxID, in.IDNumber = domain.CustomerPerson, "", ""
			c, err := a.Records.CreateCustomer(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		raw := testkit.RawDB(t, a)

		// Another row: copy customer 0's sealed phone over customer 1's.
		raw.Exec(t, `UPDATE customers SET phone_sealed = (SELECT phone_sealed FROM customers WHERE id = ?) WHERE id = ?`, string(ids[0]), string(ids[1]))
		// Another column: customer 2's email moved into its phone column.
		raw.Exec(t, `UPDATE customers SET phone_sealed = email_sealed WHERE id = ?`, string(ids[2]))

		for _, id := range ids[1:] {
			c, err := a.Store.Customers.GetCustomer(ctx, id, nil)
			if err != nil || c.Unreadable != domain.UnreadableField || c.Phone != "" || c.Name != "" || c.Email != "" {
				t.Errorf("customer %s with a moved ciphertext: %+v, %v; want it unreadable with no data", id, c, err)
			}
			if _, err := a.Records.GetCustomer(ctx, id); domain.ErrorCode(err) != domain.CodeUnreadable {
				t.Errorf("service on customer %s with a moved ciphertext: %v, want unreadable", id, err)
			}
		}
		if _, err := a.Store.Customers.GetCustomer(ctx, ids[0], nil); err != nil {
			t.Errorf("untouched customer no longer opens: %v", err)
		}
	})
}

// TestLookupAmongThousands finds exactly the right customer by phone and by
// email among thousands.
func TestLookupAmongThousands(t *testing.T) {
	const n = 3000
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		ctx := a.System()
		g := demo.NewGenerator(99)
		ids := make([]domain.ID, n)
		inputs := make([]*domain.CustomerInput, n)
		errs := make(chan error, n)
		sem := make(chan struct{}, 16)
		for i := 0; i < n; i++ {
			inputs[i] = g.Customer(i)
			sem <- struct{}{}
			go func(i int) {
				defer func() { <-sem }()
				c, err := a.Records.CreateCustomer(ctx, inputs[i])
				if err == nil {
					ids[i] = c.ID
				}
				errs <- err
			}(i)
		}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < n; i += 97 {
			byPhone, err := a.Records.FindCustomers(ctx, domain.LookupPhone, inputs[i].Phone)
			if err != nil {
				t.Fatal(err)
			}
			if len(byPhone) != 1 || byPhone[0].ID != ids[i] {
				t.Fatalf("phone lookup %d: got %d results", i, len(byPhone))
			}
			byEmail, err := a.Records.FindCustomers(ctx, domain.LookupEmail, strings.ToUpper(inputs[i].Email))
			if err != nil {
				t.Fatal(err)
			}
			if len(byEmail) != 1 || byEmail[0].ID != ids[i] {
				t.Fatalf("email lookup %d: got %d results", i, len(byEmail))
			}
		}
		none, err := a.Records.FindCustomers(ctx, domain.LookupPhone, "+8613412345678")
		if err != nil || len(none) != 0 {
			t.Fatalf("lookup of an unknown phone: %d results, %v", len(none), err)
		}
	})
}
