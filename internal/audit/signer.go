package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/vault"
)

// KeyName is the signer name on every checkpoint signature.
const KeyName = "custos-audit"

// Signer signs checkpoints with the log's Ed25519 key.
type Signer struct {
	origin   string
	vkey     string
	signer   note.Signer
	verifier note.Verifier
}

// Origin returns the log's origin line.
func (s *Signer) Origin() string { return s.origin }

// VerifierKey returns the public verifier key (signed-note format), for
// verification off the box.
func (s *Signer) VerifierKey() string { return s.vkey }

// Verifier returns the verifier of the signer's signatures.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// Sign returns the signed checkpoint of a tree.
func (s *Signer) Sign(t domain.AuditTree) (*Checkpoint, error) {
	return SignCheckpoint(s.signer, s.origin, t.Size, t.Root)
}

// SigningKeyName is the name the checkpoint key of version is sealed
// under (its wrapping's associated data).
func SigningKeyName(version int) string { return "audit-checkpoint-key/" + strconv.Itoa(version) }

// LoadSigner returns the checkpoint signer. The key is an Ed25519
// signed-note key generated on first use and stored in the database
// sealed under the master key (vault.WrapNamed, bound to its name), with
// its public verifier key and the log's origin beside it in clear. A
// stored verifier that does not match the sealed private key is refused:
// it would mean the key row was replaced.
func LoadSigner(ctx context.Context, st Store, v *vault.Vault, now time.Time) (*Signer, error) {
	k, err := st.AuditSigningKey(ctx)
	if err != nil {
		return nil, err
	}
	if k == nil {
		if err := createSigningKey(ctx, st, v, now); err != nil {
			return nil, err
		}
		if k, err = st.AuditSigningKey(ctx); err != nil {
			return nil, err
		}
		if k == nil {
			return nil, fmt.Errorf("audit signing key vanished after creation")
		}
	}
	return OpenSigner(ctx, k, v)
}

// OpenSigner unwraps a stored signing key and checks it against its
// stored verifier.
func OpenSigner(ctx context.Context, k *domain.AuditSigningKey, v *vault.Vault) (*Signer, error) {
	raw, err := v.UnwrapNamed(ctx, SigningKeyName(k.Version), k.KEKVersion, k.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("audit signing key v%d does not unwrap under master key v%d: %w", k.Version, k.KEKVersion, err)
	}
	skey := string(raw)
	clear(raw)
	sg, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("audit signing key v%d: %w", k.Version, err)
	}
	ver, err := note.NewVerifier(k.Verifier)
	if err != nil {
		return nil, fmt.Errorf("audit verifier key v%d: %w", k.Version, err)
	}
	probe := []byte("custos audit key check\n")
	sig, err := sg.Sign(probe)
	if err != nil || ver.Name() != sg.Name() || ver.KeyHash() != sg.KeyHash() || !ver.Verify(probe, sig) {
		return nil, fmt.Errorf("the stored audit verifier key does not match the sealed signing key (v%d): the key record was altered", k.Version)
	}
	return &Signer{origin: k.Origin, vkey: k.Verifier, signer: sg, verifier: ver}, nil
}

func createSigningKey(ctx context.Context, st Store, v *vault.Vault, now time.Time) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, KeyName)
	if err != nil {
		return fmt.Errorf("generate audit signing key: %w", err)
	}
	const version = 1
	kv, wrapped, err := v.WrapNamed(ctx, SigningKeyName(version), []byte(skey))
	if err != nil {
		return fmt.Errorf("wrap audit signing key: %w", err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	return st.CreateAuditSigningKey(ctx, &domain.AuditSigningKey{
		Version: version, Origin: "custos/audit/" + hex.EncodeToString(id[:]), Verifier: vkey,
		KEKVersion: kv, Wrapped: wrapped, CreatedAt: now,
	})
}
