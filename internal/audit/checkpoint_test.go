package audit

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func testSigner(t testing.TB, origin string) *Signer {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, KeyName)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &Signer{origin: origin, vkey: vkey, signer: s, verifier: v}
}

func TestCheckpointRoundTrip(t *testing.T) {
	s := testSigner(t, "custos/audit/test")
	root := tlog.RecordHash([]byte("x"))
	cp, err := SignCheckpoint(s.signer, s.origin, 42, root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(cp.Note), "custos/audit/test\n42\n"+FormatHash(root)+"\n\n— custos-audit ") {
		t.Fatalf("note: %q", cp.Note)
	}
	got, err := OpenCheckpoint(cp.Note, s.verifier, s.origin)
	if err != nil || got.Size != 42 || got.Root != root || got.Origin != s.origin {
		t.Fatalf("open: %+v %v", got, err)
	}
}

func TestCheckpointRejects(t *testing.T) {
	s := testSigner(t, "custos/audit/test")
	other := testSigner(t, "custos/audit/test")
	cp, err := SignCheckpoint(s.signer, s.origin, 42, tlog.RecordHash([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	good := string(cp.Note)
	forged, _ := SignCheckpoint(other.signer, s.origin, 42, tlog.RecordHash([]byte("x")))
	badText := func(text string) string {
		c, err := note.Sign(&note.Note{Text: text}, s.signer)
		if err != nil {
			t.Fatal(err)
		}
		return string(c)
	}
	for _, c := range []struct {
		name, msg string
		want      error
		origin    string
	}{
		{"SizeChanged", strings.Replace(good, "\n42\n", "\n43\n", 1), ErrCheckpointSignature, s.origin},
		{"RootChanged", strings.Replace(good, "\n42\n"+FormatHash(cp.Root), "\n42\n"+FormatHash(tlog.Hash{}), 1), ErrCheckpointSignature, s.origin},
		{"OtherKey", string(forged.Note), ErrCheckpointSignature, s.origin},
		{"Truncated", good[:len(good)-10], ErrCheckpointMalformed, s.origin},
		{"NoSignature", good[:strings.Index(good, "\n\n")+2], ErrCheckpointMalformed, s.origin},
		{"Empty", "", ErrCheckpointMalformed, s.origin},
		{"Huge", strings.Repeat("a", MaxCheckpointBytes+1), ErrCheckpointMalformed, s.origin},
		{"OtherOrigin", good, ErrCheckpointOrigin, "custos/audit/other"},
		{"TwoLines", badText("custos/audit/test\n42\n"), ErrCheckpointMalformed, s.origin},
		{"ExtraLine", badText("custos/audit/test\n42\n" + FormatHash(tlog.Hash{}) + "\nmore\n"), ErrCheckpointMalformed, s.origin},
		{"NegativeSize", badText("custos/audit/test\n-1\n" + FormatHash(tlog.Hash{}) + "\n"), ErrCheckpointMalformed, s.origin},
		{"LeadingZero", badText("custos/audit/test\n042\n" + FormatHash(tlog.Hash{}) + "\n"), ErrCheckpointMalformed, s.origin},
		{"ShortRoot", badText("custos/audit/test\n42\nAAAA\n"), ErrCheckpointMalformed, s.origin},
		{"EmptyOrigin", badText("\n42\n" + FormatHash(tlog.Hash{}) + "\n"), ErrCheckpointMalformed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := OpenCheckpoint([]byte(c.msg), s.verifier, c.origin)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestAnchorFileParse(t *testing.T) {
	s := testSigner(t, "custos/audit/test")
	var file []byte
	file = append(file, "custos audit anchors v1\nverifier "+s.vkey+"\norigin custos/audit/test\n\n"...)
	for _, n := range []int64{1, 5, 9} {
		cp, err := s.Sign(treeOf(n))
		if err != nil {
			t.Fatal(err)
		}
		file = append(append(file, cp.Note...), '\n')
	}
	af, err := ParseAnchorFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := af.Checkpoints(s.verifier, s.origin)
	if err != nil || len(cps) != 3 || cps[2].Size != 9 {
		t.Fatalf("checkpoints: %v %v", cps, err)
	}
	other := testSigner(t, "custos/audit/test")
	if _, err := af.Checkpoints(other.verifier, s.origin); err == nil || !strings.Contains(err.Error(), "verifier key") {
		t.Fatalf("another key accepted the file: %v", err)
	}
	good := string(file)
	for name, bad := range map[string]string{
		"NoHeader":        good[len("custos audit anchors v1\n"):],
		"TruncatedLine":   good[:len(good)-5],
		"NoTerminator":    good[:len(good)-1],
		"DoubleBlank":     strings.Replace(good, "\n\n", "\n\n\n", 1),
		"NotASignature":   strings.Replace(good, "— custos-audit", "- custos-audit", 1),
		"BadVerifier":     strings.Replace(good, "verifier custos-audit+", "verifier custos-audit-", 1),
		"NoOrigin":        strings.Replace(good, "origin custos", "origni custos", 1),
		"TextOnly":        "custos audit anchors v1\nverifier " + s.vkey + "\norigin o\n\ncustos/audit/test\n1\n",
		"TrailingGarbage": good + "junk\n",
	} {
		if _, err := ParseAnchorFile([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrAnchor) {
			t.Errorf("%s: %v is not an anchor file error", name, err)
		}
	}
	// Entries out of order (a rewritten file) are refused.
	cp9, _ := s.Sign(treeOf(9))
	cp1, _ := s.Sign(treeOf(1))
	swapped := "custos audit anchors v1\nverifier " + s.vkey + "\norigin custos/audit/test\n\n" + string(cp9.Note) + "\n" + string(cp1.Note) + "\n"
	af, err = ParseAnchorFile([]byte(swapped))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := af.Checkpoints(s.verifier, s.origin); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Fatalf("out of order: %v", err)
	}
}

// treeOf returns a tree state for tests (its root is not a real tree's).
func treeOf(n int64) domain.AuditTree {
	return domain.AuditTree{Size: n, Root: tlog.RecordHash([]byte{byte(n)})} //nolint:gosec // any byte will do
}

func FuzzOpenCheckpoint(f *testing.F) {
	s := testSigner(f, "custos/audit/fuzz")
	cp, err := SignCheckpoint(s.signer, s.origin, 7, tlog.RecordHash([]byte("x")))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cp.Note)
	f.Add([]byte("custos/audit/fuzz\n7\nAAAA\n\n— custos-audit AAAAAAA=\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := OpenCheckpoint(msg, s.verifier, s.origin)
		if err != nil {
			return
		}
		// Only notes signed by the key open, and they say what was signed.
		if c.Size < 0 || c.Origin != s.origin {
			t.Fatalf("accepted %+v", c)
		}
	})
}

func FuzzParseAnchorFile(f *testing.F) {
	s := testSigner(f, "custos/audit/fuzz")
	cp, _ := SignCheckpoint(s.signer, s.origin, 3, tlog.RecordHash([]byte("x")))
	good := "custos audit anchors v1\nverifier " + s.vkey + "\norigin custos/audit/fuzz\n\n" + string(cp.Note) + "\n"
	f.Add([]byte(good))
	f.Add([]byte("custos audit anchors v1\nverifier x\norigin y\n\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		af, err := ParseAnchorFile(data)
		if err != nil {
			if !errors.Is(err, ErrAnchor) {
				t.Fatalf("error %v is not an anchor file error", err)
			}
			return
		}
		cps, err := af.Checkpoints(s.verifier, s.origin)
		if err != nil {
			return
		}
		for i := 1; i < len(cps); i++ {
			if cps[i].Size < cps[i-1].Size {
				t.Fatal("accepted entries out of order")
			}
		}
	})
}
