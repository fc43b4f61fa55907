#!/usr/bin/env bash
# Runs every Go fuzz target in the Custos module, one at a time, for
# FUZZTIME each (default 5s).
#
# Targets are found by scanning the test files of each package in the main
# module for `func FuzzXxx(f *testing.F)`. `go test -fuzz` accepts a single
# package and a pattern matching a single target, so each target gets its own
# run. An input that makes a target fail is saved by Go under the package's
# testdata/fuzz/FuzzXxx/ directory; commit it so it becomes a regression test.
set -euo pipefail

cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-5s}
root=$(pwd -P)

# One line per package: its directory, a tab, then its test files (internal
# and external test packages alike) separated by spaces.
pkgs=$(go list -f "{{.Dir}}$(printf '\t'){{range .TestGoFiles}}{{.}} {{end}}{{range .XTestGoFiles}}{{.}} {{end}}" ./...)

# Collect "PKG NAME" pairs first, then run them.
targets=()
while IFS=$'\t' read -r dir files; do
	[[ -n $files ]] || continue
	if [[ $dir == "$root" ]]; then
		pkg=.
	else
		pkg=./${dir#"$root"/}
	fi
	for f in $files; do
		while IFS= read -r line; do
			if [[ $line =~ ^func\ (Fuzz[A-Za-z0-9_]+)\(f\ \*testing\.F\) ]]; then
				targets+=("$pkg ${BASH_REMATCH[1]}")
			fi
		done <"$dir/$f"
	done
done <<<"$pkgs"

if [[ ${#targets[@]} -eq 0 ]]; then
	echo "no fuzz targets found"
	exit 0
fi

for t in "${targets[@]}"; do
	pkg=${t% *}
	name=${t#* }
	echo "--> $name in $pkg (fuzztime $fuzztime)"
	go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$pkg" </dev/null
done

echo "fuzzed ${#targets[@]} target(s)"
