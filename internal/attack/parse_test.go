package attack

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestParseSSLScanOfCustos(t *testing.T) {
	data, err := os.ReadFile("testdata/sslscan-custos.xml")
	if err != nil {
		t.Fatal(err)
	}
	findings, notes, err := ParseSSLScan(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 0 {
		t.Errorf("findings on Custos's own TLS settings: %v", findings)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "self-signed") {
		t.Errorf("notes: %v", notes)
	}
}

func TestParseSSLScanFindsWeakness(t *testing.T) {
	data := []byte(`<document><ssltest host="h" port="1">
  <protocol type="tls" version="1.0" enabled="1" />
  <protocol type="tls" version="1.2" enabled="1" />
  <renegotiation supported="1" secure="0" />
  <compression supported="1" />
  <heartbleed sslversion="TLSv1.2" vulnerable="1" />
  <cipher status="accepted" sslversion="TLSv1.2" bits="128" cipher="ECDHE-RSA-AES128-SHA" strength="strong" />
  <cipher status="accepted" sslversion="TLSv1.2" bits="128" cipher="AES128-GCM-SHA256" strength="strong" />
  <cipher status="accepted" sslversion="TLSv1.2" bits="128" cipher="RC4-MD5" strength="weak" />
  <cipher status="accepted" sslversion="TLSv1.2" bits="256" cipher="ECDHE-RSA-AES256-GCM-SHA384" strength="strong" />
  <certificates><certificate><signature-algorithm>sha1WithRSAEncryption</signature-algorithm><pk type="RSA" bits="1024"/><expired>true</expired></certificate></certificates>
</ssltest></document>`)
	findings, _, err := ParseSSLScan(data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range findings {
		ids = append(ids, f.ID+": "+f.Text)
	}
	joined := strings.Join(ids, "\n")
	for _, want := range []string{"TLS 1.0 offered", "insecure renegotiation", "compression", "Heartbleed",
		"ECDHE-RSA-AES128-SHA: not AEAD", "AES128-GCM-SHA256: no forward secrecy", "RC4-MD5", "RSA key of 1024", "sha1", "expired"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing finding %q in:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "ECDHE-RSA-AES256-GCM-SHA384") {
		t.Errorf("a good suite was reported:\n%s", joined)
	}
}

func TestParseTestSSLOfCustos(t *testing.T) {
	data, err := os.ReadFile("testdata/testssl-custos.json")
	if err != nil {
		t.Fatal(err)
	}
	findings, notes, err := ParseTestSSL(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 0 {
		t.Errorf("findings: %v", findings)
	}
	if len(notes) == 0 {
		t.Error("the self-signed certificate's findings should be kept as notes")
	}
	bad, _ := json.Marshal([]map[string]string{{"id": "SSLv3", "severity": "HIGH", "finding": "offered"}, {"id": "cert_chain_of_trust", "severity": "CRITICAL", "finding": "self signed"}})
	findings, _, _ = ParseTestSSL(bad)
	if len(findings) != 1 || findings[0].ID != "SSLv3" {
		t.Errorf("findings = %v", findings)
	}
}

func TestParseSQLMap(t *testing.T) {
	out := `[INFO] testing for SQL injection on GET parameter 'status'
[WARNING] GET parameter 'status' does not seem to be injectable
[WARNING] (custom) PATCH parameter 'JSON name' does not seem to be injectable
[INFO] PATCH parameter 'JSON display_name' appears to be 'AND boolean-based blind - WHERE or HAVING clause' injectable
[WARNING] false positive or unexploitable injection point detected
[WARNING] PATCH parameter 'JSON display_name' does not seem to be injectable
[WARNING] URI parameter '#1*' does not seem to be injectable`
	res := ParseSQLMap(out)
	if len(res.Tested) != 4 || len(res.Injectable) != 0 || res.Dismissed != 1 {
		t.Errorf("tested %v injectable %v dismissed %d", res.Tested, res.Injectable, res.Dismissed)
	}
	if testedName("PATCH JSON name") != "name" || testedName("URI #1*") != "#1*" {
		t.Error("testedName")
	}
	vuln := `[INFO] GET parameter 'q' is vulnerable. Do you want to keep testing the others (if any)? [y/N] N
sqlmap identified the following injection point(s) with a total of 40 HTTP(s) requests:
---
Parameter: q (GET)
    Type: boolean-based blind
---`
	res = ParseSQLMap(vuln)
	if !res.Injectable["GET q"] {
		t.Errorf("injectable = %v", res.Injectable)
	}
}

func TestSQLMapTargets(t *testing.T) {
	rc := Recipes()["GET /api/v1/customers"]
	rt := RouteInfo{Method: "GET", Pattern: "/api/v1/customers"}
	ts := sqlmapTargets(rt, rc, Request{Path: "/api/v1/customers?limit=200"}, "tok", func(p string) string { return rc.Query[p] })
	if len(ts) != 1+len(exclusiveLookups) {
		t.Fatalf("%d targets", len(ts))
	}
	if strings.Contains(ts[0].Path, "phone=") || !strings.Contains(ts[0].Path, "status=active") {
		t.Errorf("filters target: %s", ts[0].Path)
	}
	rt = RouteInfo{Method: "PATCH", Pattern: "/api/v1/deals/{id}"}
	ts = sqlmapTargets(rt, Recipes()[rt.Key()], Request{Path: "/api/v1/deals/dea_x", Body: map[string]string{"stage": "won"}}, "tok", nil)
	if len(ts) != 2 || string(ts[0].Body) != `{"stage":"won"}` || ts[1].Path != "/api/v1/deals/dea_x*" || ts[1].Body != nil {
		t.Errorf("targets: %+v", ts)
	}
}

func TestBodyCases(t *testing.T) {
	cases := BodyCases([]byte(`{"name":"Acme","phone":"13900000000"}`), 1024)
	byName := map[string]HostileInput{}
	for _, c := range cases {
		byName[strings.SplitN(c.Name, " (", 2)[0]] = c
	}
	if c := byName["oversized body"]; len(c.Body) <= 1024 || c.Want[0] != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d bytes", len(c.Body))
	}
	if c := byName["duplicate key name"]; string(c.Body) != `{"name":"Acme","phone":"13900000000","name":"Acme B"}` || c.Field != "name" {
		t.Errorf("duplicate: %s", c.Body)
	}
	if c := byName["same key in upper case NAME"]; !strings.HasSuffix(string(c.Body), `,"NAME":"Acme"}`) {
		t.Errorf("upper case: %s", c.Body)
	}
	if c := byName["invalid UTF-8 bytes"]; !strings.Contains(string(c.Body), "Acme\xff\xfe\"") {
		t.Errorf("invalid UTF-8: %q", c.Body)
	}
	if c := byName["lone surrogate"]; !strings.Contains(string(c.Body), `Acme\ud800"`) {
		t.Errorf("surrogate: %q", c.Body)
	}
	for _, c := range cases {
		if len(c.Body) > 2048 {
			continue
		}
		if c.Name != "raw NUL byte in the body" && !strings.Contains(c.Name, "UTF-8") && !json.Valid(c.Body) && !strings.Contains(c.Name, "NUL") {
			t.Errorf("%s: body is not JSON: %q", c.Name, c.Body)
		}
	}
	if got := BodyCases(nil, 1024); len(got) != 3 {
		t.Errorf("a route without a body gets %d cases", len(got))
	}
}

func TestQueryCases(t *testing.T) {
	cs := QueryCases("/api/v1/deals?customer_id=x", "stage")
	if !strings.HasPrefix(cs[0].Path, "/api/v1/deals?customer_id=x&stage=inactive%zz") || cs[0].Field != "stage" {
		t.Errorf("malformed escape: %s", cs[0].Path)
	}
}

func TestNamesSeq(t *testing.T) {
	out := "custos: audit log NOT intact: first bad entry: seq 8: the entry does not match"
	if !namesSeq(out, 8) || namesSeq(out, 9) {
		t.Error("single seq")
	}
	if !namesSeq("first bad entry: in seq 4–9: x", 7) {
		t.Error("range")
	}
	if len(AuditTampers(16)) < 6 {
		t.Error("too few audit tampers")
	}
}

func TestStatusSummary(t *testing.T) {
	if s := statusSummary(map[int]int{500: 3, 0: 1, 201: 9}); s != "no answer×1, 201×9, 500×3" {
		t.Errorf("statusSummary = %q", s)
	}
}
