package architecture

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/custoscrm/custos"

// mayImport lists, for every package of the module, the Custos packages
// its non-test code may import (paths below internal/). Adding an import
// that is not listed fails the test: extend the table deliberately, and
// docs/architecture.md with it.
var mayImport = map[string][]string{
	// The core: types and rules, and the crypto it stands on.
	"domain":                 {},
	"policy":                 {"domain"},
	"shred":                  {},
	"masterkey":              {"shred"},
	"masterkey/providertest": {"masterkey"},
	"vault":                  {"domain", "masterkey", "shred"},
	"config":                 {"domain"},
	"tlscert":                {},

	// Services: authorization and audit, decided once for every caller.
	"records":      {"domain", "policy"},
	"identity":     {"domain", "policy"},
	"audit":        {"domain", "policy", "vault"},
	"keylifecycle": {"audit", "domain", "masterkey", "policy", "vault"},
	"pool":         {"domain", "policy"},
	"inbox":        {"domain", "policy"},
	// Background jobs, one node at a time under database leases.
	"jobs": {"domain"},

	// Adapters: each depends on the domain and the services, never on
	// another adapter.
	"store":      {"domain", "vault"},
	"jsonapi":    {"audit", "csvimport", "domain", "identity", "inbox", "pool", "records"},
	"httpserver": {"domain"},
	"webui":      {"audit", "domain", "identity", "keylifecycle", "records"},
	// csvimport reads import files into the records service's rows: a
	// file format the adapters that take files (cli, jsonapi) share.
	"csvimport": {"domain", "records"},

	// Tools beside the server.
	"demo":  {"domain", "identity"},
	"bench": {"demo", "domain"},

	// The wiring assembles everything; the CLI and the test kit use it.
	"wiring": {"audit", "config", "demo", "domain", "identity", "inbox", "jobs", "jsonapi", "keylifecycle", "masterkey",
		"policy", "pool", "records", "store", "tlscert", "vault", "webui"},
	"cli": {"audit", "bench", "config", "csvimport", "demo", "domain", "httpserver", "jobs", "keylifecycle",
		"records", "tlscert", "wiring"},
	"testkit": {"config", "domain", "httpserver", "identity", "masterkey", "records", "store", "tlscert",
		"vault", "wiring"},
	"architecture": {},
	// The attack suite drives a built binary from outside; it reads the
	// route table and the built-in roles to know what to expect.
	"attack": {"domain", "jsonapi", "policy"},

	"cmd/custos":        {"cli"},
	"cmd/custos-attack": {"attack"},
}

// storeImporters may import the store, tests included: it is an adapter
// that only the wiring assembles (and the test kit opens for tests).
var storeImporters = []string{"store", "wiring", "testkit"}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "list", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < len(mayImport) {
		t.Fatalf("go list found %d packages, fewer than the %d the table knows", len(pkgs), len(mayImport))
	}
	return pkgs
}

// short turns an import path of the module into the table's key: the
// path below internal/, or the path in the module for the rest; ok is
// false for packages outside the module.
func short(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return "", false
	}
	if r, ok := strings.CutPrefix(rest, "internal/"); ok {
		return r, true
	}
	return rest, true
}

func TestImportDirection(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		name, _ := short(p.ImportPath)
		seen[name] = true
		allowed, known := mayImport[name]
		if !known {
			t.Errorf("package %s is not in the import table: add it, with what it may import, here and in docs/architecture.md", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := short(imp)
			if ours && !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s, which it may not (allowed: %s)", name, dep, strings.Join(allowed, ", "))
			}
		}
	}
	var stale []string
	for name := range mayImport {
		if !seen[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("the import table names packages that do not exist: %s", strings.Join(stale, ", "))
	}
}

// The store is imported by the wiring and the test kit only — by no
// service, adapter or test of another package.
func TestStoreIsAnAdapter(t *testing.T) {
	for _, p := range listPackages(t) {
		name, _ := short(p.ImportPath)
		if slices.Contains(storeImporters, name) {
			continue
		}
		for kind, imps := range map[string][]string{"code": p.Imports, "tests": p.TestImports, "external tests": p.XTestImports} {
			if slices.Contains(imps, module+"/internal/store") {
				t.Errorf("the %s of %s imports the store; reach it through the service's interfaces (tests: through internal/testkit)", kind, name)
			}
		}
	}
}

// The domain imports no other Custos package, tests included, so every
// room may depend on it.
func TestDomainImportsNothingOfOurs(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.ImportPath != module+"/internal/domain" {
			continue
		}
		for _, imp := range slices.Concat(p.Imports, p.TestImports) {
			if dep, ours := short(imp); ours && dep != "domain" {
				t.Errorf("domain imports %s", dep)
			}
		}
		return
	}
	t.Fatal("go list did not report internal/domain")
}
