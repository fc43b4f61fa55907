package keylifecycle_test

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/keylifecycle"
	"github.com/custoscrm/custos/internal/testkit"
	"github.com/custoscrm/custos/internal/vault"
)

// BenchmarkRewrapMillion measures a master key rotation over a million
// data keys (CUSTOS_BENCH_REWRAP_KEYS changes the count). Each iteration
// is one full rotation: every data key's outer layer is unwrapped under
// the old version and wrapped under the new one, in batches, with
// progress recorded, exactly as `custos keys rotate` does. The keys are
// inserted in bulk first (not timed); their inner layer is one shared
// realistic-size blob, which rotation never opens.
// CUSTOS_BENCH_PROVIDER=pkcs11 runs it against SoftHSM.
//
//	go test ./internal/keylifecycle -run '^$' -bench RewrapMillion -benchtime 1x -timeout 30m
func BenchmarkRewrapMillion(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CUSTOS_BENCH_REWRAP_KEYS")); err == nil && v > 0 {
		n = v
	}
	for _, d := range testkit.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			cfg := fastKeys
			if os.Getenv("CUSTOS_BENCH_PROVIDER") == "pkcs11" {
				hsm := testkit.SoftHSM(b)
				cfg = func(c *config.Config) {
					fastKeys(c)
					c.MasterKeyProvider = config.ProviderPKCS11
					c.PKCS11Module, c.PKCS11Token, c.PKCS11PIN, c.PKCS11KeyLabel = hsm.Module, hsm.Token, hsm.PIN, testkit.UniqueLabel()
				}
			}
			a := testkit.NewApp(b, d, testkit.AppOptions{Config: cfg})
			ctx := context.Background()
			inner := make([]byte, 1+8+12+32+16)
			_, _ = rand.Read(inner)
			start := time.Now()
			const chunk = 20000
			batch := make([]vault.WrappedKey, 0, chunk)
			for i := 0; i < n; i++ {
				id := domain.NewID(domain.KindDataKey)
				v, w, err := a.Keyring.Wrap(ctx, inner, vault.DataKeyAAD(id))
				if err != nil {
					b.Fatal(err)
				}
				batch = append(batch, vault.WrappedKey{ID: id, KEKVersion: v, Wrapped: w, Leaf: uint64(i)})
				if len(batch) == chunk || i == n-1 {
					if err := a.Store.DataKeys.InsertDataKeys(ctx, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			b.Logf("inserted %d wrapped data keys in %s", n, time.Since(start).Round(time.Millisecond))
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				rot, err := a.Keys.RotateMaster(a.System(), keylifecycle.RotateOptions{BatchSize: 5000})
				if err != nil {
					b.Fatal(err)
				}
				el := time.Since(t0)
				if rot.Done < int64(n) {
					b.Fatalf("rewrapped %d of %d", rot.Done, n)
				}
				b.ReportMetric(float64(rot.Done)/el.Seconds(), "keys/s")
				b.Logf("rotation v%d→v%d rewrapped %d data keys in %s", rot.From, rot.To, rot.Done, el.Round(time.Millisecond))
			}
		})
	}
}
