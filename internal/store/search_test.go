package store_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/vault"
)

// searchAll runs a system search for q through the records service and
// follows its cursors; it returns the ids found in order and the number
// of pages.
func searchAll(ctx context.Context, t *testing.T, a *testkit.TestApp, q string, limit int) ([]domain.ID, int) {
	t.Helper()
	s, err := domain.ParseSearch("q", q)
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	f := domain.CustomerFilter{Search: s, Limit: limit}
	var ids []domain.ID
	pages := 0
	for {
		page, err := a.Records.ListCustomers(ctx, f)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		pages++
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == "" {
			return ids, pages
		}
		f.Cursor = domain.ID(page.NextCursor)
	}
}

func create(ctx context.Context, t *testing.T, a *testkit.TestApp, in *domain.CustomerInput) domain.ID {
	t.Helper()
	c, err := a.Records.CreateCustomer(ctx, in)
	if err != nil {
		t.Fatalf("create %q: %v", in.Name, err)
	}
	return c.ID
}

// TestSearchPartial finds customers by the end of a phone number, any two
// characters of a Chinese name, the start of any word of a Latin name, an
// email's local part and a surname — in sealed company names as in
// people's names — and by nothing else: %, _ and * are no wildcards.
func TestSearchPartial(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		sys := a.System()
		zw := create(sys, t, a, &domain.CustomerInput{Name: "张伟", Phone: "13800134321", Email: "zhang.wei@example.com"})
		zwm := create(sys, t, a, &domain.CustomerInput{Name: "张伟明", Phone: "13900134321"})
		lxm := create(sys, t, a, &domain.CustomerInput{Name: "李小明", Phone: "13700001111", Email: "xiaoming@example.cn"})
		mj := create(sys, t, a, &domain.CustomerInput{Name: "Mary-Jane O'Brien", Phone: "+14155550123", Email: "mj.obrien@example.org"})
		js := create(sys, t, a, &domain.CustomerInput{Name: "James Smith", Phone: "13600004322"})
		hx := create(sys, t, a, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "深圳恒信冷链物流有限公司", Phone: "075588881234"})
		hxl := create(sys, t, a, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "恒信 Logistics Ltd"})
		nw := create(sys, t, a, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "Northwind Foods Co."})
		for _, c := range []struct {
			q    string
			want []domain.ID
		}{
			{"4321", []domain.ID{zw, zwm}},
			{"134321", []domain.ID{zw, zwm}},
			{"0013 4321", []domain.ID{zw, zwm}},
			{"138 0013 4321", []domain.ID{zw}},
			{"4322", []domain.ID{js}},
			{"88881234", []domain.ID{hx}},
			{"恒信", []domain.ID{hx, hxl}},
			{"恒信冷链", []domain.ID{hx}},
			{"有限公司", []domain.ID{hx}},
			{"小明", []domain.ID{lxm}},
			{"伟明", []domain.ID{zwm}},
			{"张伟", []domain.ID{zw, zwm}},
			{"张", []domain.ID{zw, zwm}},
			{"伟", nil},
			{"jam", []domain.ID{js}},
			{"smith JAMES", []domain.ID{js}},
			{"o'brien", []domain.ID{mj}},
			{"jane", []domain.ID{mj}},
			{"zhang.wei", []domain.ID{zw}},
			{"xiaoming", []domain.ID{lxm}},
			{"MJ.OBrien@", []domain.ID{mj}},
			{"zhang.wei@example.com", []domain.ID{zw}},
			{"zhang.wei@example.org", nil},
			{"north", []domain.ID{nw}},
			{"恒信 log", []domain.ID{hxl}},
			{"恒信log", []domain.ID{hxl}},
			{"恒信 north", nil},
			{"张%", []domain.ID{zw, zwm}}, // % is punctuation: 张 alone, a surname
			{"%伟%", nil},
			{"_伟", nil},
			{"*恒信*", []domain.ID{hx, hxl}},
			{"ja%", []domain.ID{js, mj}},
		} {
			got, _ := searchAll(sys, t, a, c.q, 50)
			want := append([]domain.ID(nil), c.want...)
			sort.Slice(want, func(i, j int) bool { return want[i] > want[j] })
			if !slices.Equal(got, want) {
				t.Errorf("q %q: found %v, want %v (newest first)", c.q, got, want)
			}
		}
	})
}

