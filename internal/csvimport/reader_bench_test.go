package csvimport_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/custoscrm/custos/internal/csvimport"
	"github.com/custoscrm/custos/internal/domain"
)

// benchFile is n customer rows shaped like a real export: Chinese names
// and addresses, phones, emails, ID numbers.
func benchFile(n int) string {
	var b strings.Builder
	b.WriteString("kind,name,phone,email,province,city,district,street,id_type,id_number,industry,tags,status\n")
	for i := range n {
		fmt.Fprintf(&b, "person,杨建华%d,130%08d,user%d@example.com,广东省,深圳市,南山区,滨江大道%d号,cn_resident,11010119600102%04d,零售,vip;new,active\n",
			i, i, i, i%1000, i%10000)
	}
	return b.String()
}

// BenchmarkReader inspects a file (detection, counting) and reads every
// row of it, in each encoding: what an import costs before validation.
// Reported per row; bytes/s is of the file as saved.
//
//	go test -run '^$' -bench BenchmarkReader -benchtime 3x ./internal/csvimport/
func BenchmarkReader(b *testing.B) {
	const rows = 20000
	text := benchFile(rows)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"utf-8", []byte(text)},
		{"gbk", encode(b, simplifiedchinese.GBK, text)},
		{"utf-16le", encode(b, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				f, err := csvimport.Inspect(opener(c.data), domain.ImportCustomers, nil)
				if err != nil {
					b.Fatal(err)
				}
				rd, err := f.Open()
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := rd.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != rows {
					b.Fatalf("read %d rows of %d", n, rows)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
