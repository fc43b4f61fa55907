package attack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// User is a user the suite created, with a live session token.
type User struct {
	Email string
	ID    string
	Role  string
	Team  string
	Token string
}

// Bundle is one seeded set of records owned by one user: a person and a
// company customer, a contact at the company, a deal, a visit (checked in
// where a rep can), a note and a task, with a marker in every personal
// or financial field.
type Bundle struct {
	Name    string
	Owner   *User
	Person  string
	Company string
	Contact string
	Deal    string
	Visit   string
	Note    string
	Task    string
	Phone   string // the person's phone (national digits), for lookups
}

// Bundle names, by the owner's relation to the actors (all actors are in
// team A).
const (
	BundleOwnRep     = "own:sales_rep"     // owned by the sales_rep actor
	BundleOwnManager = "own:sales_manager" // owned by the sales_manager actor
	BundleTeam       = "team"              // owned by another rep of team A
	BundleOther      = "other"             // owned by a rep of team B
)

// World is everything the matrix needs on one server: teams, one actor
// per built-in role, helper users, the seeded bundles and their markers.
type World struct {
	importMu sync.Mutex // one preparing import at a time (the server bounds running imports)
	c        *Client
	Password string
	Admin0   string // the initial administrator's token (setup only)
	TeamA    string
	TeamB    string
	Actors   map[string]*User // by role name
	Mate     *User            // a second sales_rep in team A
	ManagerB *User
	RepB     *User
	Bundles  map[string]*Bundle
	Markers  []Marker
	Roles    map[string]*domain.Role
	// Tokens holds the matrix's API tokens by TokenCaller name.
	Tokens map[string]string

	gen *markerGen
	mu  sync.Mutex
	seq int
}

func randomSecret() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Next returns a number unique within the run (fresh names, emails).
func (w *World) Next() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seq++
	return w.seq
}

// NewWorld signs in as the initial administrator and builds the world.
func NewWorld(ctx context.Context, c *Client, adminEmail, adminPassword, tag string) (*World, error) {
	w := &World{c: c, Password: randomSecret() + " attack", Actors: map[string]*User{},
		Bundles: map[string]*Bundle{}, Roles: policy.BuiltinRoles(), Tokens: map[string]string{}, gen: newMarkerGen(tag)}
	var err error
	if w.Admin0, err = c.Login(ctx, adminEmail, adminPassword); err != nil {
		return nil, err
	}
	if w.TeamA, err = w.team(ctx, "Attack East "+tag); err != nil {
		return nil, err
	}
	if w.TeamB, err = w.team(ctx, "Attack West "+tag); err != nil {
		return nil, err
	}
	for _, role := range policy.BuiltinRoleNames {
		u, err := w.NewUser(ctx, role, w.TeamA, true)
		if err != nil {
			return nil, err
		}
		w.Actors[role] = u
	}
	if w.Mate, err = w.NewUser(ctx, domain.RoleSalesRep, w.TeamA, true); err != nil {
		return nil, err
	}
	if w.ManagerB, err = w.NewUser(ctx, domain.RoleSalesManager, w.TeamB, true); err != nil {
		return nil, err
	}
	if w.RepB, err = w.NewUser(ctx, domain.RoleSalesRep, w.TeamB, true); err != nil {
		return nil, err
	}
	seeds := []struct {
		name    string
		owner   *User
		manager *User
	}{
		{BundleOwnRep, w.Actors[domain.RoleSalesRep], w.Actors[domain.RoleSalesManager]},
		{BundleOwnManager, w.Actors[domain.RoleSalesManager], w.Actors[domain.RoleSalesManager]},
		{BundleTeam, w.Mate, w.Actors[domain.RoleSalesManager]},
		{BundleOther, w.RepB, w.ManagerB},
	}
	for _, s := range seeds {
		b, err := w.seedBundle(ctx, s.name, s.owner, s.manager)
		if err != nil {
			return nil, fmt.Errorf("seed bundle %s: %w", s.name, err)
		}
		w.Bundles[s.name] = b
	}
	return w, nil
}

func (w *World) team(ctx context.Context, name string) (string, error) {
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/teams", w.Admin0, map[string]string{"name": name})
	if err != nil {
		return "", err
	}
	return r.ID(), nil
}

