#!/bin/bash
# Full GCs and CPU per GB of the example gateway under one bulk TCP stream, with or without
# V8 flags in front of the CLI. Manual: the example config's fixed ports (7000, 20000-...)
# must be free, iperf3 installed, `npx tsc -b` done.
#
#   bench/scripts/gc-under-load.sh [TRANSPORT|ping] [SECONDS] [-- NODE_FLAGS...]
#   bench/scripts/gc-under-load.sh tcp 5                                    # plain node
#   bench/scripts/gc-under-load.sh tcp 5 -- --initial-old-space-size=64     # as `tfgw` runs
#   bench/scripts/gc-under-load.sh ping 0 -- --initial-old-space-size=64    # 20,000 ping-pongs
#
# Prints Gbit/s, gateway and agent CPU seconds per GB (utime+stime from /proc) and the
# number of full (Mark-Compact) GCs the gateway ran during the transfer (--trace-gc), then
# per process the CPU per GB and % of a core of its main thread, of the QUIC library's
# runtime threads (tokio-rt-worker) and of the rest (V8's helpers, libuv's pool).
# IPERF_RATE=1500M caps iperf3 (-b, per stream), to measure costs where nothing is starved;
# IPERF_STREAMS=16 runs parallel streams (-P). With
# `ping` (over the tcp transport), 20,000 sequential 64-byte round trips to an echo server
# instead: p50 and p99 in µs and gateway + agent CPU µs per round trip.
set -euo pipefail
transport=${1:-tcp}
seconds=${2:-5}
shift $(( $# < 2 ? $# : 2 ))
[ "${1:-}" = "--" ] && shift
flags=("$@")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cd "$root"
iperf_port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
if [ "$transport" = ping ]; then
  node bench/dist/workers/echo-server.js "$iperf_port" >/dev/null 2>&1 &
else
  iperf3 -s -p "$iperf_port" >/dev/null 2>&1 &
fi
pids+=($!)
node "${flags[@]}" --trace-gc core/dist/cli.js --config tfgw.config.example.js --log-level warn >"$work/gw.log" 2>&1 &
gw=$!
pids+=($gw)
case $transport in
  tcp | ping) server=tcp://127.0.0.1:7000 ;;
  ws) server=ws://127.0.0.1:7080/_tfgw ;;
  quic) server= ;;
  *) echo "first argument: tcp, ws, quic or ping" >&2; exit 2 ;;
esac
for _ in $(seq 100); do
  if [ "$transport" = quic ]; then fp=$(node transports/quic/dist/cli.js .tfgw 2>/dev/null || true); [ -n "$fp" ] && server="quic://127.0.0.1:7443#$fp"; fi
  [ -n "$server" ] && (exec 3<>/dev/tcp/127.0.0.1/7000) 2>/dev/null && break
  sleep 0.1
done
node "${flags[@]}" core/dist/cli.js agent --server "$server" --token dev-token --name gcload --tcp "127.0.0.1:$iperf_port" >"$work/agent.log" 2>&1 &
ag=$!
pids+=($ag)
port=
for _ in $(seq 100); do
  port=$(grep -o 'tcp://127.0.0.1:[0-9]*' "$work/agent.log" | head -1 | cut -d: -f3 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the agent did not register; its log:" >&2; cat "$work/agent.log" >&2; exit 1; }

cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)
if [ "$transport" = ping ]; then
  g0=$(cpu $gw); a0=$(cpu $ag)
  out=$(node bench/dist/workers/ping.js 127.0.0.1 "$port" 20000 64 | tail -1)
  g1=$(cpu $gw); a1=$(cpu $ag)
  echo "$out" | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const j = JSON.parse(s); const [c, t] = process.argv.slice(1).map(Number);
  console.log(`p50_us=${j.p50.toFixed(0)} p99_us=${j.p99.toFixed(0)} cpu_us_per_round_trip=${((c / t) * 1e6 / j.total).toFixed(0)}`);
});' $((g1 - g0 + a1 - a0)) "$ticks"
  exit 0
fi
# "ROLE KIND TICKS" per thread: KIND is main (tid = pid), library (tokio-rt-worker) or other.
threads() {
  for role in gateway:$gw agent:$ag; do
    local pid=${role#*:}
    for t in /proc/"$pid"/task/*; do
      local tid=${t##*/} comm kind
      comm=$(cat "$t/comm" 2>/dev/null) || continue
      kind=other; [ "$tid" = "$pid" ] && kind=main; [ "$comm" = tokio-rt-worker ] && kind=library
      echo "${role%%:*} $kind $(awk '{sub(/^.*\) /, ""); split($0, f, " "); print f[12] + f[13]}' "$t/stat" 2>/dev/null || echo 0)"
    done
  done
}
threads >"$work/threads0"
t0=$(date +%s.%N)
g0=$(cpu $gw); a0=$(cpu $ag); mc0=$(grep -ac Mark-Compact "$work/gw.log" || true)
json=$(iperf3 -c 127.0.0.1 -p "$port" -t "$seconds" -J ${IPERF_RATE:+-b "$IPERF_RATE"} ${IPERF_STREAMS:+-P "$IPERF_STREAMS"})
g1=$(cpu $gw); a1=$(cpu $ag); mc1=$(grep -ac Mark-Compact "$work/gw.log" || true)
t1=$(date +%s.%N)
threads >"$work/threads1"
echo "$json" | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const j = JSON.parse(s); const gb = j.end.sum_received.bytes / 1e9;
  const [g, a, t, mc] = process.argv.slice(1).map(Number);
  console.log(`gbps=${(j.end.sum_received.bits_per_second / 1e9).toFixed(2)} gw_s_per_gb=${(g / t / gb).toFixed(2)} agent_s_per_gb=${(a / t / gb).toFixed(2)} gateway_full_gcs=${mc}`);
});' $((g1 - g0)) $((a1 - a0)) "$ticks" $((mc1 - mc0))
gb=$(echo "$json" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).end.sum_received.bytes / 1e9))')
# Summed per process and kind of thread (the threads live as long as their process).
awk -v gb="$gb" -v t0="$t0" -v t1="$t1" -v hz="$ticks" '
  FNR == NR { before[$1 " " $2] += $3; next }
  { after[$1 " " $2] += $3 }
  END { for (k in after) { s = (after[k] - before[k]) / hz; printf "%s s_per_gb=%.2f core_pct=%.0f\n", k, s / gb, 100 * s / (t1 - t0) } }
' "$work/threads0" "$work/threads1" | sort
