# shellcheck shell=bash
# Library sourced by tools/with-services.sh and tools/test.sh: provides the
# services Parley's tests need and exports where to find them.
#
# Every service comes from its environment variable when that is set;
# otherwise a private throwaway instance is started from installed binaries
# (installing the Debian package first when it is missing). Nothing here ever
# touches the machine's own PostgreSQL/Redis/nginx services, and nothing is
# skipped quietly: when a service cannot be provided we exit non-zero.
#
# Callers must `set -euo pipefail`, source this file, then call
# services_start; cleanup runs from the EXIT trap that services_start installs.

services_tmp=""
services_pg_bin=""
services_pg_data=""
services_redis_pid=""
services_apt_updated=""

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'FATAL: %s\n' "$*" >&2
	exit 1
}

# as_root runs a command as root: directly when we are root, else through
# passwordless sudo. There is no stdin in CI, so never prompt.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 1
	fi
}

# apt_install installs Debian packages without starting their system
# services: a temporary policy-rc.d forbids invoke-rc.d from starting
# nginx/postgresql/redis on their default ports while we install.
apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "missing $*: not a Debian system (no apt-get); install $* yourself or set the PARLEY_TEST_* variables (see docs/testing.md)"
	as_root true || die "missing $*: need root or passwordless sudo to run 'apt-get install $*'; install them or set the PARLEY_TEST_* variables (see docs/testing.md)"
	local policy=/usr/sbin/policy-rc.d added_policy=""
	if [ ! -e "$policy" ]; then
		as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
		added_policy=1
	fi
	local rc=0
	(
		export DEBIAN_FRONTEND=noninteractive
		if [ -z "$services_apt_updated" ]; then
			log "apt-get update"
			as_root apt-get update -qq
		fi
		log "apt-get install $*"
		as_root apt-get install -y -qq --no-install-recommends "$@" </dev/null
	) || rc=$?
	services_apt_updated=1
	if [ -n "$added_policy" ]; then as_root rm -f "$policy"; fi
	[ "$rc" = 0 ] || die "apt-get install $* failed (exit $rc)"
}

