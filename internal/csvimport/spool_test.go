package csvimport_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/custoscrm/custos/internal/csvimport"
)

// TestSpool: what is written reads back whole, from independent readers,
// across chunk boundaries; nothing of it is left as a name in the
// directory, and the plaintext never reaches the disk.
func TestSpool(t *testing.T) {
	marker := []byte("13800138000 张伟 Sentinel-Street-9\n")
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 300 << 10} {
		dir := t.TempDir()
		s, err := csvimport.NewSpool(dir)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.Repeat(marker, size/len(marker)+1)[:size]
		// Written in uneven pieces, as an upload arrives.
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 7000)
			if _, err := s.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if _, err := s.Open(); err == nil {
			t.Fatal("a spool read before Finish")
		}
		if err := s.Finish(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("x")); err == nil {
			t.Error("a write after Finish was taken")
		}
		if s.Size() != int64(size) {
			t.Errorf("size %d, want %d", s.Size(), size)
		}
		for range 2 {
			r, err := s.Open()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%d bytes: read back %d bytes, %v", size, len(got), err)
			}
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Errorf("the spool left %d names in its directory (%v)", len(entries), err)
		}
		// The open file's bytes, through /proc, hold no plaintext.
		if fds, err := os.ReadDir("/proc/self/fd"); err == nil && size > len(marker) {
			found := false
			for _, fd := range fds {
				target, _ := os.Readlink("/proc/self/fd/" + fd.Name())
				if !bytes.Contains([]byte(target), []byte(dir)) {
					continue
				}
				raw, err := os.ReadFile("/proc/self/fd/" + fd.Name())
				if err != nil {
					continue
				}
				found = found || len(raw) > size
				if bytes.Contains(raw, []byte("Sentinel-Street")) || bytes.Contains(raw, []byte("13800138000")) {
					t.Errorf("%d bytes: the spool file holds plaintext", size)
				}
			}
			if !found {
				t.Errorf("%d bytes: the spool's file was not found among the open files", size)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