// NewUser creates a user of role in team (through the initial
// administrator) and, when login is set, signs them in.
func (w *World) NewUser(ctx context.Context, role, team string, login bool) (*User, error) {
	n := w.Next()
	u := &User{Email: fmt.Sprintf("%s.%d@attack.custos.localhost", role, n), Role: role, Team: team}
	in := map[string]string{"email": u.Email, "password": w.Password, "role": role,
		"display_name": fmt.Sprintf("Attack %s %d", role, n)}
	if team != "" {
		in["team_id"] = team
	}
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/users", w.Admin0, in)
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	u.ID = r.ID()
	if login {
		if u.Token, err = w.c.Login(ctx, u.Email, w.Password); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Relogin gives every actor a fresh session (sensitive actions need a
// recent sign-in).
func (w *World) Relogin(ctx context.Context) error {
	for _, u := range w.Actors {
		t, err := w.c.Login(ctx, u.Email, w.Password)
		if err != nil {
			return err
		}
		u.Token = t
	}
	return nil
}

func (w *World) mark(m Marker) { w.Markers = append(w.Markers, m) }

// seedBundle creates one bundle: owner creates the records, manager (of
// the owner's team) sets the identity document, finance the financial
// identifiers, and the visit's rep checks in.
func (w *World) seedBundle(ctx context.Context, name string, owner, manager *User) (*Bundle, error) {
	g := w.gen
	b := &Bundle{Name: name, Owner: owner}
	tok := owner.Token

	// The person.
	pname, psecret := g.PersonName()
	b.Phone = g.Phone()
	pfull, pmasked := phoneMarker(b.Phone)
	email, esecret := g.Email()
	street := g.Street()
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers", tok, map[string]any{
		"kind": "person", "name": pname, "phone": b.Phone, "email": email, "status": "active",
		"address": map[string]string{"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": street},
	})
	if err != nil {
		return nil, err
	}
	b.Person = r.ID()
	w.mark(newMarker(name, "customer", "name", domain.ClassContact, pname, []string{psecret}, policy.MaskPersonName(pname)))
	w.mark(newMarker(name, "customer", "phone", domain.ClassContact, pfull, nil, pmasked))
	w.mark(newMarker(name, "customer", "email", domain.ClassContact, email, []string{esecret}, policy.MaskEmail(email)))
	w.mark(newMarker(name, "customer", "address.street", domain.ClassContact, street, nil, ""))

	passport := g.Passport()
	if _, err := w.c.Expect(ctx, http.StatusOK, "PATCH", "/api/v1/customers/"+b.Person, manager.Token,
		map[string]string{"id_type": "passport", "id_number": passport}); err != nil {
		return nil, err
	}
	w.mark(newMarker(name, "customer", "id_number", domain.ClassIdentity, passport, nil, policy.MaskIDNumber(passport)))

	fin := w.Actors[domain.RoleFinance].Token
	bank, bsecret := g.BankAccount()
	if _, err := w.c.Expect(ctx, http.StatusOK, "PATCH", "/api/v1/customers/"+b.Person, fin,
		map[string]string{"bank_account": bank}); err != nil {
		return nil, err
	}
	w.mark(newMarker(name, "customer", "bank_account", domain.ClassFinancial, bank, []string{bsecret}, policy.MaskTail(bank)))

	// The company, its contact and its financial identifiers.
	company := g.Company()
	cphone := g.Phone()
	cfull, cmasked := phoneMarker(cphone)
	cemail, cesecret := g.Email()
	if r, err = w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers", tok, map[string]any{
		"kind": "company", "name": company, "phone": cphone, "email": cemail, "industry": "retail",
		"address": map[string]string{"province": "浙江省", "city": "宁波市", "street": g.Street()},
	}); err != nil {
		return nil, err
	}
	b.Company = r.ID()
	w.mark(newMarker(name, "customer", "name", domain.ClassPublic, company, nil, ""))
	w.mark(newMarker(name, "customer", "phone", domain.ClassContact, cfull, nil, cmasked))
	w.mark(newMarker(name, "customer", "email", domain.ClassContact, cemail, []string{cesecret}, policy.MaskEmail(cemail)))
	tax := g.TaxID()
	cbank, cbsecret := g.BankAccount()
	if _, err := w.c.Expect(ctx, http.StatusOK, "PATCH", "/api/v1/customers/"+b.Company, fin,
		map[string]string{"tax_id": tax, "bank_account": cbank}); err != nil {
		return nil, err
	}
	w.mark(newMarker(name, "customer", "tax_id", domain.ClassFinancial, tax, []string{tax[:14]}, policy.MaskTail(tax)))
	w.mark(newMarker(name, "customer", "bank_account", domain.ClassFinancial, cbank, []string{cbsecret}, policy.MaskTail(cbank)))

	ctName, ctSecret := g.PersonName()
	ctPhone := g.Phone()
	ctFull, ctMasked := phoneMarker(ctPhone)
	ctEmail, ctESecret := g.Email()
	if r, err = w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/customers/"+b.Company+"/contacts", tok,
		map[string]string{"name": ctName, "phone": ctPhone, "email": ctEmail, "title": "Buyer"}); err != nil {
		return nil, err
	}
	b.Contact = r.ID()
	w.mark(newMarker(name, "contact", "name", domain.ClassContact, ctName, []string{ctSecret}, policy.MaskPersonName(ctName)))
	w.mark(newMarker(name, "contact", "phone", domain.ClassContact, ctFull, nil, ctMasked))
	w.mark(newMarker(name, "contact", "email", domain.ClassContact, ctEmail, []string{ctESecret}, policy.MaskEmail(ctEmail)))

	// A deal with a unique amount.
	amount := g.Amount()
	if r, err = w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/deals", tok, map[string]any{
		"customer_id": b.Company, "title": "Deal " + name, "amount": amount, "currency": "CNY"}); err != nil {
		return nil, err
	}
	b.Deal = r.ID()
	w.mark(newMarker(name, "deal", "amount", domain.ClassAmount, amount, nil, ""))

	// A visit with notes; a rep owner checks in with a unique location.
	vnotes := g.Text("visit")
	if r, err = w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/visits", tok, map[string]any{
		"customer_id": b.Person, "planned_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339), "notes": vnotes}); err != nil {
		return nil, err
	}
	b.Visit = r.ID()
	w.mark(newMarker(name, "visit", "notes", domain.ClassNote, vnotes, nil, ""))
	if owner.Role == domain.RoleSalesRep {
		lat, lng := g.Coordinate(30), g.Coordinate(120)
		if _, err := w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/visits/"+b.Visit+"/check-in", tok,
			map[string]any{"lat": lat, "lng": lng, "accuracy": 5}); err != nil {
			return nil, err
		}
		w.mark(newMarker(name, "visit", "check_in_location", domain.ClassLocation, strconv.FormatFloat(lat, 'f', -1, 64), nil, ""))
		w.mark(newMarker(name, "visit", "check_in_location", domain.ClassLocation, strconv.FormatFloat(lng, 'f', -1, 64), nil, ""))
	}

	// A note and a task.
	body := g.Text("note")
	if r, err = w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/notes", tok,
		map[string]string{"customer_id": b.Person, "body": body}); err != nil {
		return nil, err
	}
	b.Note = r.ID()
	w.mark(newMarker(name, "note", "body", domain.ClassNote, body, nil, ""))
	title := g.Text("task")
	if r, err = w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/tasks", tok,
		map[string]string{"customer_id": b.Person, "title": title}); err != nil {
		return nil, err
	}
	b.Task = r.ID()
	w.mark(newMarker(name, "task", "title", domain.ClassNote, title, nil, ""))
	return b, nil
}

