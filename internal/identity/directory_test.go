package identity_test

import (
	"errors"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
	"github.com/custoscrm/custos/internal/testkit"
)

// UserNames names the users an auditor or administrator reads about,
// skips ids that name no user, and refuses other roles and too many ids.
func TestUserNames(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	rep := a.CreateUser(t, "rep@x.example.com", domain.RoleSalesRep, "")
	a.CreateUser(t, "aud@x.example.com", domain.RoleAuditor, "")
	aud := a.ActAs(t, "aud@x.example.com")
	names, err := a.Identity.UserNames(aud, []domain.ID{rep.ID, rep.ID, "usr_00000000000000000000000000", "not an id"})
	if err != nil || len(names) != 1 || names[rep.ID] != rep.DisplayName {
		t.Fatalf("names: %v, %v", names, err)
	}
	if _, err := a.Identity.UserNames(a.ActAs(t, "rep@x.example.com"), []domain.ID{rep.ID}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("as a rep: %v", err)
	}
	if _, err := a.Identity.UserNames(aud, make([]domain.ID, identity.MaxNamesLookup+1)); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("too many ids: %v", err)
	}
}

// A generated password passes the password policy; a user created with
// a temporary password must choose their own at first sign-in.
func TestGeneratedTemporaryPassword(t *testing.T) {
	a := testkit.NewApp(t, testkit.SQLite, testkit.AppOptions{})
	pw := identity.GeneratePassword()
	if err := identity.CheckPassword("password", pw, "new@x.example.com"); err != nil {
		t.Fatal(err)
	}
	u, err := a.Identity.CreateUser(a.ActAs(t, testkit.AdminEmail), &identity.UserInput{Email: "new@x.example.com",
		Password: pw, Role: domain.RoleSalesRep, DisplayName: "New", MustChangePassword: true})
	if err != nil || !u.MustChangePassword {
		t.Fatalf("create: %+v, %v", u, err)
	}
	if _, err := a.Identity.CreateUser(a.ActAs(t, testkit.AdminEmail), &identity.UserInput{Email: "svc@x.example.com",
		Role: domain.RoleSalesRep, Kind: domain.UserService, MustChangePassword: true}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("service account with a temporary password: %v", err)
	}
}