# need_binary PATH PACKAGE: installs PACKAGE when PATH is not executable.
need_binary() {
	local path=$1 pkg=$2
	if [ ! -x "$path" ]; then
		apt_install "$pkg"
	fi
	[ -x "$path" ] || die "$path still missing after installing $pkg"
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on. It picks
# below the kernel's ephemeral range (32768+) so that the many client
# connections the tests open cannot grab it before our server binds it.
free_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + (RANDOM % 12000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free TCP port found"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_until() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
	log "$what is ready"
}

services_tmpdir() {
	if [ -z "$services_tmp" ]; then
		services_tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-test.XXXXXX")
		# The postgres OS user must be able to reach its data dir inside.
		chmod 711 "$services_tmp"
	fi
}

# run_as_pg runs a command as the postgres OS user when we are root:
# initdb and postgres refuse to run as root.
run_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_find_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		apt_install postgresql
		d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	fi
	[ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
	services_pg_bin=$d
}

postgres_start() {
	# PARLEY_TEST_DATABASE_URL is the same setting under the issue's name.
	if [ -z "${PARLEY_TEST_POSTGRES_URL:-}" ] && [ -n "${PARLEY_TEST_DATABASE_URL:-}" ]; then
		export PARLEY_TEST_POSTGRES_URL=$PARLEY_TEST_DATABASE_URL
	fi
	if [ -n "${PARLEY_TEST_POSTGRES_URL:-}" ]; then
		log "PostgreSQL: using PARLEY_TEST_POSTGRES_URL"
		return
	fi
	pg_find_bin
	services_tmpdir
	local dir=$services_tmp/pg
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "no 'postgres' OS user to run initdb as (install the postgresql package)"
		chown postgres: "$dir"
	fi
	services_pg_data=$dir/data
	log "PostgreSQL: initdb in $services_pg_data ($services_pg_bin)"
	run_as_pg "$services_pg_bin/initdb" -D "$services_pg_data" -U postgres -A trust \
		-E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
		die "initdb failed: $(cat "$dir/initdb.log")"
	# Throwaway cluster: durability off for speed, many connections for
	# parallel tests, no parallel query (a small /dev/shm in containers
	# makes parallel workers fail), socket inside our temp dir only.
	local port attempt
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		if run_as_pg "$services_pg_bin/pg_ctl" -D "$services_pg_data" -l "$dir/postgres.log" -w -t 60 \
			-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c max_parallel_workers_per_gather=0 -c log_min_messages=warning" \
			start >"$dir/pg_ctl.log" 2>&1; then
			export PARLEY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			log "PostgreSQL: $PARLEY_TEST_POSTGRES_URL"
			return
		fi
		log "PostgreSQL did not start on port $port (attempt $attempt); log:"
		tail -n 5 "$dir/postgres.log" >&2 || true
	done
	die "could not start a throwaway PostgreSQL (see logs above)"
}

postgres_stop() {
	[ -n "$services_pg_data" ] || return 0
	if [ -f "$services_pg_data/postmaster.pid" ]; then
		run_as_pg "$services_pg_bin/pg_ctl" -D "$services_pg_data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	services_pg_data=""
}

redis_ping() {
	if command -v redis-cli >/dev/null 2>&1; then
		[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]
	else
		# bash's /dev/tcp: speak inline RESP.
		exec 4<>"/dev/tcp/127.0.0.1/$1" || return 1
		printf 'PING\r\n' >&4
		local reply
		IFS= read -r -t 2 reply <&4 || true
		exec 4>&-
		[ "${reply%$'\r'}" = "+PONG" ]
	fi
}

redis_start() {
	local server=${PARLEY_TEST_REDIS_SERVER:-/usr/bin/redis-server}
	if [ -z "${PARLEY_TEST_REDIS_SERVER:-}" ]; then
		need_binary "$server" redis-server
	fi
	[ -x "$server" ] || die "PARLEY_TEST_REDIS_SERVER=$server is not executable"
	# Fault tests start and kill their own Redis instances from this binary.
	export PARLEY_TEST_REDIS_SERVER=$server
	if [ -n "${PARLEY_TEST_REDIS_URL:-}" ]; then
		log "Redis: using PARLEY_TEST_REDIS_URL"
		return
	fi
	services_tmpdir
	local dir=$services_tmp/redis port attempt
	mkdir -p "$dir"
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		"$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$dir" --logfile "$dir/redis.log" --daemonize no \
			</dev/null >/dev/null 2>>"$dir/redis.log" &
		services_redis_pid=$!
		# The process must still be ours once the port answers: if another
		# run took the port first, our server exited and theirs answered.
		if wait_until 20 "Redis on port $port" redis_ping "$port" && kill -0 "$services_redis_pid" 2>/dev/null; then
			export PARLEY_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
			log "Redis: $PARLEY_TEST_REDIS_URL"
			return
		fi
		log "Redis did not start on port $port (attempt $attempt); log:"
		tail -n 5 "$dir/redis.log" >&2 || true
		redis_stop
	done
	die "could not start a throwaway Redis (see logs above)"
}

redis_stop() {
	[ -n "$services_redis_pid" ] || return 0
	kill "$services_redis_pid" 2>/dev/null || true
	wait "$services_redis_pid" 2>/dev/null || true
	services_redis_pid=""
}

# binary_from_env VAR DEFAULT PACKAGE: exports VAR as the path of a binary,
# installing PACKAGE when the default is missing.
binary_from_env() {
	local var=$1 default=$2 pkg=$3 path
	path=${!var:-}
	if [ -z "$path" ]; then
		need_binary "$default" "$pkg"
		path=$default
	fi
	[ -x "$path" ] || die "$var=$path is not executable"
	export "$var=$path"
	log "$var=$path"
}

# toolchain_ensure provides the C compiler that go test -race needs (the
# race detector requires cgo, and Go disables cgo without a compiler).
toolchain_ensure() {
	command -v go >/dev/null 2>&1 || die "go is not installed (see go.mod for the version)"
	local cc
	cc=$(go env CC)
	if ! command -v "${cc%% *}" >/dev/null 2>&1; then
		apt_install gcc libc6-dev
	fi
	command -v "${cc%% *}" >/dev/null 2>&1 || die "no C compiler ($cc) for go test -race"
	export CGO_ENABLED=1
}

services_cleanup() {
	local rc=$?
	redis_stop
	postgres_stop
	if [ -n "$services_tmp" ]; then
		rm -rf "$services_tmp"
		services_tmp=""
	fi
	return "$rc"
}

services_start() {
	trap services_cleanup EXIT
	# Turn Ctrl-C/termination into a normal exit so the EXIT trap cleans up.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	postgres_start
	redis_start
	binary_from_env PARLEY_TEST_CHROMIUM /usr/bin/chromium chromium
	binary_from_env PARLEY_TEST_NGINX /usr/sbin/nginx nginx
	binary_from_env PARLEY_TEST_HAPROXY /usr/sbin/haproxy haproxy
	# promtool checks and unit-tests docs/deploy/prometheus-alerts.yml.
	binary_from_env PARLEY_TEST_PROMTOOL /usr/bin/promtool prometheus
	# UI tests write screenshots and console logs here (git-ignored).
	export PARLEY_TEST_ARTIFACTS=${PARLEY_TEST_ARTIFACTS:-$PWD/test-artifacts}
	mkdir -p "$PARLEY_TEST_ARTIFACTS"
}
