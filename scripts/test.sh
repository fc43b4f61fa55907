#!/usr/bin/env bash
# The Custos test suite: static checks, the Go tests (race detector on)
# against a throwaway PostgreSQL and a throwaway SoftHSM token, a short run
# of every fuzz target, and the benchmark smoke test when there is one.
#
# Environment:
#   CI=true        PostgreSQL and SoftHSM are mandatory: fail if either
#                  cannot be set up
#   GO_TEST_FLAGS  extra flags for `go test` (e.g. "-v -run TestCustomers")
#   FUZZTIME       how long each fuzz target runs (default 5s)
#   CUSTOS_UI_SHOTS  where browser tests write screenshots (default .artifacts/ui)
set -euo pipefail

cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "lint"
scripts/lint.sh

step "start PostgreSQL"
tmpdir=$(mktemp -d)
# As root the cluster runs as the postgres user, which must be able to
# traverse into $tmpdir (search permission only; nothing is listable).
chmod 0711 "$tmpdir"
cleanup() {
	scripts/postgres.sh stop "$tmpdir/pg" || true
	rm -rf "$tmpdir"
}
trap cleanup EXIT
# Turn Ctrl-C and termination into a normal exit so that cleanup runs.
trap 'exit 130' INT
trap 'exit 143' TERM

if url=$(scripts/postgres.sh start "$tmpdir/pg"); then
	export CUSTOS_TEST_DATABASE_URL=$url
	echo "CUSTOS_TEST_DATABASE_URL=$CUSTOS_TEST_DATABASE_URL"
elif [[ ${CI:-} == true ]]; then
	echo "error: PostgreSQL is required under CI=true" >&2
	exit 1
else
	unset CUSTOS_TEST_DATABASE_URL
	cat >&2 <<'EOF'

************************************************************************
* WARNING: PostgreSQL could not be started.                            *
* Continuing WITHOUT CUSTOS_TEST_DATABASE_URL: the PostgreSQL tests    *
* will be skipped. Under CI (CI=true) this is an error.                *
************************************************************************

EOF
fi

step "prepare SoftHSM (PKCS#11 master key tests)"
# scripts/softhsm.sh installs softhsm2 when missing, creates a token in
# $tmpdir/softhsm and prints SOFTHSM2_CONF and CUSTOS_TEST_PKCS11_* to export.
if hsm_env=$(scripts/softhsm.sh "$tmpdir/softhsm"); then
	eval "$hsm_env"
	echo "SOFTHSM2_CONF=$SOFTHSM2_CONF token=$CUSTOS_TEST_PKCS11_TOKEN"
elif [[ ${CI:-} == true ]]; then
	echo "error: SoftHSM is required under CI=true" >&2
	exit 1
else
	cat >&2 <<'EOF'

************************************************************************
* WARNING: SoftHSM could not be prepared.                              *
* Continuing WITHOUT CUSTOS_TEST_PKCS11_*: the PKCS#11 tests will be   *
* skipped. Under CI (CI=true) this is an error.                        *
************************************************************************

EOF
fi

step "prepare the browser tests (Chromium, axe-core)"
# scripts/browser.sh installs Debian's chromium and axe-core when missing
# and prints CUSTOS_TEST_CHROMIUM and CUSTOS_TEST_AXE to export.
if browser_env=$(scripts/browser.sh); then
	eval "$browser_env"
	echo "CUSTOS_TEST_CHROMIUM=$CUSTOS_TEST_CHROMIUM"
elif [[ ${CI:-} == true ]]; then
	echo "error: Chromium and axe-core are required under CI=true" >&2
	exit 1
else
	cat >&2 <<'EOF2'

************************************************************************
* WARNING: Chromium or axe-core could not be prepared.                 *
* Continuing WITHOUT them: the browser tests will be skipped. Under CI *
* (CI=true) this is an error.                                          *
************************************************************************

EOF2
fi
export CUSTOS_UI_SHOTS=${CUSTOS_UI_SHOTS:-$PWD/.artifacts/ui}
mkdir -p "$CUSTOS_UI_SHOTS"

step "go test -race"
read -r -a go_test_flags <<<"${GO_TEST_FLAGS:-}"
go test -race -count=1 "${go_test_flags[@]}" ./...

step "fuzz (${FUZZTIME:-5s} per target)"
scripts/fuzz.sh

step "benchmark smoke test"
if [[ -x scripts/bench-smoke.sh ]]; then
	scripts/bench-smoke.sh
else
	echo "scripts/bench-smoke.sh not present; skipped"
fi

step "all tests passed"
