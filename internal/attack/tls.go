package attack

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TLSFinding is one problem a scanner reported.
type TLSFinding struct {
	Tool     string
	ID       string
	Severity string
	Text     string
}

func (f TLSFinding) String() string {
	return fmt.Sprintf("%s %s [%s]: %s", f.Tool, f.ID, f.Severity, f.Text)
}

// sslscanXML is the part of sslscan's --xml output the suite reads.
type sslscanXML struct {
	Tests []struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Renegotiation []struct {
			Supported string `xml:"supported,attr"`
			Secure    string `xml:"secure,attr"`
		} `xml:"renegotiation"`
		Compression []struct {
			Supported string `xml:"supported,attr"`
		} `xml:"compression"`
		Heartbleed []struct {
			Version    string `xml:"sslversion,attr"`
			Vulnerable string `xml:"vulnerable,attr"`
		} `xml:"heartbleed"`
		Ciphers []struct {
			Version  string `xml:"sslversion,attr"`
			Bits     string `xml:"bits,attr"`
			Cipher   string `xml:"cipher,attr"`
			Strength string `xml:"strength,attr"`
		} `xml:"cipher"`
		Certificates []struct {
			SigAlg string `xml:"signature-algorithm"`
			PK     struct {
				Type string `xml:"type,attr"`
				Bits string `xml:"bits,attr"`
			} `xml:"pk"`
			SelfSigned string `xml:"self-signed"`
			Expired    string `xml:"expired"`
		} `xml:"certificates>certificate"`
	} `xml:"ssltest"`
}

// aeadCipher reports whether an OpenSSL or IANA cipher name is an AEAD
// suite with forward secrecy (every TLS 1.3 suite is).
func aeadCipher(version, name string) (aead, forwardSecret bool) {
	if strings.HasPrefix(name, "TLS_AES_") || strings.HasPrefix(name, "TLS_CHACHA20_") || version == "TLSv1.3" {
		return true, true
	}
	aead = strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20-POLY1305") || strings.Contains(name, "CCM")
	forwardSecret = strings.HasPrefix(name, "ECDHE-") || strings.HasPrefix(name, "DHE-")
	return aead, forwardSecret
}

// ParseSSLScan turns sslscan's XML into findings (the self-signed
// certificate is a note, not a finding).
func ParseSSLScan(data []byte) (findings []TLSFinding, notes []string, err error) {
	var doc sslscanXML
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse sslscan xml: %w", err)
	}
	if len(doc.Tests) == 0 {
		return nil, nil, fmt.Errorf("sslscan produced no test results")
	}
	add := func(id, sev, format string, args ...any) {
		findings = append(findings, TLSFinding{Tool: "sslscan", ID: id, Severity: sev, Text: fmt.Sprintf(format, args...)})
	}
	t := doc.Tests[0]
	if len(t.Ciphers) == 0 {
		return nil, nil, fmt.Errorf("sslscan found no cipher suites: did it reach the server?")
	}
	for _, p := range t.Protocols {
		old := p.Type == "ssl" || p.Version == "1.0" || p.Version == "1.1"
		if old && p.Enabled == "1" {
			add("protocol", "HIGH", "%s %s offered", strings.ToUpper(p.Type), p.Version)
		}
	}
	for _, r := range t.Renegotiation {
		if r.Supported == "1" && r.Secure != "1" {
			add("renegotiation", "HIGH", "insecure renegotiation supported")
		}
	}
	for _, c := range t.Compression {
		if c.Supported == "1" {
			add("compression", "HIGH", "TLS compression supported (CRIME)")
		}
	}
	for _, h := range t.Heartbleed {
		if h.Vulnerable == "1" {
			add("heartbleed", "CRITICAL", "%s vulnerable to Heartbleed", h.Version)
		}
	}
	for _, c := range t.Ciphers {
		aead, fs := aeadCipher(c.Version, c.Cipher)
		bits, _ := strconv.Atoi(c.Bits)
		bad := []string{}
		if !aead {
			bad = append(bad, "not AEAD (CBC or stream)")
		}
		if !fs {
			bad = append(bad, "no forward secrecy")
		}
		for _, w := range []string{"RC4", "NULL", "EXP", "DES", "MD5", "ADH", "AECDH", "anon", "IDEA", "SEED", "CAMELLIA"} {
			if strings.Contains(c.Cipher, w) {
				bad = append(bad, w)
			}
		}
		if bits < 128 {
			bad = append(bad, c.Bits+" bits")
		}
		switch c.Strength {
		case "weak", "medium", "null", "anonymous":
			bad = append(bad, "rated "+c.Strength)
		}
		if len(bad) > 0 {
			add("cipher", "HIGH", "%s %s: %s", c.Version, c.Cipher, strings.Join(bad, ", "))
		}
	}
	for _, cert := range t.Certificates {
		bits, _ := strconv.Atoi(cert.PK.Bits)
		if (cert.PK.Type == "RSA" && bits < 2048) || (cert.PK.Type == "EC" && bits < 128) {
			add("certificate key", "HIGH", "%s key of %s bits", cert.PK.Type, cert.PK.Bits)
		}
		if s := strings.ToLower(cert.SigAlg); strings.Contains(s, "sha1") || strings.Contains(s, "md5") {
			add("certificate signature", "HIGH", "signed with %s", cert.SigAlg)
		}
		if cert.Expired == "true" {
			add("certificate expired", "HIGH", "the certificate has expired")
		}
		if cert.SelfSigned == "true" {
			notes = append(notes, "sslscan: the certificate is self-signed (expected for a fresh data directory)")
		}
	}
	return findings, notes, nil
}

