package masterkey_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/masterkey"
	"github.com/custoscrm/custos/internal/masterkey/providertest"
)

func TestFileProviderConformance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := masterkey.CreateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	providertest.Run(t, func(t *testing.T) masterkey.Provider {
		p, err := masterkey.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	})
}

func TestFileProviderBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "master.key")
	if err := masterkey.CreateKeyFile(good); err != nil {
		t.Fatal(err)
	}
	if err := masterkey.CreateKeyFile(good); err == nil {
		t.Fatal("CreateKeyFile overwrote an existing file")
	}
	content, _ := os.ReadFile(good)
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, mode); err != nil { //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
			t.Fatal(err)
		}
		return p
	}
	link := filepath.Join(dir, "link.key")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.key"), "does not exist"},
		{"empty", write("empty.key", nil, 0o600), "empty"},
		{"truncated", write("trunc.key", content[:len(content)/2], 0o600), "truncated"},
		{"group readable", write("group.key", content, 0o640), "chmod 600"},
		{"world readable", write("world.key", content, 0o604), "chmod 600"},
		{"symlink", link, "not a regular file"},
		{"directory", dir, "not a regular file"},
		{"wrong format", write("format.key", []byte(`{"format":"x","keys":[]}`), 0o600), "format"},
		{"no keys", write("nokeys.key", []byte(`{"format":"custos-master-key/v1","keys":[]}`), 0o600), "no key"},
		{"short key", write("short.key", []byte(`{"format":"custos-master-key/v1","keys":[{"version":1,"key":"AAAA"}]}`), 0o600), "32-byte"},
		{"unknown field", write("extra.key", []byte(`{"format":"custos-master-key/v1","keys":[],"x":1}`), 0o600), "unknown field"},
		{"duplicate", write("dup.key", []byte(`{"format":"custos-master-key/v1","keys":[`+
			`{"version":1,"key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},`+
			`{"version":1,"key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}`), 0o600), "twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := masterkey.OpenFile(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), "key\":\"") {
				t.Fatalf("error echoes key material: %v", err)
			}
		})
	}
	// A key file that turns bad under a running provider is reported when
	// it is next read, and the provider keeps what it had.
	p, err := masterkey.OpenFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(good, 0o644); err != nil { //nolint:gosec // test files in t.TempDir; insecure modes are what is tested
		t.Fatal(err)
	}
	if _, err := p.Versions(context.Background()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("versions after chmod 644: %v", err)
	}
	if err := p.Create(context.Background(), 2); err == nil {
		t.Fatal("created a version in a world-readable key file")
	}
}

func FuzzParseKeyFile(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "k")
	if err := masterkey.CreateKeyFile(path); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	f.Add(b)
	f.Add([]byte(`{"format":"custos-master-key/v1","keys":[{"version":1,"key":"` + strings.Repeat("A", 43) + `="}],"erasure_state":"!!"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = masterkey.ParseKeyFileForFuzz(b)
	})
}
