package jsonapi_test

import (
	"strings"
	"testing"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/jsonapi"
)

// Bodies the decode benchmarks read: a typical customer create (with a
// nested address and Chinese text), a sign-in, and a long note.
var (
	benchCustomerBody = []byte(`{"name":"张伟","phone":"138 0013 8000","email":"zhang.wei@example.com",` +
		`"address":{"province":"广东省","city":"深圳市","district":"南山区","street":"科技园路1号"},` +
		`"id_number":"11010519491231002X","company":"恒信商贸","industry":"retail","tags":["vip","north"],"status":"lead"}`)
	benchLoginBody = []byte(`{"email":"li.na@example.com","password":"correct horse battery staple"}`)
	benchNoteBody  = []byte(`{"customer_id":"cus_01jq0000000000000000000000","body":"` +
		strings.Repeat(`Visited the store; cold room at 4\u00b0C, 冷库温度正常. `, 64) + `"}`)
)

func benchDecode[T any](b *testing.B, body []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var v T
		if err := jsonapi.DecodeStrict(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

type benchLogin struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type benchNote struct {
	CustomerID string `json:"customer_id"`
	Body       string `json:"body"`
}

func BenchmarkDecodeStrict(b *testing.B) {
	b.Run("customer", func(b *testing.B) { benchDecode[domain.CustomerInput](b, benchCustomerBody) })
	b.Run("login", func(b *testing.B) { benchDecode[benchLogin](b, benchLoginBody) })
	b.Run("note", func(b *testing.B) { benchDecode[benchNote](b, benchNoteBody) })
}
