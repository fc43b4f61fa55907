package csvimport_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/custoscrm/custos/internal/csvimport"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
)

func opener(b []byte) csvimport.Opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func inspect(t testing.TB, b []byte, kind domain.ImportKind) (*csvimport.File, error) {
	t.Helper()
	return csvimport.Inspect(opener(b), kind, nil)
}

// readAll reads every row of a file that must be accepted.
func readAll(t *testing.T, b []byte, kind domain.ImportKind) (*csvimport.File, []records.ImportRow) {
	t.Helper()
	f, err := inspect(t, b, kind)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	rd, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.(io.Closer).Close()
	var rows []records.ImportRow
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return f, rows
		}
		if err != nil {
			t.Fatalf("row %d: %v", len(rows)+1, err)
		}
		rows = append(rows, row)
	}
}

func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReader(t *testing.T) {
	in := "\xEF\xBB\xBFName,Phone,TAGS,owner,address\r\n张伟,138 0013 8000,vip;north,rep@x.example.com,科技园路1号\r\n\"Smith, Ann\",'+8613900139000,,,\r\n"
	f, rows := readAll(t, []byte(in), domain.ImportCustomers)
	if f.Encoding() != "utf-8-bom" || f.Rows() != 2 || len(rows) != 2 {
		t.Fatalf("%s, %d rows, read %d", f.Encoding(), f.Rows(), len(rows))
	}
	row := rows[0]
	if row.Line != 2 || row.Customer.Name != "张伟" || row.Customer.Phone != "138 0013 8000" ||
		len(row.Customer.Tags) != 2 || row.Owner != "rep@x.example.com" || row.Customer.Address.Street != "科技园路1号" ||
		len(row.Cells) != 5 || row.Cells[0] != "张伟" {
		t.Fatalf("row 1: %+v", row)
	}
	// A cell an export protected with a leading ' reads back without it.
	if row := rows[1]; row.Customer.Name != "Smith, Ann" || row.Customer.Phone != "+8613900139000" || row.Customer.Address != nil {
		t.Fatalf("row 2: %+v", row)
	}

	_, rows = readAll(t, []byte("customer_phone,Name,title\n13800138000,王芳,采购经理\n"), domain.ImportContacts)
	if c := rows[0]; c.Contact.Name != "王芳" || c.Contact.Title != "采购经理" || len(c.Refs) != 1 || c.Refs[0] != (records.CustomerRef{Column: "customer_phone", Value: "13800138000"}) {
		t.Fatalf("contact: %+v", c)
	}
	_, rows = readAll(t, []byte("customer_id,title,amount,currency,stage,owner\ncus_x,年度合同,12345.67,cny,Won,rep@x.example.com\n"), domain.ImportDeals)
	if d := rows[0]; d.Deal.Title != "年度合同" || d.Deal.Amount == nil || *d.Deal.Amount != "12345.67" || d.Deal.Currency != "CNY" ||
		d.Deal.Stage != domain.StageWon || d.Owner != "rep@x.example.com" || d.Refs[0].Value != "cus_x" {
		t.Fatalf("deal: %+v", d)
	}
}

