#!/usr/bin/env bash
# A tiny run of the load benchmark, so the test command keeps it working:
# a few hundred customers seeded by CSV import, every scenario for two
# seconds, no errors allowed. Full runs are documented in
# docs/performance.md and are not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/custos" ./cmd/custos
"$bin/custos" bench --customers 300 --duration 2s --concurrency 8 --login-concurrency 16 \
	--max-errors 0 --json "$bin/results.json"
# The results file must hold every scenario.
for s in create get_unmasked get_masked search_phone search_name list update mixed login ui_card ui_list; do
	grep -q "\"scenario\": \"$s\"" "$bin/results.json" || {
		echo "bench-smoke: scenario $s missing from the results" >&2
		exit 1
	}
done
