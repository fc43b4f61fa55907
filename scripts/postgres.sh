#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the Custos test suite.
#
#   scripts/postgres.sh start DIR   create and start a cluster in DIR, create
#                                   the database custos_test, and print its
#                                   URL as the only line on stdout
#   scripts/postgres.sh stop DIR    stop that cluster and remove DIR
#                                   (no error if already stopped or absent)
#
# The cluster is for tests only: it trusts every connection, listens on
# 127.0.0.1 alone, and trades durability for speed (fsync=off and friends).
#
# If the PostgreSQL server binaries are missing, "start" installs Debian's
# postgresql package with apt-get (as root, or through passwordless sudo).
set -euo pipefail

# Everything but the URL goes to stderr: keep the real stdout on fd 3 and
# point fd 1 at stderr so no command below can write to stdout by accident.
# Child processes must not inherit fd 3 (see run_as): a postmaster holding
# it open would keep "url=$(postgres.sh start ...)" waiting forever.
exec 3>&1 1>&2

readonly DB_NAME=custos_test
readonly FIRST_PORT=55432
readonly PORT_ATTEMPTS=50
# Created by "start"; "stop" only deletes a directory that carries it.
readonly MARKER=.custos-test-postgres

log() { printf 'postgres.sh: %s\n' "$*"; }
die() {
	printf 'postgres.sh: error: %s\n' "$*"
	exit 1
}

usage() {
	echo "usage: $0 start DIR | stop DIR"
	exit 2
}

# pg_bindir prints the directory holding initdb and pg_ctl, or fails.
# A PATH entry may be a symlink into the versioned directory, so resolve it.
pg_bindir() {
	local p dir
	if p=$(command -v pg_ctl) && command -v initdb >/dev/null; then
		dir=$(dirname "$(readlink -f "$p")")
		if [[ -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
			printf '%s\n' "$dir"
			return 0
		fi
	fi
	# Debian's layout: /usr/lib/postgresql/VERSION/bin; take the newest.
	dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
		sort -V | tail -n 1)
	if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl && -x $dir/postgres ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	return 1
}

install_postgres() {
	local -a sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			die "PostgreSQL server binaries (initdb, pg_ctl) not found, and they cannot be installed: not root and no passwordless sudo. Install Debian's 'postgresql' package."
		fi
	fi
	command -v apt-get >/dev/null ||
		die "PostgreSQL server binaries (initdb, pg_ctl) not found, and apt-get is not available to install them."
	log "PostgreSQL server binaries not found; installing the postgresql package"
	"${sudo[@]}" apt-get update 3>&- ||
		die "apt-get update failed; cannot install PostgreSQL"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql 3>&- ||
		die "apt-get install postgresql failed"
}

# run_as USER CMD...: run CMD as USER (directly when that is the current
# user), with fd 3 closed. Starts from / so that the target user never trips
# over an unreadable working directory.
run_as() {
	local user=$1
	shift
	if [[ $user == "$(id -un)" ]]; then
		(cd / && "$@") 3>&-
	elif command -v runuser >/dev/null; then
		(cd / && runuser -u "$user" -- "$@") 3>&-
	else
		(cd / && su -s /bin/sh "$user" -c "$(printf '%q ' "$@")") 3>&-
	fi
}

# port_in_use PORT: true if something accepts connections on 127.0.0.1:PORT.
port_in_use() {
	(exec 2>/dev/null 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# is_postgres PID: true if PID is a running postgres server process.
is_postgres() {
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == postgres* ]]
}

cmd_start() {
	local dir=$1 bindir owner data sock logfile port attempt started=0

	bindir=$(pg_bindir) || {
		install_postgres
		bindir=$(pg_bindir) || die "PostgreSQL was installed but initdb/pg_ctl are still not found"
	}
	log "using PostgreSQL binaries in $bindir"

	if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
		die "$dir exists and is not empty"
	fi
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	touch "$dir/$MARKER"

	# initdb refuses to run as root: as root, the cluster belongs to the
	# postgres system user.
	owner=$(id -un)
	if [[ $(id -u) -eq 0 ]]; then
		owner=postgres
		if ! id -u "$owner" >/dev/null 2>&1; then
			log "creating system user $owner"
			useradd --system --user-group --no-create-home \
				--home-dir /nonexistent --shell /usr/sbin/nologin "$owner"
		fi
		chown "$owner:" "$dir"
		chmod 0700 "$dir"
		if ! run_as "$owner" test -w "$dir" -a -x "$dir"; then
			die "user $owner cannot reach $dir (is a parent directory private to root?); use a directory $owner can traverse, e.g. under /tmp"
		fi
	fi

	data=$dir/data
	sock=$dir/sock
	logfile=$dir/postgres.log
	run_as "$owner" mkdir -p "$sock"

	log "initializing cluster in $data"
	run_as "$owner" "$bindir/initdb" --pgdata="$data" --username=postgres \
		--auth=trust --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log"
		die "initdb failed"
	}

	# Appended settings override the defaults written by initdb.
	run_as "$owner" tee -a "$data/postgresql.conf" >/dev/null <<EOF

# Custos test cluster: loopback only, speed over durability.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
max_connections = 200
fsync = off
full_page_writes = off
synchronous_commit = off
EOF

	# Try ports from FIRST_PORT upward. The probe can race with another
	# process, so a start that fails to bind moves on to the next port.
	port=$FIRST_PORT
	for ((attempt = 0; attempt < PORT_ATTEMPTS; attempt++, port++)); do
		if port_in_use "$port"; then
			continue
		fi
		log "starting PostgreSQL on 127.0.0.1:$port"
		rm -f "$logfile"
		if run_as "$owner" "$bindir/pg_ctl" --pgdata="$data" --log="$logfile" \
			--wait --timeout=60 --silent --options="-p $port" start; then
			started=1
			break
		fi
		if grep -q -e 'could not bind' -e 'Address already in use' "$logfile" 2>/dev/null; then
			log "port $port is taken, trying the next one"
			continue
		fi
		tail -n 30 "$logfile" || true
		die "PostgreSQL failed to start (log: $logfile)"
	done
	[[ $started -eq 1 ]] || die "no free port found in $FIRST_PORT..$((FIRST_PORT + PORT_ATTEMPTS - 1))"

	"$bindir/createdb" --host=127.0.0.1 --port="$port" --username=postgres "$DB_NAME" 3>&- ||
		die "could not create database $DB_NAME"

	printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$port" "$DB_NAME" >&3
}

