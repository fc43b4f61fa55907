package masterkey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// PKCS11Config says how to reach the hardware security module.
type PKCS11Config struct {
	// Module is the path of the vendor's PKCS#11 library.
	Module string
	// TokenLabel selects the token.
	TokenLabel string
	// PIN is the token user's PIN.
	PIN string
	// KeyLabel prefixes the labels of Custos's objects on the token, so
	// several installations can share one token (default "custos").
	KeyLabel string
	// Sessions bounds concurrent operations (default 4).
	Sessions int
}

// PKCS11Provider keeps master keys in an HSM as non-extractable AES-256
// keys labelled KEYLABEL/master/vN; wrapping and unwrapping run inside the
// token with CKM_AES_GCM (96-bit random IV supplied per call and read
// back, in case the token substitutes its own). The erasure tree is a
// private data object on the token, sealed under a master key.
type PKCS11Provider struct {
	cfg      PKCS11Config
	ctx      *pkcs11.Ctx
	slot     uint
	sessions chan pkcs11.SessionHandle
	all      []pkcs11.SessionHandle

	t versionTable[pkcs11.ObjectHandle]
}

// OpenPKCS11 loads the module, finds the token and logs in. Each failure
// (no such library, no such token, wrong PIN) is reported plainly.
func OpenPKCS11(cfg PKCS11Config) (_ *PKCS11Provider, err error) {
	if cfg.Module == "" {
		return nil, errors.New("pkcs11: no module path given (--pkcs11-module)")
	}
	if cfg.TokenLabel == "" {
		return nil, errors.New("pkcs11: no token label given (--pkcs11-token)")
	}
	if cfg.PIN == "" {
		return nil, errors.New("pkcs11: no PIN given (set CUSTOS_PKCS11_PIN or give --pkcs11-pin-file)")
	}
	if cfg.KeyLabel == "" {
		cfg.KeyLabel = "custos"
	}
	if strings.ContainsAny(cfg.KeyLabel, "/\x00") || len(cfg.KeyLabel) > 64 {
		return nil, errors.New("pkcs11: the key label must be at most 64 characters without '/'")
	}
	if cfg.Sessions <= 0 {
		cfg.Sessions = 4
	}
	if st, serr := os.Stat(cfg.Module); serr != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("pkcs11: module %s is not a readable file", cfg.Module)
	}
	ctx, err := acquireModule(cfg.Module)
	if err != nil {
		return nil, err
	}
	p := &PKCS11Provider{cfg: cfg, ctx: ctx}
	defer func() {
		if err != nil {
			_ = p.Close()
		}
	}()
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: list slots: %w", err)
	}
	found := false
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err == nil && strings.TrimRight(ti.Label, " \x00") == cfg.TokenLabel {
			p.slot, found = s, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("pkcs11: no token labelled %q in module %s", cfg.TokenLabel, cfg.Module)
	}
	p.sessions = make(chan pkcs11.SessionHandle, cfg.Sessions)
	for i := 0; i < cfg.Sessions; i++ {
		sh, err := ctx.OpenSession(p.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return nil, fmt.Errorf("pkcs11: open session: %w", err)
		}
		p.all = append(p.all, sh)
		if i == 0 {
			err := ctx.Login(sh, pkcs11.CKU_USER, cfg.PIN)
			if isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
				// Another provider in this process logged the token in;
				// this one must still know the PIN.
				if !samePIN(cfg.Module, p.slot, cfg.PIN) {
					return nil, fmt.Errorf("pkcs11: wrong PIN for token %q", cfg.TokenLabel)
				}
				err = nil
			}
			if err != nil {
				if isCKR(err, pkcs11.CKR_PIN_INCORRECT) || isCKR(err, pkcs11.CKR_PIN_INVALID) || isCKR(err, pkcs11.CKR_PIN_LEN_RANGE) {
					return nil, fmt.Errorf("pkcs11: wrong PIN for token %q", cfg.TokenLabel)
				}
				if isCKR(err, pkcs11.CKR_PIN_LOCKED) {
					return nil, fmt.Errorf("pkcs11: the PIN of token %q is locked", cfg.TokenLabel)
				}
				return nil, fmt.Errorf("pkcs11: log in to token %q: %w", cfg.TokenLabel, err)
			}
			rememberPIN(cfg.Module, p.slot, cfg.PIN)
		}
		p.sessions <- sh
	}
	if err := p.reload(); err != nil {
		return nil, err
	}
	return p, nil
}

