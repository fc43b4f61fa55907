package identity

import (
	"context"
	"errors"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/policy"
)

// MFAStatus is what second factors a user has.
type MFAStatus struct {
	Required          bool
	TOTP              bool
	TOTPPending       bool
	Passkeys          []*domain.Passkey
	RecoveryCodesLeft int
}

// Me returns the caller, their role and second-factor status. It works
// while a pending step blocks everything else, so a client can tell the
// user what to do.
//
// Authorization: any signed-in caller.
func (s *Service) Me(ctx context.Context) (*domain.Actor, *domain.User, *MFAStatus, error) {
	a, err := policy.SignedIn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.users.GetUser(ctx, a.UserID)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := s.mfaStatus(ctx, u, a.Role)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, u, st, nil
}

// MFA returns the caller's second-factor status. Authorization: any
// signed-in caller (pending steps allowed).
func (s *Service) MFA(ctx context.Context) (*MFAStatus, error) {
	_, _, st, err := s.Me(ctx)
	return st, err
}

func (s *Service) mfaStatus(ctx context.Context, u *domain.User, role *domain.Role) (*MFAStatus, error) {
	st := &MFAStatus{Required: role != nil && role.RequireMFA}
	t, err := s.factors.GetTOTP(ctx, u.ID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	if t != nil {
		st.TOTP, st.TOTPPending = t.Confirmed, !t.Confirmed
	}
	if st.Passkeys, err = s.factors.ListPasskeys(ctx, u.ID); err != nil {
		return nil, err
	}
	for _, pk := range st.Passkeys {
		pk.Credential = nil
	}
	codes, err := s.factors.RecoveryCodeHashes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	st.RecoveryCodesLeft = len(codes)
	return st, nil
}
