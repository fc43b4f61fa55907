package attack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/custoscrm/custos/internal/domain"
)

var (
	classPublic    = []domain.FieldClass{domain.ClassPublic}
	classContact   = []domain.FieldClass{domain.ClassContact}
	classIdentity  = []domain.FieldClass{domain.ClassIdentity}
	classFinancial = []domain.FieldClass{domain.ClassFinancial}
	classAmount    = []domain.FieldClass{domain.ClassAmount}
	classNote      = []domain.FieldClass{domain.ClassNote}
	classLocation  = []domain.FieldClass{domain.ClassLocation}
)

func writes(name string, classes ...[]domain.FieldClass) Variant {
	v := Variant{Name: name}
	for _, c := range classes {
		v.Writes = append(v.Writes, c...)
	}
	return v
}

func fixed(path string, body any) func(context.Context, *World, Cell) (Request, error) {
	return func(context.Context, *World, Cell) (Request, error) { return Request{Path: path, Body: body}, nil }
}

// actorRole maps the anonymous caller to a role for building requests
// (the request is then sent without a credential).
func actorRole(c Cell) string {
	if c.Role == Anonymous {
		return domain.RoleSalesRep
	}
	return c.Role
}

func (w *World) bundle(c Cell) *Bundle { return w.BundleFor(actorRole(c), c.Rel) }

func (w *World) owner(c Cell) (*User, error) {
	o := w.OwnerFor(actorRole(c), c.Rel)
	if o == nil {
		return nil, errSkipCell
	}
	return o, nil
}

// scratch builds a request on a fresh record made by make for the cell's
// record owner.
func scratch(make func(*World, context.Context, *User) (string, error), path func(id string) string, body func(c Cell, w *World) any) func(context.Context, *World, Cell) (Request, error) {
	return func(ctx context.Context, w *World, c Cell) (Request, error) {
		o, err := w.owner(c)
		if err != nil {
			return Request{}, err
		}
		id, err := make(w, ctx, o)
		if err != nil {
			return Request{}, err
		}
		var b any
		if body != nil {
			b = body(c, w)
		}
		return Request{Path: path(id), Body: b}, nil
	}
}

func under(prefix string) func(string) string { return func(id string) string { return prefix + id } }

func under2(prefix, suffix string) func(string) string {
	return func(id string) string { return prefix + id + suffix }
}

// throwaway builds a request sent with a fresh user's session.
func throwaway(build func(ctx context.Context, w *World, u *User) (Request, error)) func(context.Context, *World, Cell) (Request, error) {
	return func(ctx context.Context, w *World, c Cell) (Request, error) {
		u, err := w.Throwaway(ctx, actorRole(c))
		if err != nil {
			return Request{}, err
		}
		r, err := build(ctx, w, u)
		if r.Token == "" {
			r.Token = u.Token
		}
		return r, err
	}
}

const revealReason = "customer on the phone"