func isCKR(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

func (p *PKCS11Provider) session(ctx context.Context) (pkcs11.SessionHandle, func(), error) {
	select {
	case sh := <-p.sessions:
		return sh, func() { p.sessions <- sh }, nil
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

func (p *PKCS11Provider) masterLabel(v int) string {
	return p.cfg.KeyLabel + "/master/v" + strconv.Itoa(v)
}

func (p *PKCS11Provider) stateLabel() string { return p.cfg.KeyLabel + "/erasure-state" }

// find returns the objects matching template.
func (p *PKCS11Provider) find(sh pkcs11.SessionHandle, template []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := p.ctx.FindObjectsInit(sh, template); err != nil {
		return nil, fmt.Errorf("pkcs11: find objects: %w", err)
	}
	var out []pkcs11.ObjectHandle
	for {
		hs, _, err := p.ctx.FindObjects(sh, 64)
		if err != nil {
			_ = p.ctx.FindObjectsFinal(sh)
			return nil, fmt.Errorf("pkcs11: find objects: %w", err)
		}
		out = append(out, hs...)
		if len(hs) < 64 {
			break
		}
	}
	if err := p.ctx.FindObjectsFinal(sh); err != nil {
		return nil, fmt.Errorf("pkcs11: find objects: %w", err)
	}
	return out, nil
}

func (p *PKCS11Provider) label(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle) (string, error) {
	attrs, err := p.ctx.GetAttributeValue(sh, o, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
	if err != nil {
		return "", fmt.Errorf("pkcs11: read label: %w", err)
	}
	return string(attrs[0].Value), nil
}

// reload re-reads which master key versions the token holds.
func (p *PKCS11Provider) reload() error {
	sh, put, err := p.session(context.Background())
	if err != nil {
		return err
	}
	defer put()
	hs, err := p.find(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
	})
	if err != nil {
		return err
	}
	prefix := p.cfg.KeyLabel + "/master/v"
	keys := map[int]pkcs11.ObjectHandle{}
	for _, h := range hs {
		l, err := p.label(sh, h)
		if err != nil {
			return err
		}
		rest, ok := strings.CutPrefix(l, prefix)
		if !ok {
			continue
		}
		v, err := strconv.Atoi(rest)
		if err != nil || v < 1 || strconv.Itoa(v) != rest {
			continue
		}
		if _, dup := keys[v]; dup {
			return fmt.Errorf("pkcs11: token %q holds two keys labelled %s", p.cfg.TokenLabel, l)
		}
		keys[v] = h
	}
	p.t.set(keys, nil)
	return nil
}

func (p *PKCS11Provider) key(v int) (pkcs11.ObjectHandle, error) { return p.t.get(v, p.reload) }

// Name implements Provider.
func (p *PKCS11Provider) Name() string { return "pkcs11" }

// Versions implements Provider.
func (p *PKCS11Provider) Versions(context.Context) ([]int, error) { return p.t.versions(p.reload) }

const gcmIVSize, gcmTagBits = 12, 128

// Wrap implements Provider: AES-256-GCM inside the token; the output is
// IV || ciphertext || tag.
func (p *PKCS11Provider) Wrap(ctx context.Context, v int, plaintext, aad []byte) ([]byte, error) {
	h, err := p.key(v)
	if err != nil {
		return nil, err
	}
	sh, put, err := p.session(ctx)
	if err != nil {
		return nil, err
	}
	defer put()
	iv := make([]byte, gcmIVSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	params := pkcs11.NewGCMParams(iv, aad, gcmTagBits)
	defer params.Free()
	if err := p.ctx.EncryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, h); err != nil {
		return nil, fmt.Errorf("pkcs11: wrap under master key v%d: %w", v, err)
	}
	ct, err := p.ctx.Encrypt(sh, plaintext)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: wrap under master key v%d: %w", v, err)
	}
	if used := params.IV(); len(used) == gcmIVSize {
		iv = used
	}
	return append(iv, ct...), nil
}

// Unwrap implements Provider.
func (p *PKCS11Provider) Unwrap(ctx context.Context, v int, wrapped, aad []byte) ([]byte, error) {
	if len(wrapped) < gcmIVSize+gcmTagBits/8 {
		return nil, ErrUnwrap
	}
	h, err := p.key(v)
	if err != nil {
		return nil, err
	}
	sh, put, err := p.session(ctx)
	if err != nil {
		return nil, err
	}
	defer put()
	params := pkcs11.NewGCMParams(append([]byte(nil), wrapped[:gcmIVSize]...), aad, gcmTagBits)
	defer params.Free()
	if err := p.ctx.DecryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, h); err != nil {
		return nil, fmt.Errorf("pkcs11: unwrap under master key v%d: %w", v, err)
	}
	pt, err := p.ctx.Decrypt(sh, wrapped[gcmIVSize:])
	if err != nil {
		if isCKR(err, pkcs11.CKR_DEVICE_REMOVED) || isCKR(err, pkcs11.CKR_SESSION_HANDLE_INVALID) || isCKR(err, pkcs11.CKR_DEVICE_ERROR) {
			return nil, fmt.Errorf("pkcs11: unwrap under master key v%d: %w", v, err)
		}
		return nil, ErrUnwrap
	}
	return pt, nil
}

// Create implements Provider: a token-resident, sensitive,
// non-extractable AES-256 key that can only encrypt and decrypt.
func (p *PKCS11Provider) Create(ctx context.Context, v int) error {
	if _, err := p.key(v); err == nil {
		return fmt.Errorf("%w: version %d", ErrVersionExists, v)
	}
	sh, put, err := p.session(ctx)
	if err != nil {
		return err
	}
	label := p.masterLabel(v)
	_, err = p.ctx.GenerateKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, []byte(label)),
	})
	put()
	if err != nil {
		return fmt.Errorf("pkcs11: generate master key v%d: %w", v, err)
	}
	return p.reload()
}

