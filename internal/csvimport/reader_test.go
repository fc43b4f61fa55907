package csvimport_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

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

// TestReaderNeverEchoes refuses files that are not UTF-8 or not customer
// lists, naming the line, column and byte offset but never the content.
func TestReaderNeverEchoes(t *testing.T) {
	for name, c := range map[string]struct{ in, want string }{
		"shadow":      {"root:$6$Zx9secret$hash:19000:0:99999:7:::\n", "column 1 of the header is not a known column"},
		"header":      {"name,t\xe9l\n", "the name of column 2 is not valid UTF-8 (byte 1 of the name)"},
		"utf-16":      {"\xff\xfen\x00a\x00m\x00e\x00\n\x00", "column 1 is not valid UTF-8 (byte 0 of the name)"},
		"upper bytes": {"NAME,PH\xd6NE\n", "column 2 is not valid UTF-8"},
	} {
		_, err := csvimport.NewReader(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "root") || !isASCII(err.Error())) {
			t.Errorf("%s: the error repeats the file: %v", name, err)
		}
	}
	r, err := csvimport.NewReader(strings.NewReader("name,street\n\"Ann\nSmith\",\"1 Harbour\n\nRoad \xe9\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var fe *csvimport.FileError
	if !errors.As(err, &fe) || fe.Line != 3 || fe.Column != "street" || !strings.Contains(fe.Message, "byte 16 of the cell") || strings.Contains(err.Error(), "Harbour") {
		t.Errorf("bad cell: %v", err)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzReader reads arbitrary files: no panic, every error is a FileError
// naming a line no larger than the file's in ASCII text (so it repeats no
// bytes of a file that is not UTF-8, and no name or value in any script),
// and rows hold valid UTF-8.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"name,phone\na,1\n", "name\n\"x\"\"y\"\n", "\xEF\xBB\xBFname,tags\nz,a;b|c\n", "name,\"\n", "kind,name\nperson\n",
		"name\n\xff\n", "na\xffme\n", "\xff\xfen\x00a\x00m\x00e\x00", "name,street\n\"a\n\xe9\",1\n", "name,city\n\xed\xa0\x80,\xc0\xaf\n", "root:x:0:0::/root:/bin/sh\n"} {
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
			if !isASCII(err.Error()) {
				t.Fatalf("header error %q is not plain ASCII", err)
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
				if !errors.As(err, &fe) || fe.Line > lines || !isASCII(err.Error()) {
					t.Fatalf("row error %q", err)
				}
				if fe.Line == 0 {
					return
				}
				continue
			}
			if row.Line < 2 || row.Line > lines {
				t.Fatalf("row line %d of %d", row.Line, lines)
			}
			in := row.Input
			values := append([]string{in.Name, in.Phone, in.Email, in.IDNumber, in.TaxID, in.BankAccount, in.Company,
				in.Industry, row.Owner, string(in.Kind), string(in.Status), string(in.IDType)}, in.Tags...)
			if in.Address != nil {
				values = append(values, in.Address.Province, in.Address.City, in.Address.District, in.Address.Street)
			}
			for _, v := range values {
				if !utf8.ValidString(v) {
					t.Fatalf("row %d holds a value that is not UTF-8", row.Line)
				}
			}
		}
	})
}
