#!/usr/bin/env bash
# Runs one parley-bench scenario of docs/performance.md against throwaway
# parley nodes (and, for the two-node scenario, a private redis-server and
# nginx with docs/deploy/nginx.conf) on a throwaway database on the local
# PostgreSQL. Everything listens on 127.0.0.1 and is removed afterwards.
#
#   tools/bench/run.sh idle|fanout|persisted|rate|cluster [extra parley-bench flags]
#
# Environment:
#   PG_ADMIN_URL  admin URL of the PostgreSQL server
#                 (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)
#   PG_PARAMS     extra query parameters of the node's database URL (e.g. pool_max_conns=8)
#   RATE          publish rate for the "rate" scenario (default 5000)
#   DURATION      publishing (or idle holding) time (default 30s)
#   OUT           directory for <scenario>.json and <scenario>.txt (default docs/perf)
#   PROFILE=1     build parley with net/http/pprof (tools/bench/pprof.go.txt, as
#                 an overlay: the tree is not touched) and save a CPU profile of
#                 node 1 taken while publishing to $OUT/<scenario>.cpu.pprof (and a heap profile)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
scenario=${1:?usage: $0 idle|fanout|persisted|rate|cluster [parley-bench flags]}
shift
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DURATION=${DURATION:-30s}
OUT=${OUT:-docs/perf}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# 10,000 sockets per process; the hard limit here is 20,000.
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/parley-bench.XXXXXX)
chmod 777 "$WORK" # nginx workers may run as nobody
DB=parley_bench_$(date +%s)_$$
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
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
fi
go build "${overlay[@]}" -o "$WORK/parley" ./cmd/parley
go build -o "$WORK/parley-bench" ./cmd/parley-bench

psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE $DB" >/dev/null
dburl=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); q="&".join(x for x in [p.query, sys.argv[3]] if x); print(u.urlunparse(p._replace(path="/"+sys.argv[2], query=q)))' "$PG_ADMIN_URL" "$DB" "${PG_PARAMS:-}")

name=$scenario
[ "$scenario" = rate ] && name=rate-${RATE:-5000}
nodes=1
[ "$scenario" = cluster ] && nodes=2
admin_email=admin@bench.example
admin_password=bench-admin-password
sessionkey=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
lb_port=$(freeport)
redis_env=()
if [ "$nodes" = 2 ]; then
	redis_port=$(freeport)
	redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
	PIDS+=($!)
	redis_env=("PARLEY_REDIS_URL=redis://127.0.0.1:$redis_port/0")
	public="http://127.0.0.1:$lb_port"
fi
node_urls=()
pprof_port=$(freeport)
for i in $(seq "$nodes"); do
	port=$(freeport)
	public=${public:-http://127.0.0.1:$port}
	env PARLEY_LISTEN="127.0.0.1:$port" PARLEY_PUBLIC_URL="$public" PARLEY_DATABASE_URL="$dburl" \
		PARLEY_SESSION_KEYS="$sessionkey" PARLEY_ADMIN_EMAIL=$admin_email PARLEY_ADMIN_PASSWORD=$admin_password \
		PARLEY_DATA_DIR="$WORK/node$i" PARLEY_LOG_FORMAT=json PARLEY_LOG_LEVEL=${LOG_LEVEL:-warn} \
		PARLEY_BENCH_PPROF="$([ "$i" = 1 ] && echo "127.0.0.1:$pprof_port")" "${redis_env[@]}" \
		"$WORK/parley" >"$WORK/node$i.log" 2>&1 &
	PIDS+=($!)
	node_urls+=("http://127.0.0.1:$port")
	# Nodes start one after the other: the first migrates and creates the admin.
	waitready "http://127.0.0.1:$port/readyz"
done
url=${node_urls[0]}
ws="ws${url#http}/ws"
metrics="$url/metrics"
if [ "$nodes" = 2 ]; then
	# Two workers: 10,000 client and 10,000 upstream sockets do not fit in
	# one worker's 20,000 descriptors.
	sed -e "s|{{DIR}}|$WORK|g" -e "s|{{LISTEN}}|127.0.0.1:$lb_port|" \
		-e "s|{{NODE1}}|${node_urls[0]#http://}|" -e "s|{{NODE2}}|${node_urls[1]#http://}|" \
		-e "s|^worker_processes 1;|worker_processes 2;\nworker_rlimit_nofile 20000;|" \
		docs/deploy/nginx.conf >"$WORK/nginx.conf"
	nginx -c "$WORK/nginx.conf" -p "$WORK" -e "$WORK/error.log" -g 'daemon off;' &
	PIDS+=($!)
	url="http://127.0.0.1:$lb_port"
	waitready "$url/readyz"
	ws="ws${url#http}/ws"
	metrics="${node_urls[0]}/metrics,${node_urls[1]}/metrics"
fi

common=(-url "$url" -ws "$ws" -metrics "$metrics" -admin-email $admin_email -admin-password $admin_password
	-duration "$DURATION" -json "$OUT/$name.json")
case $scenario in
idle) # 1: memory and goroutines per idle authenticated connection
	args=(-idle -clients ${CLIENTS:-10000} -channels 1000 -users 100) ;;
fanout) # 2: one channel, 5,000 subscribers, 20 publishes/s
	args=(-clients 5000 -channels 1 -publishers 20 -rate 20 -users 100) ;;
persisted) # 3: 10,000 connections in 1,000 channels of 10, 1,000 msg/s
	args=(-clients 10000 -channels 1000 -publishers 1000 -rate 1000 -users 100 -cpu-comm postgres) ;;
rate) # 4: the same, at RATE msg/s
	args=(-clients 10000 -channels 1000 -publishers 1000 -rate "${RATE:-5000}" -users 100 -cpu-comm postgres) ;;
cluster) # 5: scenario 3 over two nodes behind nginx, events via Redis
	args=(-clients 10000 -channels 1000 -publishers 1000 -rate 1000 -users 100 -cpu-comm postgres,redis-server,nginx) ;;
*)
	echo "unknown scenario $scenario" >&2
	exit 2
	;;
esac

if [ "${PROFILE:-}" = 1 ]; then
	(
		# Profile node 1 once publishing has started (acks counted), or for
		# idle once every connection is up.
		series=parley_hub_publish_duration_seconds_count want=1
		[ "$scenario" = idle ] && series=parley_hub_connections want=$((${CLIENTS:-10000} * 99 / 100))
		for _ in $(seq 3000); do
			n=$(curl -fsS "${node_urls[0]}/metrics" 2>/dev/null | awk -v s="$series" '$1 == s {print int($2)}')
			[ -n "$n" ] && [ "$n" -ge "$want" ] && break
			sleep 0.2
		done
		sleep 2
		curl -fsS -o "$OUT/$name.cpu.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=${PROFILE_SECONDS:-15}"
		curl -fsS -o "$OUT/$name.heap.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/heap?gc=1"
	) &
	profiler=$!
fi

{
	echo "# scenario $scenario, $(date -u +%FT%TZ)"
	echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3)"
	echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# parley-bench ${args[*]} $* (plus -url/-ws/-metrics/-admin-*/-duration $DURATION)"
} | tee "$OUT/$name.txt"
set +e
"$WORK/parley-bench" "${common[@]}" "${args[@]}" "$@" | tee -a "$OUT/$name.txt"
rc=${PIPESTATUS[0]}
set -e
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/$name.txt"
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