// Destroy implements Provider.
func (p *PKCS11Provider) Destroy(ctx context.Context, v int) error {
	h, err := p.key(v)
	if err != nil {
		return err
	}
	vs, err := p.Versions(ctx)
	if err != nil {
		return err
	}
	if len(vs) == 1 {
		return errors.New("refusing to destroy the last master key version")
	}
	sh, put, err := p.session(ctx)
	if err != nil {
		return err
	}
	err = p.ctx.DestroyObject(sh, h)
	put()
	if err != nil {
		return fmt.Errorf("pkcs11: destroy master key v%d: %w", v, err)
	}
	return p.reload()
}

// stateObjects returns the erasure-state data objects with their
// generation (kept in CKA_ID), newest first.
func (p *PKCS11Provider) stateObjects(sh pkcs11.SessionHandle) ([]pkcs11.ObjectHandle, []uint64, error) {
	hs, err := p.find(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, p.stateLabel()),
	})
	if err != nil {
		return nil, nil, err
	}
	gens := make([]uint64, len(hs))
	for i, h := range hs {
		attrs, err := p.ctx.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_OBJECT_ID, nil)})
		if err != nil {
			return nil, nil, fmt.Errorf("pkcs11: read erasure state: %w", err)
		}
		if len(attrs[0].Value) == 8 {
			gens[i] = binary.BigEndian.Uint64(attrs[0].Value)
		}
	}
	idx := make([]int, len(hs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return gens[idx[a]] > gens[idx[b]] })
	oh := make([]pkcs11.ObjectHandle, len(hs))
	og := make([]uint64, len(hs))
	for i, j := range idx {
		oh[i], og[i] = hs[j], gens[j]
	}
	return oh, og, nil
}

