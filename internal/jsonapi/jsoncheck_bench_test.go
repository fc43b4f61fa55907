package jsonapi

import (
	"strings"
	"testing"
)

// BenchmarkCheckJSON measures the pre-decode scan alone (UTF-8, surrogate
// escapes, duplicate names) on the bodies of BenchmarkDecodeStrict.
func BenchmarkCheckJSON(b *testing.B) {
	for name, body := range map[string][]byte{
		"customer": []byte(`{"name":"张伟","phone":"138 0013 8000","email":"zhang.wei@example.com",` +
			`"address":{"province":"广东省","city":"深圳市","district":"南山区","street":"科技园路1号"},` +
			`"id_number":"11010519491231002X","company":"恒信商贸","industry":"retail","tags":["vip","north"],"status":"lead"}`),
		"login": []byte(`{"email":"li.na@example.com","password":"correct horse battery staple"}`),
		"note": []byte(`{"customer_id":"cus_01jq0000000000000000000000","body":"` +
			strings.Repeat(`Visited the store; cold room at 4\u00b0C, 冷库温度正常. `, 64) + `"}`),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := checkJSON(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