// TestReaderRefusesBadFiles: files that cannot be imported at all are
// refused before any row is read.
func TestReaderRefusesBadFiles(t *testing.T) {
	for name, c := range map[string]struct {
		in   string
		kind domain.ImportKind
	}{
		"empty":             {"", domain.ImportCustomers},
		"unknown column":    {"name,password\n", domain.ImportCustomers},
		"no name":           {"phone\n", domain.ImportCustomers},
		"twice":             {"name,Name\n", domain.ImportCustomers},
		"street+address":    {"name,street,address\n", domain.ImportCustomers},
		"bad quote":         {"name,\"phone\n", domain.ImportCustomers},
		"contact, no ref":   {"name,phone\n", domain.ImportContacts},
		"deal, no title":    {"customer_id,amount\n", domain.ImportDeals},
		"customer column":   {"name,customer_id\n", domain.ImportCustomers},
		"deal column":       {"name,customer_id,amount\n", domain.ImportContacts},
		"kind's own column": {"customer_id,title,tax_id\n", domain.ImportDeals},
	} {
		var fe *csvimport.FileError
		if _, err := inspect(t, []byte(c.in), c.kind); !errors.As(err, &fe) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestReaderRowProblems: a row with problems comes with all of them, and
// reading goes on.
func TestReaderRowProblems(t *testing.T) {
	long := strings.Repeat("9", csvimport.MaxFieldBytes+1)
	_, rows := readAll(t, []byte("name,phone,email\na,1,extra,more\nb,"+long+","+long+"\nc,\"bad\"quote,x\nd,2,e@x.example.com\n"), domain.ImportCustomers)
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	if p := rows[0].Problems; len(p) != 1 || p[0].Line != 2 || !strings.Contains(p[0].Message, "4 fields, the header 3") || rows[0].Customer.Name != "a" {
		t.Errorf("row with extra fields: %+v", rows[0])
	}
	if p := rows[1].Problems; len(p) != 2 || p[0].Field != "phone" || p[1].Field != "email" || rows[1].Customer.Phone != "" {
		t.Errorf("row with two long cells: %+v", p)
	}
	if p := rows[2].Problems; len(p) != 1 || p[0].Line != 4 || rows[2].Cells != nil {
		t.Errorf("row with a bad quote: %+v", rows[2])
	}
	if rows[3].Line != 5 || len(rows[3].Problems) != 0 {
		t.Errorf("the row after: %+v", rows[3])
	}
}

const sample = "name,phone,city\n张伟,13800138000,深圳市\n李娜,13900139000,广州市\n\"王 芳\",13700137000,北京市\n"

// TestEncodings: one file saved as UTF-8, UTF-8 with a byte-order mark,
// UTF-16 (both byte orders, with a mark), GBK and GB18030 reads the same.
func TestEncodings(t *testing.T) {
	_, want := readAll(t, []byte(sample), domain.ImportCustomers)
	for name, c := range map[string]struct {
		b   []byte
		enc string
	}{
		"utf-8":       {[]byte(sample), "utf-8"},
		"utf-8 bom":   {append([]byte{0xEF, 0xBB, 0xBF}, sample...), "utf-8-bom"},
		"utf-16le":    {encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), sample), "utf-16le"},
		"utf-16be":    {encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), sample), "utf-16be"},
		"gbk":         {encode(t, simplifiedchinese.GBK, sample), "gb18030"},
		"gb18030":     {encode(t, simplifiedchinese.GB18030, sample+"𠮷,13600136000,\n"), "gb18030"},
		"gb18030 bom": {append([]byte{0x84, 0x31, 0x95, 0x33}, encode(t, simplifiedchinese.GB18030, sample)...), "gb18030-bom"},
	} {
		f, rows := readAll(t, c.b, domain.ImportCustomers)
		if f.Encoding() != c.enc {
			t.Errorf("%s: read as %s", name, f.Encoding())
		}
		for i, w := range want {
			if rows[i].Customer.Name != w.Customer.Name || rows[i].Customer.Address.City != w.Customer.Address.City || rows[i].Line != w.Line {
				t.Errorf("%s: row %d is %+v, want %+v", name, i, rows[i].Customer, w.Customer)
			}
		}
		if name == "gb18030" && rows[3].Customer.Name != "𠮷" {
			t.Errorf("a four-byte GB18030 character read as %q", rows[3].Customer.Name)
		}
	}
}

// TestEncodingRefusals: files in no accepted encoding are refused naming
// the line and byte, in plain ASCII, never repeating the content.
func TestEncodingRefusals(t *testing.T) {
	utf8Rows := "name,phone\n张伟,13800138000\n"
	gbkRow := encode(t, simplifiedchinese.GBK, "李娜,13900139000\n")
	utf16 := encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), sample)
	for name, c := range map[string]struct {
		b    []byte
		want []string
	}{
		// Rows saved in two encodings: UTF-8 lines beside GBK lines.
		"mixed":              {append([]byte(utf8Rows), gbkRow...), []string{"mixes encodings", "line 2 is UTF-8 and line 3 is not"}},
		"mixed, gbk first":   {append(append([]byte("name,phone\n"), gbkRow...), "张伟,13800138000\n"...), []string{"mixes encodings", "line 3 is UTF-8 and line 2 is not"}},
		"utf-8 truncated":    {[]byte(utf8Rows + "李")[:len(utf8Rows)+2], []string{"UTF-8 but ends in the middle of a character", "line 3, byte 30"}},
		"gbk truncated":      {encode(t, simplifiedchinese.GBK, "name\n李娜\n张")[:11], []string{"ends in the middle of a character", "line 3"}},
		"utf-16 truncated":   {utf16[:len(utf16)-1], []string{"ends in the middle of a character", "line 4"}},
		"utf-16 lone half":   {append(encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "name\nab"), 0x00, 0xD8, 'c', 0), []string{"not valid utf-16le", "line 2"}},
		"utf-16 without bom": {encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), sample), []string{"NUL byte", "UTF-16 saved without a byte-order mark", "line 1, byte 1"}},
		"neither":            {[]byte("name\nabc\n\xff\xfe\xfd\n"), []string{"neither UTF-8 (not valid at line 3, byte 9) nor GB18030", "line 3, byte 9"}},
		"huge line":          {[]byte("name,street\na," + strings.Repeat("长", csvimport.MaxLineBytes/3+10) + "\n"), []string{"line 2 is longer than 65536 bytes"}},
		"nul in utf-16":      {encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "name\na\x00b\n"), []string{"line 2 holds a NUL character"}},
	} {
		_, err := inspect(t, c.b, domain.ImportCustomers)
		var fe *csvimport.FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q, want %q", name, err, w)
			}
		}
		if !isASCII(err.Error()) || strings.Contains(err.Error(), "1380013") || strings.Contains(err.Error(), "abc") {
			t.Errorf("%s: the error repeats the file: %q", name, err)
		}
	}
}