// Reaches returns which bundles role's actor reaches by record scope.
func (w *World) Reaches(role string) Visibility {
	r := w.Roles[role]
	return func(bundle string) bool {
		if r == nil {
			return false
		}
		return InScope(r.Scope, relationOf(role, bundle))
	}
}

// relationOf names a bundle's relation to role's actor.
func relationOf(role, bundle string) Relation {
	switch bundle {
	case BundleOwnRep:
		if role == domain.RoleSalesRep {
			return RelOwn
		}
		return RelTeam
	case BundleOwnManager:
		if role == domain.RoleSalesManager {
			return RelOwn
		}
		return RelTeam
	case BundleTeam:
		return RelTeam
	}
	return RelOther
}

// BundleFor returns the bundle in relation rel to role's actor.
func (w *World) BundleFor(role string, rel Relation) *Bundle {
	switch rel {
	case RelOwn:
		if role == domain.RoleSalesManager {
			return w.Bundles[BundleOwnManager]
		}
		return w.Bundles[BundleOwnRep]
	case RelOther:
		return w.Bundles[BundleOther]
	}
	return w.Bundles[BundleTeam]
}

// OwnerFor returns the user who owns records in relation rel to role's
// actor (scratch records for destructive cells are created by them).
func (w *World) OwnerFor(role string, rel Relation) *User {
	switch rel {
	case RelOwn:
		return w.Actors[role]
	case RelOther:
		return w.RepB
	}
	return w.Mate
}

// APIToken creates (once) the API token of a token caller, owned by its
// role's actor.
func (w *World) APIToken(ctx context.Context, tc TokenCaller) (string, error) {
	w.mu.Lock()
	tok, ok := w.Tokens[tc.Name()]
	w.mu.Unlock()
	if ok {
		return tok, nil
	}
	r, err := w.c.Expect(ctx, http.StatusCreated, "POST", "/api/v1/tokens", w.Actors[tc.Role].Token,
		map[string]any{"name": "attack " + tc.Name(), "scopes": tc.Scopes, "expires_in_days": 1})
	if err != nil {
		return "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := r.JSON(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("no token in %s", clipBytes(r.Body, 100))
	}
	w.mu.Lock()
	w.Tokens[tc.Name()] = out.Token
	w.mu.Unlock()
	return out.Token, nil
}
