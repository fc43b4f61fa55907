#!/usr/bin/env bash
# Prepare a SoftHSM2 token for the PKCS#11 master key tests.
#
# Installs softhsm2 from Debian packages when it is missing, creates a
# fresh token in a throwaway directory, and prints the environment the
# tests read, as shell assignments:
#
#   eval "$(scripts/softhsm.sh)"
#   go test ./internal/masterkey/...
#
# Usage: scripts/softhsm.sh [DIR]   (DIR defaults to a new temporary directory)
#
# Printed variables:
#   SOFTHSM2_CONF          the SoftHSM configuration naming the token directory
#   CUSTOS_TEST_PKCS11_MODULE  the PKCS#11 module path
#   CUSTOS_TEST_PKCS11_TOKEN   the token label
#   CUSTOS_TEST_PKCS11_PIN     the user PIN (a throwaway test PIN)
#
# Progress and errors go to stderr; only the assignments go to stdout.
set -euo pipefail

module=/usr/lib/softhsm/libsofthsm2.so
label=custos-test
pin=1234-custos-test
so_pin=5678-custos-test

if [[ ! -e $module ]] || ! command -v softhsm2-util >/dev/null 2>&1; then
	echo "softhsm.sh: installing softhsm2 from Debian packages" >&2
	if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq >&2
	"${sudo[@]}" apt-get install -y -qq softhsm2 >&2
fi
if [[ ! -e $module ]]; then
	echo "softhsm.sh: $module is missing after installing softhsm2" >&2
	exit 1
fi

dir=${1:-}
if [[ -z $dir ]]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/custos-softhsm.XXXXXX")
fi
mkdir -p "$dir/tokens"
chmod 700 "$dir" "$dir/tokens"
conf=$dir/softhsm2.conf
cat >"$conf" <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$conf

if ! softhsm2-util --show-slots 2>/dev/null | grep -q "Label:[[:space:]]*$label\$"; then
	softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >&2
fi

printf 'export SOFTHSM2_CONF=%q\n' "$conf"
printf 'export CUSTOS_TEST_PKCS11_MODULE=%q\n' "$module"
printf 'export CUSTOS_TEST_PKCS11_TOKEN=%q\n' "$label"
printf 'export CUSTOS_TEST_PKCS11_PIN=%q\n' "$pin"