// TestReaderNeverEchoes refuses files that are not import files, naming
// the column but never the content.
func TestReaderNeverEchoes(t *testing.T) {
	for name, in := range map[string]string{
		"shadow":    "root:$6$Zx9secret$hash:19000:0:99999:7:::\n",
		"unknown":   "name,télé\n",
		"gbk names": string(encode(t, simplifiedchinese.GBK, "姓名,电话\n")),
	} {
		_, err := inspect(t, []byte(in), domain.ImportCustomers)
		if err == nil || !strings.Contains(err.Error(), "is not a known column") {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "root") || !isASCII(err.Error())) {
			t.Errorf("%s: the error repeats the file: %v", name, err)
		}
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

// FuzzReader reads arbitrary files of every kind: no panic, every refusal
// is plain ASCII naming a line no larger than the file's, every row holds
// valid UTF-8, and the count of rows matches what is read.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"name,phone\na,1\n", "name\n\"x\"\"y\"\n", "\xEF\xBB\xBFname,tags\nz,a;b|c\n", "name,\"\n", "kind,name\nperson\n",
		"name\n\xff\n", "na\xffme\n", "\xff\xfen\x00a\x00m\x00e\x00", "\xfe\xff\x00n\x00a\x00m\x00e", "\x841\x953name\n\x81\x30\x81\x30\n",
		"name,street\n\"a\n\xe9\",1\n", "name,city\n\xed\xa0\x80,\xc0\xaf\n", "root:x:0:0::/root:/bin/sh\n", "name\n\xd5\xc5\xce\xb0\n",
		"customer_id,name\ncus_1,x\n", "customer_phone,title,amount\n1,t,1.5\n"} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, b []byte, k uint8) {
		kind := domain.ImportKinds[int(k)%len(domain.ImportKinds)]
		lines := bytes.Count(b, []byte("\n")) + 1
		file, err := inspect(t, b, kind)
		if err != nil {
			var fe *csvimport.FileError
			if !errors.As(err, &fe) || !isASCII(err.Error()) || fe.Line > lines {
				t.Fatalf("refusal %q (%T)", err, err)
			}
			return
		}
		rd, err := file.Open()
		if err != nil {
			t.Fatalf("open after inspect: %v", err)
		}
		n := 0
		for ; ; n++ {
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("row error after inspect: %v", err)
			}
			if row.Line < 2 || row.Line > lines {
				t.Fatalf("row line %d of %d", row.Line, lines)
			}
			for _, p := range row.Problems {
				if !isASCII(p.Message) {
					t.Fatalf("problem %q is not plain ASCII", p.Message)
				}
			}
			in, c, d := row.Customer, row.Contact, row.Deal
			values := append([]string{in.Name, in.Phone, in.Email, in.IDNumber, in.TaxID, in.BankAccount, in.Company,
				in.Industry, row.Owner, string(in.Kind), string(in.Status), string(in.IDType), c.Name, c.Phone, c.Email, c.Title,
				d.Title, d.Currency, string(d.Stage), d.ExpectedClose}, in.Tags...)
			values = append(values, row.Cells...)
			for _, r := range row.Refs {
				values = append(values, r.Value)
			}
			for _, v := range values {
				if !utf8.ValidString(v) {
					t.Fatalf("row %d holds a value that is not UTF-8", row.Line)
				}
			}
		}
		if n != file.Rows() {
			t.Fatalf("counted %d rows, read %d", file.Rows(), n)
		}
	})
}