// Recipes returns the suite's recipe for every route it knows, keyed by
// "METHOD /pattern".
func Recipes() map[string]*Recipe {
	signedIn := func(ok int) Rule { return Rule{OK: ok} }
	fn := func(f domain.Function, ok int) Rule { return Rule{Fn: f, OK: ok} }
	scoped := func(f domain.Function, ok int) Rule { return Rule{Fn: f, Scoped: true, OK: ok} }
	create := func(f domain.Function) Rule {
		return Rule{Fn: f, Scoped: true, WriteFirst: true, OutOfScope: http.StatusBadRequest, OK: http.StatusCreated}
	}
	recs := AllRelations
	m := map[string]*Recipe{}

	// Sign-in and the session itself.
	m["POST /api/v1/auth/login"] = &Recipe{Rule: Rule{Public: true, AnonStatus: http.StatusUnauthorized, OK: http.StatusOK},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			if c.Role == Anonymous {
				return Request{Path: "/api/v1/auth/login", Body: map[string]string{"email": "nobody@attack.custos.localhost", "password": "not the password of anyone"}}, nil
			}
			u, err := w.Throwaway(ctx, c.Role)
			if err != nil {
				return Request{}, err
			}
			return Request{Path: "/api/v1/auth/login", Body: map[string]string{"email": u.Email, "password": w.Password}}, nil
		}}
	m["POST /api/v1/auth/login/mfa"] = &Recipe{Rule: Rule{Public: true, AnonStatus: http.StatusUnauthorized, OK: http.StatusOK},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			tok, code, err := w.MFAChallenge(ctx, actorRole(c))
			if err != nil {
				return Request{}, err
			}
			if c.Role == Anonymous {
				code = "aaaa-bbbb-cccc-dddd" // a real challenge, a wrong answer
			}
			return Request{Path: "/api/v1/auth/login/mfa", Body: map[string]string{"mfa_token": tok, "method": "recovery_code", "code": code}}, nil
		}}
	m["POST /api/v1/auth/logout"] = &Recipe{Rule: signedIn(http.StatusNoContent),
		Build: throwaway(func(context.Context, *World, *User) (Request, error) {
			return Request{Path: "/api/v1/auth/logout"}, nil
		})}
	m["GET /api/v1/auth/me"] = &Recipe{Rule: signedIn(http.StatusOK), Build: fixed("/api/v1/auth/me", nil)}
	m["PATCH /api/v1/auth/me/preferences"] = &Recipe{Rule: signedIn(http.StatusOK),
		Build: fixed("/api/v1/auth/me/preferences", map[string]string{"time_zone": "Asia/Shanghai", "locale": "zh-CN"})}
	m["POST /api/v1/auth/step-up"] = &Recipe{Rule: Rule{OK: http.StatusOK, SessionOnly: true},
		Build: throwaway(func(_ context.Context, w *World, _ *User) (Request, error) {
			return Request{Path: "/api/v1/auth/step-up", Body: map[string]string{"password": w.Password}}, nil
		})}
	m["POST /api/v1/auth/password"] = &Recipe{Rule: Rule{OK: http.StatusNoContent, SessionOnly: true},
		Build: throwaway(func(_ context.Context, w *World, _ *User) (Request, error) {
			return Request{Path: "/api/v1/auth/password", Body: map[string]string{"current_password": w.Password, "new_password": randomSecret() + " renewed"}}, nil
		})}

	// Users.
	m["POST /api/v1/users"] = &Recipe{Rule: fn(domain.FnUsersManage, http.StatusCreated),
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/users", Body: map[string]string{"email": fmt.Sprintf("made.%d@attack.custos.localhost", w.Next()),
				"password": w.Password, "role": "sales_rep", "display_name": "Made"}}, nil
		}}
	m["GET /api/v1/users"] = &Recipe{Rule: fn(domain.FnUsersManage, http.StatusOK), Build: fixed("/api/v1/users", nil)}
	m["GET /api/v1/users/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnUsersManage, SelfFree: true, OK: http.StatusOK},
		Relations: []Relation{RelOwn, RelOther},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			id := w.RepB.ID
			if c.Rel == RelOwn {
				id = w.Actors[actorRole(c)].ID
			}
			return Request{Path: "/api/v1/users/" + id}, nil
		}}
	m["PATCH /api/v1/users/{id}"] = &Recipe{Rule: fn(domain.FnUsersManage, http.StatusOK),
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/users/" + w.RepB.ID, Body: map[string]string{"display_name": fmt.Sprintf("Renamed %d", w.Next())}}, nil
		}}
	m["POST /api/v1/users/{id}/password-reset"] = &Recipe{Rule: fn(domain.FnUsersManage, http.StatusNoContent),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			u, err := w.NewUser(ctx, domain.RoleSalesRep, w.TeamA, false)
			if err != nil {
				return Request{}, err
			}
			return Request{Path: "/api/v1/users/" + u.ID + "/password-reset"}, nil
		}}
	m["DELETE /api/v1/users/{id}/mfa"] = &Recipe{Rule: fn(domain.FnUsersManage, http.StatusNoContent),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			u, err := w.NewUser(ctx, domain.RoleSalesRep, w.TeamA, false)
			if err != nil {
				return Request{}, err
			}
			return Request{Path: "/api/v1/users/" + u.ID + "/mfa"}, nil
		}}

	// Customers.
	m["POST /api/v1/customers"] = &Recipe{Rule: fn(domain.FnCustomersCreate, http.StatusCreated),
		Variants: []Variant{writes("company, public fields", classPublic), writes("person, contact fields", classContact),
			writes("person with a passport", classContact, classIdentity)},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			n := w.Next()
			switch c.Variant.Name {
			case "company, public fields":
				return Request{Path: "/api/v1/customers", Body: map[string]any{"kind": "company", "name": fmt.Sprintf("Made %d Ltd", n)}}, nil
			case "person, contact fields":
				return Request{Path: "/api/v1/customers", Body: map[string]any{"kind": "person", "name": "Made Person" + letters(n), "phone": w.freshPhone()}}, nil
			}
			return Request{Path: "/api/v1/customers", Body: map[string]any{"kind": "person", "name": "Made Person" + letters(n),
				"id_type": "passport", "id_number": w.gen.Passport()}}, nil
		}}
	m["GET /api/v1/customers"] = &Recipe{Rule: fn(domain.FnCustomersRead, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{{Name: "list"}, {Name: "lookup by phone"}, {Name: "lookup by email"}},
		Query: map[string]string{"owner_id": "usr_x", "status": "active", "tag": "vip", "kind": "person",
			"updated_since": "2020-01-02T15:04:05Z", "q": "Zhang", "cursor": "", "limit": "10", "phone": "13900000000",
			"email": "a@example.com", "id_number": "P123456", "tax_id": "911100000000000000"},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			b := w.bundle(c)
			switch c.Variant.Name {
			case "lookup by phone":
				return Request{Path: "/api/v1/customers?phone=" + b.Phone}, nil
			case "lookup by email":
				for _, mk := range w.Markers {
					if mk.Bundle == b.Name && mk.Kind == "customer" && mk.Field == "email" {
						return Request{Path: "/api/v1/customers?email=" + url.QueryEscape(mk.Full)}, nil
					}
				}
			}
			return Request{Path: "/api/v1/customers?limit=200"}, nil
		}}
	m["GET /api/v1/customers/export"] = &Recipe{Rule: fn(domain.FnCustomersExport, http.StatusOK),
		Query: map[string]string{"owner_id": "usr_x", "status": "active", "tag": "vip", "kind": "person", "updated_since": "2020-01-02T15:04:05Z"},
		Build: fixed("/api/v1/customers/export", nil)}
	m["POST /api/v1/customers/search"] = &Recipe{Rule: fn(domain.FnCustomersRead, http.StatusOK), Relations: recs, Records: true,
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/customers/search", Body: map[string]string{"phone": w.bundle(c).Phone}}, nil
		}}
	m["GET /api/v1/customers/{id}"] = &Recipe{Rule: scoped(domain.FnCustomersRead, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{{Name: "person"}, {Name: "company"}},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			b := w.bundle(c)
			if c.Variant.Name == "company" {
				return Request{Path: "/api/v1/customers/" + b.Company}, nil
			}
			return Request{Path: "/api/v1/customers/" + b.Person}, nil
		}}
	m["PATCH /api/v1/customers/{id}"] = &Recipe{Rule: scoped(domain.FnCustomersUpdate, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("public: tags", classPublic), writes("contact: phone", classContact),
			writes("identity: id_number", classIdentity), writes("financial: bank_account", classFinancial)},
		Build: scratch((*World).ScratchPerson, under("/api/v1/customers/"), func(c Cell, w *World) any {
			switch c.Variant.Name {
			case "public: tags":
				return map[string]any{"tags": []string{"attack"}}
			case "contact: phone":
				return map[string]any{"phone": w.freshPhone()}
			case "identity: id_number":
				return map[string]any{"id_type": "passport", "id_number": w.gen.Passport()}
			}
			bank, _ := w.gen.BankAccount()
			return map[string]any{"bank_account": bank}
		})}
	m["DELETE /api/v1/customers/{id}"] = &Recipe{Rule: scoped(domain.FnCustomersDelete, http.StatusNoContent), Relations: recs, Records: true,
		Query: map[string]string{"cascade": "true"},
		Build: scratch((*World).ScratchPerson, under("/api/v1/customers/"), nil)}
	m["POST /api/v1/customers/{id}/erase"] = &Recipe{Rule: scoped(domain.FnCustomersErase, http.StatusOK), Relations: recs, Records: true,
		Build: scratch((*World).ScratchPerson, under2("/api/v1/customers/", "/erase"), func(Cell, *World) any {
			return map[string]string{"reason": "data_subject_request"}
		})}
	reveal := scoped(domain.FnReveal, http.StatusOK)
	m["POST /api/v1/customers/{id}/reveal"] = &Recipe{Rule: reveal, Relations: recs, Records: true,
		Variants: []Variant{{Name: "phone", ReadClasses: classContact}, {Name: "id_number", ReadClasses: classIdentity},
			{Name: "bank_account", ReadClasses: classFinancial}},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			b := w.bundle(c)
			var allow []string
			for _, mk := range w.Markers {
				if mk.Bundle == b.Name && mk.Kind == "customer" && mk.Field == c.Variant.Name {
					allow = append(allow, mk.Full)
				}
			}
			return Request{Path: "/api/v1/customers/" + b.Person + "/reveal",
				Body: map[string]string{"field": c.Variant.Name, "reason": revealReason}, Allow: allow}, nil
		}}

	// Contacts.
	m["GET /api/v1/customers/{id}/contacts"] = &Recipe{Rule: scoped(domain.FnCustomersRead, http.StatusOK), Relations: recs, Records: true,
		Query: map[string]string{"cursor": "", "limit": "10", "updated_since": "2020-01-02T15:04:05Z"},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/customers/" + w.bundle(c).Company + "/contacts"}, nil
		}}
	m["POST /api/v1/customers/{id}/contacts"] = &Recipe{Rule: scoped(domain.FnCustomersUpdate, http.StatusCreated), Relations: recs, Records: true,
		Variants: []Variant{writes("contact: name, phone", classContact)},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/customers/" + w.bundle(c).Company + "/contacts",
				Body: map[string]string{"name": "Made Contact" + letters(w.Next()), "phone": w.freshPhone()}}, nil
		}}
	m["GET /api/v1/contacts/{id}"] = &Recipe{Rule: scoped(domain.FnCustomersRead, http.StatusOK), Relations: recs, Records: true,
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/contacts/" + w.bundle(c).Contact}, nil
		}}
	m["PATCH /api/v1/contacts/{id}"] = &Recipe{Rule: scoped(domain.FnCustomersUpdate, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("public: title", classPublic), writes("contact: phone", classContact)},
		Build: scratch((*World).ScratchContact, under("/api/v1/contacts/"), func(c Cell, w *World) any {
			if c.Variant.Name == "public: title" {
				return map[string]string{"title": "Director"}
			}
			return map[string]string{"phone": w.freshPhone()}
		})}
	m["DELETE /api/v1/contacts/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnCustomersUpdate, Scoped: true, Owns: domain.ClassContact, OK: http.StatusNoContent},
		Relations: recs, Records: true, Build: scratch((*World).ScratchContact, under("/api/v1/contacts/"), nil)}

	// Deals, visits, notes and tasks.
	listQuery := func(filters ...string) map[string]string {
		q := map[string]string{"cursor": "", "limit": "10", "updated_since": "2020-01-02T15:04:05Z"}
		for _, f := range filters {
			q[f] = ""
		}
		return q
	}
	childList := func(path string, f domain.Function, field func(*Bundle) string, filters ...string) *Recipe {
		return &Recipe{Rule: fn(f, http.StatusOK), Relations: recs, Records: true, Query: listQuery(filters...),
			Build: func(_ context.Context, w *World, c Cell) (Request, error) {
				return Request{Path: path + "?customer_id=" + field(w.bundle(c))}, nil
			}}
	}
	childGet := func(path string, f domain.Function, id func(*Bundle) string) *Recipe {
		return &Recipe{Rule: scoped(f, http.StatusOK), Relations: recs, Records: true,
			Build: func(_ context.Context, w *World, c Cell) (Request, error) {
				return Request{Path: path + id(w.bundle(c))}, nil
			}}
	}
	company := func(b *Bundle) string { return b.Company }
	person := func(b *Bundle) string { return b.Person }

	m["GET /api/v1/deals"] = childList("/api/v1/deals", domain.FnDealsRead, company, "customer_id", "owner_id", "stage")
	m["POST /api/v1/deals"] = &Recipe{Rule: create(domain.FnDealsWrite), Relations: recs, Records: true,
		Variants: []Variant{writes("title and amount", classPublic, classAmount)},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/deals", Body: map[string]any{"customer_id": w.bundle(c).Company, "title": "Made deal", "amount": "250.00"}}, nil
		}}
	m["GET /api/v1/deals/{id}"] = childGet("/api/v1/deals/", domain.FnDealsRead, func(b *Bundle) string { return b.Deal })
	m["PATCH /api/v1/deals/{id}"] = &Recipe{Rule: scoped(domain.FnDealsWrite, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("public: stage", classPublic), writes("amount", classAmount)},
		Build: scratch((*World).ScratchDeal, under("/api/v1/deals/"), func(c Cell, _ *World) any {
			if c.Variant.Name == "amount" {
				return map[string]string{"amount": "321.09"}
			}
			return map[string]string{"stage": "proposal"}
		})}
	m["DELETE /api/v1/deals/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnDealsWrite, Scoped: true, Owns: domain.ClassAmount, OK: http.StatusNoContent},
		Relations: recs, Records: true, Build: scratch((*World).ScratchDeal, under("/api/v1/deals/"), nil)}

	m["GET /api/v1/visits"] = childList("/api/v1/visits", domain.FnVisitsRead, person, "customer_id", "rep_id", "status")
	m["POST /api/v1/visits"] = &Recipe{Rule: create(domain.FnVisitsWrite), Relations: recs, Records: true,
		Variants: []Variant{writes("public: planned_at"), writes("note: notes", classNote)},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			body := map[string]any{"customer_id": w.bundle(c).Person, "planned_at": plannedAt()}
			if c.Variant.Name == "note: notes" {
				body["notes"] = "made visit notes"
			}
			return Request{Path: "/api/v1/visits", Body: body}, nil
		}}
	m["GET /api/v1/visits/{id}"] = childGet("/api/v1/visits/", domain.FnVisitsRead, func(b *Bundle) string { return b.Visit })
	m["PATCH /api/v1/visits/{id}"] = &Recipe{Rule: scoped(domain.FnVisitsWrite, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("public: status", classPublic), writes("note: notes", classNote)},
		Build: scratch((*World).ScratchVisit, under("/api/v1/visits/"), func(c Cell, _ *World) any {
			if c.Variant.Name == "note: notes" {
				return map[string]string{"notes": "changed notes"}
			}
			return map[string]string{"status": "cancelled"}
		})}
	m["DELETE /api/v1/visits/{id}"] = &Recipe{Rule: scoped(domain.FnVisitsWrite, http.StatusNoContent), Relations: recs, Records: true,
		Build: scratch((*World).ScratchVisit, under("/api/v1/visits/"), nil)}
	m["POST /api/v1/visits/{id}/check-in"] = &Recipe{Rule: scoped(domain.FnVisitsWrite, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("location", classLocation)},
		Build: scratch((*World).ScratchVisit, under2("/api/v1/visits/", "/check-in"), func(Cell, *World) any {
			return map[string]any{"lat": 31.2, "lng": 121.4, "accuracy": 12.5}
		})}
	m["POST /api/v1/visits/{id}/check-out"] = &Recipe{Rule: scoped(domain.FnVisitsWrite, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("location and notes", classLocation, classNote)},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			o, err := w.owner(c)
			if err != nil {
				return Request{}, err
			}
			if o.Role != domain.RoleSalesRep {
				return Request{}, errSkipCell // only a rep can have checked in
			}
			id, err := w.ScratchCheckedIn(ctx, o)
			if err != nil {
				return Request{}, err
			}
			return Request{Path: "/api/v1/visits/" + id + "/check-out", Body: map[string]any{"lat": 31.2, "lng": 121.4, "accuracy": 8, "notes": "done"}}, nil
		}}

	m["GET /api/v1/notes"] = childList("/api/v1/notes", domain.FnNotesRead, person, "customer_id")
	m["POST /api/v1/notes"] = &Recipe{Rule: create(domain.FnNotesWrite), Relations: recs, Records: true,
		Variants: []Variant{writes("note: body", classNote)},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/notes", Body: map[string]any{"customer_id": w.bundle(c).Person, "body": "made note"}}, nil
		}}
	m["GET /api/v1/notes/{id}"] = childGet("/api/v1/notes/", domain.FnNotesRead, func(b *Bundle) string { return b.Note })
	m["PATCH /api/v1/notes/{id}"] = &Recipe{Rule: scoped(domain.FnNotesWrite, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("note: body", classNote)},
		Build:    scratch((*World).ScratchNote, under("/api/v1/notes/"), func(Cell, *World) any { return map[string]string{"body": "changed"} })}
	m["DELETE /api/v1/notes/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnNotesWrite, Scoped: true, Owns: domain.ClassNote, OK: http.StatusNoContent},
		Relations: recs, Records: true, Build: scratch((*World).ScratchNote, under("/api/v1/notes/"), nil)}

	m["GET /api/v1/tasks"] = childList("/api/v1/tasks", domain.FnNotesRead, person, "customer_id", "assignee_id", "status")
	m["POST /api/v1/tasks"] = &Recipe{Rule: create(domain.FnNotesWrite), Relations: recs, Records: true,
		Variants: []Variant{writes("note: title", classNote)},
		Build: func(_ context.Context, w *World, c Cell) (Request, error) {
			return Request{Path: "/api/v1/tasks", Body: map[string]any{"customer_id": w.bundle(c).Person, "title": "made task"}}, nil
		}}
	m["GET /api/v1/tasks/{id}"] = childGet("/api/v1/tasks/", domain.FnNotesRead, func(b *Bundle) string { return b.Task })
	m["PATCH /api/v1/tasks/{id}"] = &Recipe{Rule: scoped(domain.FnNotesWrite, http.StatusOK), Relations: recs, Records: true,
		Variants: []Variant{writes("note: title", classNote), writes("public: status", classPublic)},
		Build: scratch((*World).ScratchTask, under("/api/v1/tasks/"), func(c Cell, _ *World) any {
			if c.Variant.Name == "public: status" {
				return map[string]string{"status": "done"}
			}
			return map[string]string{"title": "changed"}
		})}
	m["DELETE /api/v1/tasks/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnNotesWrite, Scoped: true, Owns: domain.ClassNote, OK: http.StatusNoContent},
		Relations: recs, Records: true, Build: scratch((*World).ScratchTask, under("/api/v1/tasks/"), nil)}

	// Sessions.
	m["GET /api/v1/sessions"] = &Recipe{Rule: signedIn(http.StatusOK), Query: map[string]string{"user_id": ""}, Build: fixed("/api/v1/sessions", nil)}
	m["DELETE /api/v1/sessions/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnUsersManage, SelfFree: true, Denied: http.StatusNotFound, OK: http.StatusNoContent},
		Relations: []Relation{RelOwn, RelOther},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			u, err := w.Throwaway(ctx, actorRole(c))
			if err != nil {
				return Request{}, err
			}
			second, err := w.c.Login(ctx, u.Email, w.Password)
			if err != nil {
				return Request{}, err
			}
			if c.Rel == RelOwn {
				return Request{Path: "/api/v1/sessions/" + sessionID(second), Token: u.Token}, nil
			}
			return Request{Path: "/api/v1/sessions/" + sessionID(second)}, nil
		}}
	m["DELETE /api/v1/users/{id}/sessions"] = &Recipe{Rule: Rule{Fn: domain.FnUsersManage, SelfFree: true, OK: http.StatusNoContent},
		Relations: []Relation{RelOwn, RelOther},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			u, err := w.Throwaway(ctx, actorRole(c))
			if err != nil {
				return Request{}, err
			}
			if c.Rel == RelOwn {
				return Request{Path: "/api/v1/users/" + u.ID + "/sessions", Token: u.Token}, nil
			}
			return Request{Path: "/api/v1/users/" + u.ID + "/sessions"}, nil
		}}

	// Second factors (each caller's own, on fresh users).
	m["GET /api/v1/mfa"] = &Recipe{Rule: signedIn(http.StatusOK), Build: fixed("/api/v1/mfa", nil)}
	m["POST /api/v1/mfa/totp"] = &Recipe{Rule: Rule{OK: http.StatusOK, SessionOnly: true},
		Build: throwaway(func(context.Context, *World, *User) (Request, error) { return Request{Path: "/api/v1/mfa/totp"}, nil })}
	m["POST /api/v1/mfa/totp/confirm"] = &Recipe{Rule: Rule{OK: http.StatusOK, SessionOnly: true},
		Build: throwaway(func(ctx context.Context, w *World, u *User) (Request, error) {
			r, err := w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/mfa/totp", u.Token, nil)
			if err != nil {
				return Request{}, err
			}
			var begin struct {
				Secret string `json:"secret"`
			}
			if err := r.JSON(&begin); err != nil {
				return Request{}, err
			}
			code, err := totpCode(begin.Secret)
			return Request{Path: "/api/v1/mfa/totp/confirm", Body: map[string]string{"code": code}}, err
		})}
	m["DELETE /api/v1/mfa/totp"] = &Recipe{Rule: Rule{OK: http.StatusNoContent, SessionOnly: true},
		Build: throwaway(func(ctx context.Context, w *World, u *User) (Request, error) {
			_, _, err := w.EnrollTOTP(ctx, u)
			return Request{Path: "/api/v1/mfa/totp"}, err
		})}
	m["POST /api/v1/mfa/recovery-codes"] = &Recipe{Rule: Rule{OK: http.StatusOK, SessionOnly: true},
		Build: throwaway(func(ctx context.Context, w *World, u *User) (Request, error) {
			_, _, err := w.EnrollTOTP(ctx, u)
			return Request{Path: "/api/v1/mfa/recovery-codes"}, err
		})}
	m["POST /api/v1/mfa/webauthn/register"] = &Recipe{Rule: Rule{OK: http.StatusOK, SessionOnly: true},
		Build: throwaway(func(context.Context, *World, *User) (Request, error) {
			return Request{Path: "/api/v1/mfa/webauthn/register", Body: map[string]string{"name": "laptop"}}, nil
		})}
	// Finishing a registration needs an authenticator; the suite sends a
	// forged one, which every session must see refused.
	m["POST /api/v1/mfa/webauthn/register/finish"] = &Recipe{Rule: Rule{OK: http.StatusBadRequest, SessionOnly: true},
		Build: throwaway(func(ctx context.Context, w *World, u *User) (Request, error) {
			r, err := w.c.Expect(ctx, http.StatusOK, "POST", "/api/v1/mfa/webauthn/register", u.Token, map[string]string{"name": "forged"})
			if err != nil {
				return Request{}, err
			}
			var begin struct {
				Token string `json:"registration_token"`
			}
			if err := r.JSON(&begin); err != nil {
				return Request{}, err
			}
			return Request{Path: "/api/v1/mfa/webauthn/register/finish", Body: map[string]any{"registration_token": begin.Token,
				"credential": map[string]any{"id": "Zm9yZ2Vk", "rawId": "Zm9yZ2Vk", "type": "public-key",
					"response": map[string]string{"clientDataJSON": "e30", "attestationObject": "oA"}}}}, nil
		})}
	m["DELETE /api/v1/mfa/webauthn/{id}"] = &Recipe{Rule: Rule{OK: http.StatusNotFound, SessionOnly: true},
		Build: func(context.Context, *World, Cell) (Request, error) {
			return Request{Path: "/api/v1/mfa/webauthn/" + string(domain.NewID(domain.KindPasskey))}, nil
		}}

	// API tokens.
	m["GET /api/v1/tokens"] = &Recipe{Rule: signedIn(http.StatusOK), Query: map[string]string{"user_id": ""}, Build: fixed("/api/v1/tokens", nil)}
	m["POST /api/v1/tokens"] = &Recipe{Rule: Rule{OK: http.StatusCreated, SessionOnly: true},
		Build: func(_ context.Context, _ *World, c Cell) (Request, error) {
			scope := "customers:read"
			if c.Role == domain.RoleAuditor {
				scope = "audit:read"
			}
			return Request{Path: "/api/v1/tokens", Body: map[string]any{"name": "attack script", "scopes": []string{scope}, "expires_in_days": 1}}, nil
		}}
	m["DELETE /api/v1/tokens/{id}"] = &Recipe{Rule: Rule{Fn: domain.FnUsersManage, SelfFree: true, Denied: http.StatusNotFound, OK: http.StatusNoContent, SessionOnly: true},
		Relations: []Relation{RelOwn, RelOther},
		Build: func(ctx context.Context, w *World, c Cell) (Request, error) {
			u, err := w.Throwaway(ctx, actorRole(c))
			if err != nil {
				return Request{}, err
			}
			id, err := w.ScratchToken(ctx, u)
			if err != nil {
				return Request{}, err
			}
			if c.Rel == RelOwn {
				return Request{Path: "/api/v1/tokens/" + id, Token: u.Token}, nil
			}
			return Request{Path: "/api/v1/tokens/" + id}, nil
		}}

	// Roles, teams, territories.
	m["GET /api/v1/roles"] = &Recipe{Rule: fn(domain.FnRolesManage, http.StatusOK), Build: fixed("/api/v1/roles", nil)}
	m["POST /api/v1/roles"] = &Recipe{Rule: fn(domain.FnRolesManage, http.StatusCreated),
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/roles", Body: map[string]any{"name": fmt.Sprintf("made_role_%d", w.Next()), "scope": "own", "functions": []string{"customers.read"}}}, nil
		}}
	m["GET /api/v1/roles/{name}"] = &Recipe{Rule: fn(domain.FnRolesManage, http.StatusOK), Build: fixed("/api/v1/roles/sales_rep", nil)}
	m["PATCH /api/v1/roles/{name}"] = &Recipe{Rule: fn(domain.FnRolesManage, http.StatusOK),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			name, err := w.ScratchRole(ctx)
			return Request{Path: "/api/v1/roles/" + name, Body: map[string]any{"require_mfa": true}}, err
		}}
	m["DELETE /api/v1/roles/{name}"] = &Recipe{Rule: fn(domain.FnRolesManage, http.StatusNoContent),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			name, err := w.ScratchRole(ctx)
			return Request{Path: "/api/v1/roles/" + name}, err
		}}
	m["GET /api/v1/teams"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusOK), Build: fixed("/api/v1/teams", nil)}
	m["POST /api/v1/teams"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusCreated),
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/teams", Body: map[string]string{"name": fmt.Sprintf("Made team %d", w.Next())}}, nil
		}}
	m["GET /api/v1/territories"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusOK), Build: fixed("/api/v1/territories", nil)}
	m["POST /api/v1/territories"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusCreated),
		Build: func(_ context.Context, w *World, _ Cell) (Request, error) {
			return Request{Path: "/api/v1/territories", Body: map[string]any{"name": fmt.Sprintf("Made T%d", w.Next()),
				"regions": []map[string]string{{"province": "江苏省", "city": "南京市"}}}}, nil
		}}
	m["GET /api/v1/territories/{id}"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusOK),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			id, err := w.ScratchTerritory(ctx)
			return Request{Path: "/api/v1/territories/" + id}, err
		}}
	m["PUT /api/v1/territories/{id}"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusOK),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			id, err := w.ScratchTerritory(ctx)
			return Request{Path: "/api/v1/territories/" + id, Body: map[string]any{"name": fmt.Sprintf("Moved T%d", w.Next()),
				"regions": []map[string]string{{"province": "广东省", "city": "深圳市"}}}}, err
		}}
	m["DELETE /api/v1/territories/{id}"] = &Recipe{Rule: fn(domain.FnTeamsManage, http.StatusNoContent),
		Build: func(ctx context.Context, w *World, _ Cell) (Request, error) {
			id, err := w.ScratchTerritory(ctx)
			return Request{Path: "/api/v1/territories/" + id}, err
		}}

	// The audit log.
	auditFilters := map[string]string{"actor": "system", "target": "cus_x", "action": "customer.read", "outcome": "allowed",
		"since": "2020-01-02T15:04:05Z", "until": "2099-01-02T15:04:05Z"}
	withPaging := map[string]string{"cursor": "", "limit": "10"}
	withFormat := map[string]string{"format": "jsonl", "from_seq": "0", "to_seq": "5"}
	for k, v := range auditFilters {
		withPaging[k], withFormat[k] = v, v
	}
	m["GET /api/v1/audit/checkpoint"] = &Recipe{Rule: fn(domain.FnAuditRead, http.StatusOK), Build: fixed("/api/v1/audit/checkpoint", nil)}
	m["GET /api/v1/audit/proofs/inclusion"] = &Recipe{Rule: fn(domain.FnAuditRead, http.StatusOK),
		Query: map[string]string{"seq": "0", "tree_size": ""}, Build: fixed("/api/v1/audit/proofs/inclusion?seq=0", nil)}
	m["GET /api/v1/audit/proofs/consistency"] = &Recipe{Rule: fn(domain.FnAuditRead, http.StatusOK),
		Query: map[string]string{"from": "1", "to": ""}, Build: fixed("/api/v1/audit/proofs/consistency?from=1", nil)}
	m["GET /api/v1/audit/events"] = &Recipe{Rule: fn(domain.FnAuditRead, http.StatusOK), Query: withPaging, Build: fixed("/api/v1/audit/events?limit=50", nil)}
	m["GET /api/v1/audit/export"] = &Recipe{Rule: fn(domain.FnAuditRead, http.StatusOK), Query: withFormat, Build: fixed("/api/v1/audit/export", nil)}
	importRecipes(m, fn)
	poolRecipes(m)
	return m
}

func totpCode(secret string) (string, error) { return totpNow(secret) }
