#!/usr/bin/env bash
# Prepare the browser tests of the web UI: Debian's Chromium (with CJK
# fonts, so Chinese pages render in screenshots) and axe-core, the
# accessibility checker the tests inject into each page.
#
# Installs what is missing (chromium and fonts-noto-cjk with apt-get,
# axe-core 4 with npm into a cache directory) and prints the environment
# the tests read, as shell assignments:
#
#   eval "$(scripts/browser.sh)"
#   go test ./internal/webui/...
#
# Printed variables:
#   CUSTOS_TEST_CHROMIUM  the Chromium binary
#   CUSTOS_TEST_AXE       axe.min.js
#
# Progress and errors go to stderr; only the assignments go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[[ -d /usr/share/fonts/opentype/noto ]] || need+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
	echo "browser.sh: installing ${need[*]} from Debian packages" >&2
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq >&2
	"${sudo[@]}" apt-get install -y -qq "${need[@]}" >&2
fi
chromium=$(command -v chromium)

cache=${CUSTOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/custos}
axe=$cache/node_modules/axe-core/axe.min.js
if [[ ! -f $axe ]]; then
	echo "browser.sh: installing axe-core with npm into $cache" >&2
	mkdir -p "$cache"
	npm install --prefix "$cache" --no-audit --no-fund --loglevel=error axe-core@4 >&2
fi
if [[ ! -f $axe ]]; then
	echo "browser.sh: $axe is missing after npm install" >&2
	exit 1
fi

printf 'export CUSTOS_TEST_CHROMIUM=%q\n' "$chromium"
printf 'export CUSTOS_TEST_AXE=%q\n' "$axe"
