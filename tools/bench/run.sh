#!/usr/bin/env bash
# Runs one parley-bench scenario of docs/performance.md against throwaway
# parley nodes (and, for the two-node scenario, a private redis-server and
# nginx with docs/deploy/nginx.conf) on a throwaway database: a database on
# the local PostgreSQL (ENGINE=postgres) or the embedded SQLite file in a
# throwaway data directory (ENGINE=sqlite). Everything listens on 127.0.0.1
# and is removed afterwards.
#
#   [ENGINE=postgres|sqlite] tools/bench/run.sh idle|accept|fanout|persisted|rate|cluster|shutdown|proxy [extra parley-bench flags]
#
# Every scenario sets up first (users, group, topics, logins) with
# parley-bench -setup-only into a world file, then stops the node(s) with
# SIGTERM and starts NEW node processes on the same database and data
# directories, and measures with -world: the measured processes did no
# set-up (argon2id logins leave ~19 MiB of freed heap each, which later
# connections would reuse) and their baseline is taken before the first
# connection.
#
# Scenarios:
#   idle       memory and goroutines per idle authenticated connection (CLIENTS, default 10000)
#   accept     WebSocket connections accepted per second (CLIENTS, default 10000;
#              CONCURRENCY attempts at once, default 1000)
#   fanout     one channel, 5,000 subscribers, 20 publishes/s
#   persisted  10,000 connections in 1,000 channels of 10, 1,000 msg/s
#   rate       the same at RATE msg/s
#   cluster    persisted over two nodes behind nginx, events via Redis (postgres only)
#   proxy      CLIENTS (default 18000) idle connections through the balancer
#              PROXY (nginx, the default, or haproxy) configured with
#              docs/deploy/, over two nodes (postgres only)
#   shutdown   CLIENTS (default 10000) idle connections, then SIGTERM to the node:
#              time until every socket ended (close codes) and the process exited
#
# Environment:
#   ENGINE        postgres (default) or sqlite (the embedded default: no
#                 PARLEY_DATABASE_URL, PARLEY_DATA_DIR a throwaway directory)
#   PG_ADMIN_URL  admin URL of the PostgreSQL server
#                 (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   PG_PARAMS     extra query parameters of the node's database URL (e.g. pool_max_conns=8)
#   RATE          publish rate for the "rate" scenario (default 5000)
#   DURATION      publishing (or idle holding) time (default 30s; idle: 2m10s,
#                 so that Go's forced GC, at least every 2 minutes, runs before
#                 memory is read)
#   CLIENTS       connections of idle and accept (default 10000)
#   CONCURRENCY   simultaneous connection attempts of accept (default 1000)
#   OUT           directory for $ENGINE-<scenario>.json and .txt (default docs/perf)
#   PROFILE=1     build parley with net/http/pprof (tools/bench/pprof.go.txt, as
#                 an overlay: the tree is not touched) and save a CPU profile of
#                 node 1 taken while publishing, and a heap profile, to
#                 $PROFILE_DIR/$ENGINE-<scenario>.{cpu,heap}.pprof
#   PROFILE_DIR   default bench-profiles/ in the repo (git-ignored, like *.pprof)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
usage="usage: [ENGINE=postgres|sqlite] $0 idle|accept|fanout|persisted|rate|cluster|shutdown|proxy [parley-bench flags]"
scenario=${1:?$usage}
shift
command_line="$(printf '%q ' "ENGINE=${ENGINE:-postgres}" ${RATE:+"RATE=$RATE"} ${DURATION:+"DURATION=$DURATION"} ${CLIENTS:+"CLIENTS=$CLIENTS"} ${CONCURRENCY:+"CONCURRENCY=$CONCURRENCY"} ${PG_PARAMS:+"PG_PARAMS=$PG_PARAMS"} ${PROFILE:+"PROFILE=$PROFILE"} ${OUT:+"OUT=$OUT"} tools/bench/run.sh "$scenario" "$@")"
ENGINE=${ENGINE:-postgres}
case $ENGINE in
postgres | sqlite) ;;
*)
	echo "ENGINE is postgres or sqlite, not $ENGINE" >&2
	exit 2
	;;
esac
case $scenario in
idle | accept | fanout | persisted | rate | cluster | shutdown | proxy) ;;
*)
	echo "unknown scenario $scenario; $usage" >&2
	exit 2
	;;
