package jsonapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/identity"
)

func (api *API) mfaRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/mfa", Authenticated, api.mfaStatus},
		{"POST", "/api/v1/mfa/totp", Authenticated, api.beginTOTP},
		{"POST", "/api/v1/mfa/totp/confirm", Authenticated, api.confirmTOTP},
		{"DELETE", "/api/v1/mfa/totp", Authenticated, api.removeTOTP},
		{"POST", "/api/v1/mfa/recovery-codes", Authenticated, api.regenerateRecoveryCodes},
		{"POST", "/api/v1/mfa/webauthn/register", Authenticated, api.beginPasskey},
		{"POST", "/api/v1/mfa/webauthn/register/finish", Authenticated, api.finishPasskey},
		{"DELETE", "/api/v1/mfa/webauthn/{id}", Authenticated, api.removePasskey},
	}
}

type passkeyJSON struct {
	ID         domain.ID  `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

type mfaJSON struct {
	Required          bool          `json:"required"`
	TOTP              bool          `json:"totp"`
	TOTPPending       bool          `json:"totp_pending,omitempty"`
	Passkeys          []passkeyJSON `json:"passkeys"`
	RecoveryCodesLeft int           `json:"recovery_codes_left"`
}

func toMFAJSON(st *identity.MFAStatus) mfaJSON {
	out := mfaJSON{Required: st.Required, TOTP: st.TOTP, TOTPPending: st.TOTPPending, Passkeys: []passkeyJSON{},
		RecoveryCodesLeft: st.RecoveryCodesLeft}
	for _, pk := range st.Passkeys {
		out.Passkeys = append(out.Passkeys, toPasskeyJSON(pk))
	}
	return out
}

func toPasskeyJSON(pk *domain.Passkey) passkeyJSON {
	p := passkeyJSON{ID: pk.ID, Name: pk.Name, CreatedAt: pk.CreatedAt}
	if !pk.LastUsedAt.IsZero() {
		t := pk.LastUsedAt
		p.LastUsedAt = &t
	}
	return p
}

func (api *API) mfaStatus(w http.ResponseWriter, r *http.Request) {
	st, err := api.identity.MFA(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toMFAJSON(st))
}

type totpBeginResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
}

func (api *API) beginTOTP(w http.ResponseWriter, r *http.Request) {
	if err := emptyBody(r); err != nil {
		api.writeError(w, r, err)
		return
	}
	e, err := api.identity.BeginTOTP(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, totpBeginResponse{Secret: e.Secret, OTPAuthURI: e.URI})
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func (api *API) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var in codeRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	codes, err := api.identity.ConfirmTOTP(r.Context(), in.Code)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
}

func (api *API) removeTOTP(w http.ResponseWriter, r *http.Request) {
	if err := api.identity.RemoveTOTP(r.Context()); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (api *API) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	if err := emptyBody(r); err != nil {
		api.writeError(w, r, err)
		return
	}
	codes, err := api.identity.RegenerateRecoveryCodes(r.Context())
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
}

type passkeyBeginRequest struct {
	Name string `json:"name"`
}

type passkeyBeginResponse struct {
	RegistrationToken string          `json:"registration_token"`
	Options           json.RawMessage `json:"options"`
	ExpiresAt         time.Time       `json:"expires_at"`
}

func (api *API) beginPasskey(w http.ResponseWriter, r *http.Request) {
	var in passkeyBeginRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	reg, err := api.identity.BeginPasskeyRegistration(r.Context(), in.Name)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, passkeyBeginResponse{RegistrationToken: reg.Token, Options: reg.Options, ExpiresAt: reg.ExpiresAt})
}

type passkeyFinishRequest struct {
	RegistrationToken string          `json:"registration_token"`
	Credential        json.RawMessage `json:"credential"`
}

type passkeyFinishResponse struct {
	passkeyJSON
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

func (api *API) finishPasskey(w http.ResponseWriter, r *http.Request) {
	var in passkeyFinishRequest
	if err := decodeJSON(r, &in); err != nil {
		api.writeError(w, r, err)
		return
	}
	pk, codes, err := api.identity.FinishPasskeyRegistration(r.Context(), in.RegistrationToken, in.Credential)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, passkeyFinishResponse{passkeyJSON: toPasskeyJSON(pk), RecoveryCodes: codes})
}

func (api *API) removePasskey(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, domain.KindPasskey)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	if err := api.identity.RemovePasskey(r.Context(), id); err != nil {
		api.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
