package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/store"
	"github.com/custoscrm/custos/internal/vault"
)

// DataKeyOf returns the wrapped data key of a customer as stored.
func DataKeyOf(a *TestApp, customer domain.ID) (vault.WrappedKey, error) {
	return a.Store.DataKeys.DataKeyOfCustomer(context.Background(), customer)
}

// SetDataKey overwrites a stored data key (tests simulate a row restored
// from an old backup).
func SetDataKey(a *TestApp, wk vault.WrappedKey) error {
	return a.Store.DataKeys.ReplaceDataKeyForTest(context.Background(), wk)
}

// AddDeal stores a deal for customer (the deal API is not part of this
// package's concerns; erasure tests need one to see it survive).
func AddDeal(a *TestApp, customer domain.ID, amountMinor int64) error {
	now := time.Now().UnixMicro()
	return a.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO deals (id, customer_id, title, amount_minor, currency, stage, created_at, updated_at)
			VALUES (?, ?, 'Annual contract', ?, 'CNY', 'won', ?, ?)`, string(domain.NewID(domain.KindDeal)), string(customer), amountMinor, now, now)
		return err
	})
}

// DealAmount sums the amounts of a customer's deals.
func DealAmount(a *TestApp, customer domain.ID) (int64, error) {
	var n int64
	err := a.Store.Write(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount_minor), 0) FROM deals WHERE customer_id = ?`, string(customer)).Scan(&n)
	})
	return n, err
}

// UniqueLabel returns a PKCS#11 key label no other test uses.
func UniqueLabel() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "custos-test-" + hex.EncodeToString(b[:])
}