esac
if { [ "$scenario" = cluster ] || [ "$scenario" = proxy ]; } && [ "$ENGINE" = sqlite ]; then
	echo "the cluster scenario needs PostgreSQL: two nodes share one database, and SQLite is the single-node embedded default (run it with ENGINE=postgres)" >&2
	exit 2
fi
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DURATION=${DURATION:-$([ "$scenario" = idle ] && echo 2m10s || echo 30s)}
CLIENTS=${CLIENTS:-$([ "$scenario" = proxy ] && echo 18000 || echo 10000)}
PROXY=${PROXY:-nginx}
# The node's "stopped" line (with how long the stop took) is at info.
[ "$scenario" = shutdown ] && LOG_LEVEL=${LOG_LEVEL:-info}
OUT=${OUT:-docs/perf}
PROFILE_DIR=${PROFILE_DIR:-$ROOT/bench-profiles}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# 10,000 sockets per process; the hard limit here is 20,000.
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/parley-bench.XXXXXX)
chmod 777 "$WORK" # nginx workers may run as nobody
DB=parley_bench_$(date +%s)_$$
PIDS=()
NODE_PIDS=()
cleanup() {
	for pid in "${NODE_PIDS[@]}" "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${NODE_PIDS[@]}" "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ "$ENGINE" = postgres ]; then
		psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitready() { # url
	for _ in $(seq 600); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "not ready: $1" >&2
	tail -5 "$WORK"/*.log >&2
	return 1
}

overlay=()
if [ "${PROFILE:-}" = 1 ]; then
	printf '{"Replace":{"%s/cmd/parley/zz_bench_pprof.go":"%s/tools/bench/pprof.go.txt"}}\n' "$ROOT" "$ROOT" >"$WORK/overlay.json"
	overlay=(-overlay "$WORK/overlay.json")
	mkdir -p "$PROFILE_DIR"
fi
go build "${overlay[@]}" -o "$WORK/parley" ./cmd/parley
go build -o "$WORK/parley-bench" ./cmd/parley-bench

db_env=()
if [ "$ENGINE" = postgres ]; then
	psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
	dburl=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); q="&".join(x for x in [p.query, sys.argv[3]] if x); print(u.urlunparse(p._replace(path="/"+sys.argv[2], query=q)))' "$PG_ADMIN_URL" "$DB" "${PG_PARAMS:-}")
	db_env=("PARLEY_DATABASE_URL=$dburl")
fi

name=$ENGINE-$scenario
[ "$scenario" = rate ] && name=$ENGINE-rate-${RATE:-5000}
[ "$scenario" = proxy ] && name=$ENGINE-proxy-$PROXY
nodes=1
{ [ "$scenario" = cluster ] || [ "$scenario" = proxy ]; } && nodes=2
admin_email=admin@bench.example
admin_password=bench-admin-password
sessionkey=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
lb_port=$(freeport)
redis_env=()
if [ "$nodes" = 2 ]; then
	redis_port=$(freeport)
	redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
	PIDS+=($!)
	redis_pid=$!
	redis_env=("PARLEY_REDIS_URL=redis://127.0.0.1:$redis_port/0")
	public="http://127.0.0.1:$lb_port"
fi
node_urls=()
node_ports=()
for i in $(seq "$nodes"); do
	node_ports+=("$(freeport)")
	node_urls+=("http://127.0.0.1:${node_ports[$((i - 1))]}")
done
public=${public:-${node_urls[0]}}
pprof_port=$(freeport)
# start_nodes starts every node (the data directories and the database stay
# from one start to the next) and waits until each is ready.
start_nodes() { # log suffix
	NODE_PIDS=()
	for i in $(seq "$nodes"); do
		env PARLEY_LISTEN="127.0.0.1:${node_ports[$((i - 1))]}" PARLEY_PUBLIC_URL="$public" "${db_env[@]}" \
			PARLEY_SESSION_KEYS="$sessionkey" PARLEY_MAX_SOCKETS_PER_USER=0 PARLEY_ADMIN_EMAIL=$admin_email PARLEY_ADMIN_PASSWORD=$admin_password \
			PARLEY_DATA_DIR="$WORK/node$i" PARLEY_LOG_FORMAT=json PARLEY_LOG_LEVEL=${LOG_LEVEL:-warn} \
			PARLEY_BENCH_PPROF="$([ "$i" = 1 ] && echo "127.0.0.1:$pprof_port")" "${redis_env[@]}" \
			"$WORK/parley" >"$WORK/node$i$1.log" 2>&1 &
		NODE_PIDS+=($!)
		# Nodes start one after the other: the first migrates and creates the admin.
		waitready "${node_urls[$((i - 1))]}/readyz"
	done
}
# stop_nodes stops every node with SIGTERM and waits for it to exit.
stop_nodes() {
	for pid in "${NODE_PIDS[@]}"; do kill -TERM "$pid"; done
	for pid in "${NODE_PIDS[@]}"; do wait "$pid" || true; done
	NODE_PIDS=()
}
start_nodes .setup
url=${node_urls[0]}
ws="ws${url#http}/ws"
metrics="$url/metrics"
if [ "$nodes" = 2 ]; then
	# The shipped balancer configuration as it is, placeholders filled in.
	conf=nginx.conf
	[ "$scenario" = proxy ] && [ "$PROXY" = haproxy ] && conf=haproxy.cfg
	sed -e "s|{{DIR}}|$WORK|g" -e "s|{{LISTEN}}|127.0.0.1:$lb_port|" \
		-e "s|{{NODE1}}|${node_urls[0]#http://}|" -e "s|{{NODE2}}|${node_urls[1]#http://}|" \
		"docs/deploy/$conf" >"$WORK/$conf"
	if [ "$conf" = haproxy.cfg ]; then
		haproxy -db -f "$WORK/$conf" >"$WORK/haproxy.log" 2>&1 &
	else
		nginx -c "$WORK/$conf" -p "$WORK" -e "$WORK/error.log" -g 'daemon off;' &
	fi
	PIDS+=($!)
	nginx_pid=$!
	url="http://127.0.0.1:$lb_port"
	waitready "$url/readyz"
	ws="ws${url#http}/ws"
	metrics="${node_urls[0]}/metrics,${node_urls[1]}/metrics"
fi

# CPU of the other processes: the PostgreSQL server of our database (not
# its backends of other databases, nor other PostgreSQL servers on the
# machine), and our own redis-server and nginx (with its workers).
pg_comm=()
[ "$ENGINE" = postgres ] && pg_comm=(-cpu-pg-db "$DB")
case $scenario in
idle) # 1: memory and goroutines per idle authenticated connection
	args=(-idle -clients "$CLIENTS" -channels 1000 -users 100) ;;
accept) # 2: connections accepted per second, from nothing, CONCURRENCY at once
	args=(-accept -clients "$CLIENTS" -channels 1000 -users 100 -connect-concurrency "${CONCURRENCY:-1000}" "${pg_comm[@]}") ;;
fanout) # 3: one channel, 5,000 subscribers, 20 publishes/s
	args=(-clients 5000 -channels 1 -publishers 20 -rate 20 -users 100 "${pg_comm[@]}") ;;
persisted) # 4: 10,000 connections in 1,000 channels of 10, 1,000 msg/s
	args=(-clients 10000 -channels 1000 -publishers 1000 -rate 1000 -users 100 "${pg_comm[@]}") ;;
rate) # 5: the same, at RATE msg/s
	args=(-clients 10000 -channels 1000 -publishers 1000 -rate "${RATE:-5000}" -users 100 "${pg_comm[@]}") ;;
proxy) # CLIENTS idle connections through the balancer, held for DURATION
	args=(-idle -clients "$CLIENTS" -channels 1000 -users 100 -connect-concurrency 200) ;;
shutdown) # SIGTERM with CLIENTS idle connections; the node is gone afterwards
	args=(-idle -clients "$CLIENTS" -channels 1000 -users 100 -connect-concurrency 500 -drain 60s) ;;
cluster) # 6: scenario 4 over two nodes behind nginx, events via Redis
	args=(-clients 10000 -channels 1000 -publishers 1000 -rate 1000 -users 100 "${pg_comm[@]}" -cpu-pid "redis-server=$redis_pid,nginx=$nginx_pid") ;;
*)
	echo "unknown scenario $scenario; $usage" >&2
	exit 2
	;;
esac

# The set-up, on processes that are then stopped: -users and -channels
# (the last given wins, so extra flags may change them) say how much.
world="$WORK/world.json"
setup_args=(-url "$url" -admin-email $admin_email -admin-password $admin_password -publishers 0)
sizes=()
for f in "${args[@]}" "$@"; do
	case $f in -users=* | -channels=* | -clients=*) sizes+=("$f") ;; esac
done
prev=
for f in "${args[@]}" "$@"; do
	case $prev in -users | -channels | -clients) sizes+=("$prev" "$f") ;; esac
	prev=$f
done
"$WORK/parley-bench" -setup-only -world "$world" "${setup_args[@]}" "${sizes[@]}"
stop_nodes
start_nodes ""
[ "$nodes" = 2 ] && waitready "$url/readyz"

[ "$scenario" = shutdown ] && args+=(-shutdown-pid "${NODE_PIDS[0]}")
bench=("$WORK/parley-bench" -world "$world" -url "$url" -ws "$ws" -metrics "$metrics"
	-duration "$DURATION" -json "$OUT/$name.json" "${args[@]}" "$@")

if [ "${PROFILE:-}" = 1 ]; then
	(
		# Profile node 1 once publishing has started (acks counted), or for
		# idle and accept once connections are coming in.
		series=parley_hub_publish_duration_seconds_count want=1
		[ "$scenario" = idle ] && series=parley_hub_connections want=$((CLIENTS * 99 / 100))
		[ "$scenario" = accept ] && series=parley_hub_connections want=1
		for _ in $(seq 3000); do
			n=$(curl -fsS "${node_urls[0]}/metrics" 2>/dev/null | awk -v s="$series" '$1 == s {print int($2)}')
			[ -n "$n" ] && [ "$n" -ge "$want" ] && break
			sleep 0.2
		done
		[ "$scenario" = accept ] || sleep 2
		curl -fsS -o "$PROFILE_DIR/$name.cpu.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=${PROFILE_SECONDS:-15}"
		curl -fsS -o "$PROFILE_DIR/$name.heap.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/heap?gc=1"
		echo "# profiles: $PROFILE_DIR/$name.cpu.pprof, $PROFILE_DIR/$name.heap.pprof" >&2
	) &
	profiler=$!
fi

rm -f "$OUT/$name".failed.*.log # of an earlier run
{
	echo "# scenario $scenario on $ENGINE, $(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (uncommitted changes)')"
	echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
	echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# command: $command_line"
	echo "# set-up by parley-bench -setup-only $(printf '%q ' "${sizes[@]}")on node processes since stopped; measured on fresh ones"
	echo "# parley-bench $(printf '%q ' "${bench[@]:1}" | sed "s|$WORK|\$WORK|g")"
} | tee "$OUT/$name.txt"
set +e
"${bench[@]}" | tee -a "$OUT/$name.txt"
rc=${PIPESTATUS[0]}
set -e
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/$name.txt"
if [ "$scenario" = proxy ]; then
	echo "# $PROXY errors and warnings: $(cat "$WORK"/error.log "$WORK"/haproxy.log 2>/dev/null | grep -ciE 'emerg|alert|crit|error|warn|open files|not enough')" | tee -a "$OUT/$name.txt"
	{ cat "$WORK"/error.log "$WORK"/haproxy.log 2>/dev/null || true; } | head -5 | tee -a "$OUT/$name.txt"
fi
if [ "$scenario" = shutdown ]; then
	wait "${NODE_PIDS[0]}" || true
	NODE_PIDS=()
	grep -h '"message":"\(stopped\|dropped[^"]*\)"' "$WORK"/node1.log | tee -a "$OUT/$name.txt" || true
fi
grep -h '"level":"\(error\|warn\)"' "$WORK"/node*.log | head -5 | tee -a "$OUT/$name.txt" || true
if [ "$rc" != 0 ]; then
	for f in "$WORK"/node*.log; do cp "$f" "$OUT/$name.failed.$(basename "$f")"; done
fi
if [ -n "${profiler:-}" ]; then
	# A profile still being taken finishes; a profiler still waiting stops.
	kill "$profiler" 2>/dev/null || true
	wait "$profiler" 2>/dev/null || true
fi
exit "$rc"
