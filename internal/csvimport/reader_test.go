package csvimport_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/csvimport"
)

func TestReader(t *testing.T) {
	in := "\xEF\xBB\xBFName,Phone,TAGS,owner,address\r\n张伟,138 0013 8000,vip;north,rep@x.example.com,科技园路1号\r\n\"Smith, Ann\",,,,\r\n"
	r, err := csvimport.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil || row.Line != 2 || row.Input.Name != "张伟" || row.Input.Phone != "138 0013 8000" ||
		len(row.Input.Tags) != 2 || row.Owner != "rep@x.example.com" || row.Input.Address.Street != "科技园路1号" {
		t.Fatalf("row 1: %+v %v", row, err)
	}
	row, err = r.Next()
	if err != nil || row.Input.Name != "Smith, Ann" || row.Input.Phone != "" || row.Input.Address != nil {
		t.Fatalf("row 2: %+v %v", row, err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestReaderRefusesBadFiles(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "",
		"unknown column": "name,password\n",
		"no name":        "phone\n",
		"twice":          "name,Name\n",
		"street+address": "name,street,address\n",
		"bad quote":      "name,\"phone\n",
	} {
		if _, err := csvimport.NewReader(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r, _ := csvimport.NewReader(strings.NewReader("name,phone\na,1,extra\n" + "b," + strings.Repeat("9", csvimport.MaxFieldBytes+1) + "\nc,\xff\n"))
	for i, want := range []string{"number of fields", "longer than", "UTF-8"} {
		_, err := r.Next()
		var fe *csvimport.FileError
		if !errors.As(err, &fe) || fe.Line != i+2 || !strings.Contains(fe.Message, want) {
			t.Errorf("row %d: %v, want line %d mentioning %q", i, err, i+2, want)
		}
	}
}

// FuzzReader reads arbitrary files: no panic, every error is a FileError
// naming a line no larger than the file's, and rows hold valid UTF-8.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"name,phone\na,1\n", "name\n\"x\"\"y\"\n", "\xEF\xBB\xBFname,tags\nz,a;b|c\n", "name,\"\n", "kind,name\nperson\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := bytes.Count(b, []byte("\n")) + 1
		r, err := csvimport.NewReader(bytes.NewReader(b))
		if err != nil {
			var fe *csvimport.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("header error is %T", err)
			}
			return
		}
		for i := 0; i < 10000; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var fe *csvimport.FileError
			if err != nil {
				if !errors.As(err, &fe) || fe.Line > lines {
					t.Fatalf("row error %v", err)
				}
				if fe.Line == 0 {
					return
				}
				continue
			}
			if row.Line < 2 || row.Line > lines {
				t.Fatalf("row line %d of %d", row.Line, lines)
			}
		}
	})
}