cmd_stop() {
	local dir=$1 data owner bindir pid i

	if [[ ! -e $dir ]]; then
		return 0
	fi
	dir=$(cd "$dir" && pwd -P)
	if [[ ! -e $dir/$MARKER ]]; then
		# Never delete a directory this script did not create.
		if [[ -d $dir ]] && [[ -z $(ls -A "$dir") ]]; then
			rmdir "$dir"
			return 0
		fi
		die "$dir was not created by '$0 start'; not removing it"
	fi

	data=$dir/data
	if [[ -f $data/postmaster.pid ]]; then
		owner=$(stat -c %U "$data")
		if bindir=$(pg_bindir); then
			log "stopping PostgreSQL in $data"
			run_as "$owner" "$bindir/pg_ctl" --pgdata="$data" --mode=fast \
				--wait --timeout=60 --silent stop || true
		fi
		# Without pg_ctl (or if it failed), SIGINT asks the postmaster for a
		# fast shutdown. The pid file may be stale, so only signal a process
		# that is still a postgres server.
		pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
		if [[ $pid =~ ^[0-9]+$ ]] && is_postgres "$pid"; then
			log "signalling postmaster $pid"
			kill -INT "$pid" 2>/dev/null || true
			for ((i = 0; i < 300; i++)); do
				is_postgres "$pid" || break
				sleep 0.1
			done
			if is_postgres "$pid"; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
		fi
	fi
	rm -rf -- "$dir"
}

[[ $# -eq 2 && -n $2 ]] || usage
case $1 in
start) cmd_start "$2" ;;
stop) cmd_stop "$2" ;;
*) usage ;;
esac
