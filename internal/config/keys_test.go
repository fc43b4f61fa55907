package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFlagsAndSecrets(t *testing.T) {
	dir := t.TempDir()
	parse := func(args []string, env map[string]string) (Config, error) {
		c := Defaults()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Register(fs, FlagData|FlagKeys)
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		getenv := func(k string) string { return env[k] }
		if err := ApplyEnv(fs, getenv); err != nil {
			return c, err
		}
		if err := c.Validate(FlagData | FlagKeys); err != nil {
			return c, err
		}
		return c, c.LoadSecrets(getenv)
	}
	// Defaults: the key file in the data directory.
	c, err := parse([]string{"--data", dir}, nil)
	if err != nil || c.MasterKeyProvider != ProviderFile || c.MasterKeyFile != filepath.Join(dir, "master.key") {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	// The passphrase comes from the environment, or a private file.
	c, err = parse([]string{"--data", dir, "--master-key-provider", "passphrase"}, map[string]string{EnvMasterPassphrase: "from the environment"})
	if err != nil || c.MasterPassphrase != "from the environment" || c.PassphraseKeyFile != filepath.Join(dir, "master.passphrase") {
		t.Fatalf("passphrase from env: %+v %v", c, err)
	}
	pf := filepath.Join(dir, "pass")
	_ = os.WriteFile(pf, []byte("from the file\nsecond line\n"), 0o600)
	c, err = parse([]string{"--data", dir, "--master-key-provider", "passphrase", "--master-passphrase-file", pf}, map[string]string{EnvMasterPassphrase: "ignored"})
	if err != nil || c.MasterPassphrase != "from the file" {
		t.Fatalf("passphrase from file: %q %v", c.MasterPassphrase, err)
	}
	pin := filepath.Join(dir, "pin")
	_ = os.WriteFile(pin, []byte("1234\n"), 0o600)
	c, err = parse([]string{"--data", dir, "--master-key-provider", "pkcs11", "--pkcs11-module", "/usr/lib/x.so", "--pkcs11-token", "t", "--pkcs11-pin-file", pin}, nil)
	if err != nil || c.PKCS11PIN != "1234" {
		t.Fatalf("pin from file: %v", err)
	}
	c, err = parse([]string{"--data", dir}, map[string]string{"CUSTOS_MASTER_KEY_PROVIDER": "pkcs11", "CUSTOS_PKCS11_MODULE": "/usr/lib/x.so", "CUSTOS_PKCS11_TOKEN": "t", EnvPKCS11PIN: "5678"})
	if err != nil || c.PKCS11PIN != "5678" {
		t.Fatalf("pkcs11 from env: %+v %v", c, err)
	}

	open := filepath.Join(dir, "open")
	_ = os.WriteFile(open, []byte("x\n"), 0o644) //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
	_ = os.Chmod(open, 0o644)                    //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	latin1 := filepath.Join(dir, "latin1")
	_ = os.WriteFile(latin1, []byte("mot de passe \xe9t\xe9 secret\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--master-key-provider", "hsm"}, "file, passphrase or pkcs11"},
		{[]string{"--master-key-provider", "pkcs11"}, "--pkcs11-module"},
		{[]string{"--master-key-provider", "pkcs11", "--pkcs11-module", "lib.so", "--pkcs11-token", "t"}, "absolute path"},
		{[]string{"--master-key-provider", "pkcs11", "--pkcs11-module", "/l.so", "--pkcs11-token", "t", "--pkcs11-key-label", "a/b"}, "--pkcs11-key-label"},
		{[]string{"--master-key-provider", "pkcs11", "--pkcs11-module", "/l.so", "--pkcs11-token", "t", "--pkcs11-pin-file", open}, "chmod 600"},
		{[]string{"--master-key-provider", "passphrase", "--master-passphrase-file", empty}, "is empty"},
		{[]string{"--master-key-provider", "passphrase", "--master-passphrase-file", latin1}, "not valid UTF-8 (byte 13)"},
		{[]string{"--master-key-provider", "pkcs11", "--pkcs11-module", "/l.so", "--pkcs11-token", "t", "--pkcs11-pin-file", latin1}, "not valid UTF-8"},
		{[]string{"--master-key-provider", "passphrase", "--master-passphrase-file", filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"--key-refresh", "1h"}, "--key-refresh"},
		{[]string{"--master-key-rotation-days", "0"}, "rotation periods"},
		{[]string{"--master-passphrase", "secret"}, "not defined"},
		{[]string{"--pkcs11-pin", "1234"}, "not defined"},
	} {
		_, err := parse(append([]string{"--data", dir}, c.args...), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") && !strings.Contains(strings.Join(c.args, " "), "secret") {
			t.Errorf("%v: the error repeats the secret: %v", c.args, err)
		}
	}
	// Secrets from the environment must be UTF-8 too.
	notUTF8 := "caf\xe9 au lait"
	latin1Env := map[string]string{EnvMasterPassphrase: notUTF8}
	if _, err := parse([]string{"--data", dir, "--master-key-provider", "passphrase"}, latin1Env); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("non-UTF-8 passphrase from the environment: %v", err)
	}
}
