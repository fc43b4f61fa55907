package testkit

import (
	"os"
	"testing"
)

// SoftHSM environment variables, printed by scripts/softhsm.sh.
const (
	PKCS11ModuleEnv = "CUSTOS_TEST_PKCS11_MODULE"
	PKCS11TokenEnv  = "CUSTOS_TEST_PKCS11_TOKEN" //nolint:gosec // the name of a variable, not a credential
	PKCS11PINEnv    = "CUSTOS_TEST_PKCS11_PIN"
)

// HSM is a PKCS#11 token for tests.
type HSM struct {
	Module string
	Token  string
	PIN    string
}

// SoftHSM returns the token the test command prepared with
// scripts/softhsm.sh. Without it the test fails under CI=true and is
// skipped (loudly) otherwise.
func SoftHSM(t testing.TB) HSM {
	t.Helper()
	h := HSM{Module: os.Getenv(PKCS11ModuleEnv), Token: os.Getenv(PKCS11TokenEnv), PIN: os.Getenv(PKCS11PINEnv)}
	if h.Module != "" && h.Token != "" && h.PIN != "" {
		return h
	}
	msg := "SoftHSM is not set up: run eval \"$(scripts/softhsm.sh)\" to set " + PKCS11ModuleEnv + ", " + PKCS11TokenEnv + " and " + PKCS11PINEnv
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (required under CI=true)", msg)
	}
	t.Skipf("SKIPPED: %s", msg)
	return h
}