// selfSignedIDs are testssl.sh findings that only say the certificate is
// self-signed (no trust chain, so no revocation information either).
var selfSignedIDs = map[string]bool{
	"cert_chain_of_trust": true, "cert_revocation": true, "cert_ocspURL": true, "cert_crlDistributionPoints": true,
	"OCSP_stapling": true, "cert_mustStapleExtension": true, "DNS_CAArecord": true, "cert_trust": true,
	"cert_certificatePolicies_EV": true, "cert_caIssuers": true, "cert_validityPeriod": true,
}

// ParseTestSSL turns testssl.sh's JSON into findings: every HIGH or
// CRITICAL one except the self-signed certificate's.
func ParseTestSSL(data []byte) (findings []TLSFinding, notes []string, err error) {
	var items []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Finding  string `json:"finding"`
	}
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, nil, fmt.Errorf("parse testssl json: %w", err)
	}
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("testssl.sh produced no results")
	}
	for _, it := range items {
		switch it.Severity {
		case "HIGH", "CRITICAL":
			if selfSignedIDs[it.ID] {
				notes = append(notes, fmt.Sprintf("testssl %s [%s] %s (self-signed certificate: allowed)", it.ID, it.Severity, it.Finding))
				continue
			}
			findings = append(findings, TLSFinding{Tool: "testssl", ID: it.ID, Severity: it.Severity, Text: it.Finding})
		case "MEDIUM":
			notes = append(notes, fmt.Sprintf("testssl %s [MEDIUM] %s", it.ID, it.Finding))
		}
	}
	return findings, notes, nil
}

// probeHandshakes offers the server what it must refuse and reports
// every handshake that succeeded.
func probeHandshakes(ctx context.Context, addr string) []TLSFinding {
	probes := []struct {
		name     string
		min, max uint16
		suites   []uint16
	}{
		{"TLS 1.0", tls.VersionTLS10, tls.VersionTLS10, nil},
		{"TLS 1.1", tls.VersionTLS11, tls.VersionTLS11, nil},
		{"TLS 1.2 CBC suites", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256}},
		{"TLS 1.2 static RSA key exchange", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA}},
		{"TLS 1.2 RC4 and 3DES", tls.VersionTLS12, tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_RC4_128_SHA,
			tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}},
	}
	var out []TLSFinding
	for _, p := range probes {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{
			InsecureSkipVerify: true, MinVersion: p.min, MaxVersion: p.max, CipherSuites: p.suites}} //nolint:gosec // offering weak parameters is the point of the probe
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			st := conn.(*tls.Conn).ConnectionState()
			out = append(out, TLSFinding{Tool: "go-probe", ID: p.name, Severity: "HIGH",
				Text: fmt.Sprintf("handshake accepted: %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))})
			_ = conn.Close()
		}
	}
	return out
}

// runTLS scans the main server with sslscan (and testssl.sh in the full
// budget) and the suite's own handshake probes.
func (e *env) runTLS(ctx context.Context, p *PartResult, srv *Server) {
	dir := filepath.Dir(srv.DataDir)
	var findings []TLSFinding
	xmlPath := filepath.Join(dir, "sslscan.xml")
	out, err := exec.CommandContext(ctx, e.opts.SSLScan, "--no-colour", "--xml="+xmlPath, srv.Addr).CombinedOutput() //nolint:gosec // the configured scanner
	if err != nil {
		p.Err = fmt.Errorf("sslscan: %w: %s", err, clipBytes(out, 300))
		return
	}
	data, err := os.ReadFile(xmlPath) //nolint:gosec // our own work directory
	if err != nil {
		p.Err = fmt.Errorf("sslscan output: %w", err)
		return
	}
	f, notes, err := ParseSSLScan(data)
	if err != nil {
		p.Err = err
		return
	}
	findings = append(findings, f...)
	p.Notes = append(p.Notes, notes...)
	tools := "sslscan"
	if e.opts.Budget.TestSSL {
		tools += " + testssl.sh"
		jsonPath := filepath.Join(dir, "testssl.json")
		cmd := exec.CommandContext(ctx, e.opts.TestSSL, "--quiet", "--warnings", "batch", "--color", "0", "--jsonfile", jsonPath, srv.Addr) //nolint:gosec // the configured scanner
		out, _ := cmd.CombinedOutput()                                                                                                      // testssl.sh exits non-zero when it reports anything
		data, err := os.ReadFile(jsonPath)                                                                                                  //nolint:gosec // our own work directory
		if err != nil {
			p.Err = fmt.Errorf("testssl.sh wrote no results: %w: %s", err, clipBytes(out, 300))
			return
		}
		f, notes, err := ParseTestSSL(data)
		if err != nil {
			p.Err = err
			return
		}
		findings = append(findings, f...)
		p.Notes = append(p.Notes, notes...)
	}
	probes := probeHandshakes(ctx, srv.Addr)
	findings = append(findings, probes...)
	tools += " + handshake probes"
	// HSTS on every HTTPS answer.
	r, err := NewClient(srv.URL, 1).Do(ctx, "GET", "/healthz", "", nil)
	if err != nil {
		p.Err = err
		return
	}
	if !strings.Contains(r.Header.Get("Strict-Transport-Security"), "max-age=") {
		findings = append(findings, TLSFinding{Tool: "go-probe", ID: "hsts", Severity: "HIGH", Text: "no Strict-Transport-Security header"})
	}
	p.Checks = 1 + len(probes)
	for _, f := range findings {
		p.fail("%s", f)
	}
	p.fig("high/critical findings", "%d (%s)", len(findings), tools)
}
