#!/usr/bin/env bash
# The Custos attack suite (docs/security-testing.md): builds the binary,
# starts servers on loopback (SQLite data directories, one PostgreSQL
# cluster) and attacks them: TLS scan, sqlmap, the role × record × field
# access matrix, kill -9 under write load, a full disk, a tampered audit
# log and tampered ciphertext, hostile inputs. Prints a table of figures
# and exits non-zero on any finding.
#
#   scripts/attack.sh [--budget ci|full] [--parts a,b] [--work DIR] [--keep]
#
#   --budget ci    about 10 minutes on a 2-core machine (CI); full is the
#                  default (`make attack`): testssl.sh too, sqlmap at level
#                  3 / risk 2 with every technique, more kill cycles
#   --parts        run only these parts (see custos-attack --help)
#   --work DIR     keep data directories, scanner output and report.txt
#                  in DIR (default: a temporary directory, removed unless
#                  --keep)
#
# Needs root (the disk-full run mounts a tmpfs; PostgreSQL runs as the
# postgres user). Installs sslscan, testssl.sh and sqlmap from Debian
# packages when missing; under CI=true a tool that cannot be installed
# fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=full
parts=
work=
keep=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--budget) budget=$2; shift 2 ;;
	--budget=*) budget=${1#*=}; shift ;;
	--parts) parts=$2; shift 2 ;;
	--parts=*) parts=${1#*=}; shift ;;
	--work) work=$2; shift 2 ;;
	--work=*) work=${1#*=}; shift ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "attack.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $budget in ci | full) ;; *) echo "attack.sh: --budget must be ci or full" >&2; exit 2 ;; esac

if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	export PATH="/usr/local/go/bin:$PATH"
fi

step() { printf '\n==> %s\n' "$*"; }
die() {
	echo "attack.sh: error: $*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root: the disk-full run mounts a tmpfs"

# need COMMAND PACKAGE: install PACKAGE with apt-get when COMMAND is missing.
apt_updated=0
need() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null && return 0
	echo "attack.sh: $cmd not found; installing Debian package $pkg"
	if command -v apt-get >/dev/null; then
		if [[ $apt_updated -eq 0 ]]; then
			apt-get update -qq || true
			apt_updated=1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null || true
	fi
	command -v "$cmd" >/dev/null && return 0
	if [[ ${CI:-} == true ]]; then
		die "$cmd (Debian package $pkg) is required under CI=true and could not be installed"
	fi
	die "$cmd (Debian package $pkg) is missing and could not be installed"
}

step "tools"
need sslscan sslscan
need sqlmap sqlmap
if [[ $budget == full ]]; then
	need testssl testssl.sh
fi
need mount mount
sslscan --version 2>/dev/null | head -n 1 || true
sqlmap --version 2>/dev/null | tail -n 1 || true

if [[ -z $work ]]; then
	work=$(mktemp -d /tmp/custos-attack.XXXXXX)
else
	mkdir -p "$work"
	[[ -z $(ls -A "$work") ]] || die "$work is not empty"
	keep=1
fi
# PostgreSQL runs as the postgres user, which must traverse into $work.
chmod 0711 "$work"
cleanup() {
	scripts/postgres.sh stop "$work/pg" >/dev/null 2>&1 || true
	if [[ $keep -eq 0 ]]; then
		rm -rf "$work"
	else
		echo "attack.sh: kept $work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "build"
go build -o "$work/bin/custos" ./cmd/custos
go build -o "$work/bin/custos-attack" ./cmd/custos-attack

step "start PostgreSQL"
url=$(scripts/postgres.sh start "$work/pg") || die "PostgreSQL could not be started"
echo "PostgreSQL: $url"

step "attack (budget $budget)"
start=$(date +%s)
rc=0
"$work/bin/custos-attack" --binary "$work/bin/custos" --budget "$budget" --postgres-url "$url" \
	--work "$work/run" ${parts:+--parts "$parts"} || rc=$?
echo "attack.sh: budget $budget took $(($(date +%s) - start)) s (exit $rc)"
exit "$rc"