// TestSearchPagesAndScope pages through many matches newest first without
// losing or repeating one, keeps a rep's search to the rep's customers,
// and follows a customer's changes.
func TestSearchPagesAndScope(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		sys := a.System()
		a.CreateUser(t, "rep1@example.com", domain.RoleSalesRep, "")
		a.CreateUser(t, "rep2@example.com", domain.RoleSalesRep, "")
		rep1, rep2 := a.ActAs(t, "rep1@example.com"), a.ActAs(t, "rep2@example.com")
		var mine []domain.ID
		for i := range 7 {
			mine = append(mine, create(rep1, t, a, &domain.CustomerInput{Name: fmt.Sprintf("Pagetest Person%d", i), Phone: fmt.Sprintf("1380000%04d", 5000+i)}))
			create(rep2, t, a, &domain.CustomerInput{Name: fmt.Sprintf("Pagetest Other%d", i), Phone: fmt.Sprintf("1390000%04d", 5000+i)})
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i] > mine[j] }) // newest first: ids order by creation time
		got, pages := searchAll(rep1, t, a, "pagetest", 3)
		if !slices.Equal(got, mine) || pages < 3 {
			t.Fatalf("rep1's pages: %v in %d pages, want %v", got, pages, mine)
		}
		if got, _ := searchAll(sys, t, a, "pagetest", 4); len(got) != 14 {
			t.Fatalf("the system finds %d, want 14", len(got))
		}
		if got, _ := searchAll(rep2, t, a, "005000", 50); len(got) != 1 {
			t.Fatalf("rep2 finds %d by 005000 (rep1's customer has one too), want 1", len(got))
		}

		// A change of phone or name moves the customer's tokens.
		id := mine[0]
		var old *domain.Customer
		old, err := a.Records.GetCustomer(rep1, id)
		if err != nil {
			t.Fatal(err)
		}
		phone, name := "13811112222", "Renamed Zebulon"
		if _, err := a.Records.UpdateCustomer(rep1, id, &domain.CustomerPatch{Phone: &phone, Name: &name}, domain.Precondition{}); err != nil {
			t.Fatal(err)
		}
		oldPhone, oldWord := old.Phone[len(old.Phone)-7:], strings.Fields(strings.ToLower(old.Name))[1]
		for q, found := range map[string]bool{"112222": true, oldPhone: false, "zebulon": true, oldWord: false} {
			got, _ := searchAll(rep1, t, a, q, 50)
			if slices.Contains(got, id) != found {
				t.Errorf("after the change, %q finds %v", q, got)
			}
		}
	})
}

// TestSearchConfirmsCandidates plants another customer in the bucket of
// the token searched (what a truncated tag shared with another token
// looks like): it is decrypted and left out. A search whose candidates
// mostly fail to confirm stops after domain.MaxSearchExamined of them with
// a cursor, and going on finds the rest.
func TestSearchConfirmsCandidates(t *testing.T) {
	testkit.ForEachDialect(t, func(t *testing.T, d testkit.Dialect) {
		a := testkit.NewApp(t, d, testkit.AppOptions{})
		sys := a.System()
		ctx := context.Background()
		hx := create(sys, t, a, &domain.CustomerInput{Kind: domain.CustomerCompany, Name: "恒信商贸"})
		other := create(sys, t, a, &domain.CustomerInput{Name: "王芳"})
		v := a.Index.Active()
		h, err := a.Index.Compute(v, vault.IndexNameGram, "b:恒信")
		if err != nil {
			t.Fatal(err)
		}
		raw := testkit.RawDB(t, a)
		raw.Exec(t, `INSERT INTO blind_index (field, key_version, hash, tiebreak, customer_id) VALUES (?, ?, ?, ?, ?)`,
			vault.IndexNameGram.Code, v, h, string(other), string(other))
		if got, _ := searchAll(sys, t, a, "恒信", 50); !slices.Equal(got, []domain.ID{hx}) {
			t.Fatalf("a planted bucket neighbour is returned: %v", got)
		}

		// Candidates that share the token but fail the query's other word,
		// all newer than the one that matches.
		target := create(sys, t, a, &domain.CustomerInput{Name: "Jamie Xu"})
		n := domain.MaxSearchExamined + 40
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					if _, err := a.Records.CreateCustomer(sys, &domain.CustomerInput{Name: fmt.Sprintf("Jamie Brown%d", i)}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		s, _ := domain.ParseSearch("q", "jam x")
		page, err := a.Store.Customers.ListCustomers(ctx, domain.CustomerFilter{Search: s, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 0 || page.NextCursor == "" {
			t.Fatalf("first page: %d items, cursor %q (want none and a cursor: stopped after %d candidates)",
				len(page.Items), page.NextCursor, domain.MaxSearchExamined)
		}
		page, err = a.Store.Customers.ListCustomers(ctx, domain.CustomerFilter{Search: s, Limit: 50, Cursor: domain.ID(page.NextCursor)})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != target || page.NextCursor != "" {
			t.Fatalf("second page: %d items, cursor %q, %v", len(page.Items), page.NextCursor, err)
		}

		// A rep with a few customers searches a crowded token: the walk
		// goes through the rep's customers instead of the bucket.
		a.CreateUser(t, "rep3@example.com", domain.RoleSalesRep, "")
		rep := a.ActAs(t, "rep3@example.com")
		own := []domain.ID{create(rep, t, a, &domain.CustomerInput{Name: "Jamie Rep"}), create(rep, t, a, &domain.CustomerInput{Name: "Jamieson Rep"})}
		sort.Slice(own, func(i, j int) bool { return own[i] > own[j] })
		if got, _ := searchAll(rep, t, a, "jamie", 50); !slices.Equal(got, own) {
			t.Fatalf("the rep finds %v, want %v", got, own)
		}
		if got, _ := searchAll(rep, t, a, "jamie rep", 1); !slices.Equal(got, own) {
			t.Fatalf("the rep finds %v by two words, want %v", got, own)
		}
	})
}