// LoadState implements Provider: the newest erasure-state object.
func (p *PKCS11Provider) LoadState(ctx context.Context) ([]byte, error) {
	sh, put, err := p.session(ctx)
	if err != nil {
		return nil, err
	}
	defer put()
	hs, _, err := p.stateObjects(sh)
	if err != nil || len(hs) == 0 {
		return nil, err
	}
	attrs, err := p.ctx.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: read erasure state: %w", err)
	}
	return attrs[0].Value, nil
}

// StoreState implements Provider: it writes a new generation and then
// deletes the older ones, so a crash leaves the old or the new state.
func (p *PKCS11Provider) StoreState(ctx context.Context, state []byte) error {
	sh, put, err := p.session(ctx)
	if err != nil {
		return err
	}
	defer put()
	hs, gens, err := p.stateObjects(sh)
	if err != nil {
		return err
	}
	var next uint64 = 1
	if len(gens) > 0 {
		next = gens[0] + 1
	}
	_, err = p.ctx.CreateObject(sh, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_MODIFIABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, p.stateLabel()),
		pkcs11.NewAttribute(pkcs11.CKA_APPLICATION, "custos"),
		pkcs11.NewAttribute(pkcs11.CKA_OBJECT_ID, binary.BigEndian.AppendUint64(nil, next)),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, state),
	})
	if err != nil {
		return fmt.Errorf("pkcs11: store erasure state: %w", err)
	}
	for _, h := range hs {
		if err := p.ctx.DestroyObject(sh, h); err != nil {
			return fmt.Errorf("pkcs11: remove old erasure state: %w", err)
		}
	}
	return nil
}

// Close implements Provider: it closes the sessions and, when no other
// provider in the process uses the module, logs out and unloads it.
func (p *PKCS11Provider) Close() error {
	if p.ctx == nil {
		return nil
	}
	for _, sh := range p.all {
		_ = p.ctx.CloseSession(sh)
	}
	releaseModule(p.cfg.Module)
	p.ctx = nil
	return nil
}

// A PKCS#11 module is initialized once per process: several providers
// (a server and a test, say) share it, and the last one to close
// finalizes it.
var modules = struct {
	sync.Mutex
	m map[string]*moduleRef
}{m: map[string]*moduleRef{}}

type moduleRef struct {
	ctx *pkcs11.Ctx
	n   int
	// pins holds a hash of the PIN each slot was logged in with.
	pins map[uint][32]byte
}

func rememberPIN(module string, slot uint, pin string) {
	modules.Lock()
	defer modules.Unlock()
	if r := modules.m[module]; r != nil {
		if r.pins == nil {
			r.pins = map[uint][32]byte{}
		}
		r.pins[slot] = sha256.Sum256([]byte(pin))
	}
}

func samePIN(module string, slot uint, pin string) bool {
	modules.Lock()
	defer modules.Unlock()
	r := modules.m[module]
	if r == nil {
		return false
	}
	want, ok := r.pins[slot]
	got := sha256.Sum256([]byte(pin))
	return ok && subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

func acquireModule(path string) (*pkcs11.Ctx, error) {
	modules.Lock()
	defer modules.Unlock()
	if r := modules.m[path]; r != nil {
		r.n++
		return r.ctx, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("pkcs11: cannot load module %s (not a PKCS#11 library?)", path)
	}
	if err := ctx.Initialize(); err != nil && !isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ctx.Destroy()
		return nil, fmt.Errorf("pkcs11: initialize %s: %w", path, err)
	}
	modules.m[path] = &moduleRef{ctx: ctx, n: 1}
	return ctx, nil
}

func releaseModule(path string) {
	modules.Lock()
	defer modules.Unlock()
	r := modules.m[path]
	if r == nil {
		return
	}
	r.n--
	if r.n > 0 {
		return
	}
	delete(modules.m, path)
	_ = r.ctx.Finalize()
	r.ctx.Destroy()
}
