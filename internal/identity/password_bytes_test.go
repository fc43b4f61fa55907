package identity_test

import (
	"context"
	"testing"

	"github.com/custoscrm/custos/internal/identity"
)

// earlierHashes were made by Custos before invalid UTF-8 was refused at
// the API: the hasher and the stored format are unchanged, so each must
// still verify its password exactly. The last one is what a client
// sending four 0xff bytes got then (the JSON decoder had replaced them
// with U+FFFD).
var earlierHashes = []struct{ password, hash string }{
	{"Tea at four by the harbour, then the night ferry home", "$argon2id$v=19$m=19456,t=2,p=1$wuikf8e4wdKuKJe+S/LPtw$ZAy+mH7FDXOzLcP/J4ZSnxxXnX+oTEbdhiu3UiNrn8E"},
	{"correct horse battery staple", "$argon2id$v=19$m=64,t=1,p=1$r/2jodUOQ+JlxtsYfuaq2g$Bjo6hNJ8w5ii2Kh9qqbIiBmihX3aM7ssZMMhdRlDYJI"},
	{"春眠不觉晓处处闻啼鸟夜来风雨声", "$argon2id$v=19$m=64,t=1,p=1$CR97VPSrXmY89LdAGq/Yzw$jYQGPuv1lmBzbKfOV0D2JhofUCtNSjUOAnHcMbsGTFc"},
	{"Cafe\u0301 au lait on the Quai d'Orsay", "$argon2id$v=19$m=64,t=1,p=1$NkFdfGcKIBVT7XDRToQ9JQ$YkYQHeNZEubjsGklo632yvfRMBHZevBFOo1/ODQuoKQ"},
	{"\uFFFD\uFFFD\uFFFD\uFFFD then a long passphrase", "$argon2id$v=19$m=64,t=1,p=1$8P3PuczFaf7gZj0seJ08MA$ijBpXtsQ13bPSnDzXB4/uey9kqOIZH/c4dOkfTJWrIM"},
}

// TestEarlierHashesStillVerify checks hashes made before this version
// against their passwords, and that verification compares the exact
// bytes: no Unicode normalization (the decomposed é does not match the
// composed one), and bytes that are not UTF-8 match nothing, not even the
// U+FFFD they used to be turned into.
func TestEarlierHashesStillVerify(t *testing.T) {
	h := identity.NewHasher(identity.OWASPMinimum, 1)
	ctx := context.Background()
	for _, e := range earlierHashes {
		ok, _, err := h.Verify(ctx, e.hash, e.password)
		if err != nil || !ok {
			t.Errorf("%q no longer verifies: %v", e.password, err)
		}
	}
	for i, pw := range map[int]string{
		3: "Caf\u00e9 au lait on the Quai d'Orsay",
		4: "\xff\xff\xff\xff then a long passphrase",
	} {
		if ok, _, err := h.Verify(ctx, earlierHashes[i].hash, pw); err != nil || ok {
			t.Errorf("%q matched the hash of %q (%v)", pw, earlierHashes[i].password, err)
		}
	}
	for _, pw := range []string{"\xfe\xfe\xfe\xfe then a long passphrase", "\x80\x81\x82\x83 then a long passphrase"} {
		if ok, _, _ := h.Verify(ctx, earlierHashes[4].hash, pw); ok {
			t.Errorf("%q matched", pw)
		}
	}
}
