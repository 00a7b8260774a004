#!/usr/bin/env bash
# Page views per second of the web box office (BENCHMARKS.md, "The web box office"): a release
# server on the demo box office, wrk against the home, event and session pages and the API's
# seat map, on SQLite and on PostgreSQL, with the seat-map snapshot on (250 ms) and off (0).
# Run from the repository root after `cargo build --release`; needs wrk and, for PostgreSQL,
# the server of BILHETERIA_BENCH_DATABASE_URL. Loopback only; every run stops by itself.
set -euo pipefail
bin=target/release/bilheteria
pg="${BILHETERIA_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench_pages}"
seconds="${BENCH_SECONDS:-15}"
addr=127.0.0.1:8181
# A returning visitor: wrk sends the same device cookie every time.
cookie="Cookie: bilheteria_device=web-benchmark-visitor-0001"

run() { # backend, snapshot ms
  local backend=$1 age=$2 dir url
  dir=$(mktemp -d)
  if [ "$backend" = postgres ]; then
    psql "${pg%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${pg##*/}" -c "CREATE DATABASE ${pg##*/}" >/dev/null
    url=$pg
  else
    url="sqlite:$dir/bilheteria.db"
  fi
  $bin seed --demo --data-dir "$dir" --database-url "$url" >/dev/null
  $bin serve --data-dir "$dir" --database-url "$url" --addr $addr --seat-map-max-age-ms "$age" \
    --log-format json >"$dir/server.log" 2>&1 &
  local server=$!
  for _ in $(seq 50); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
  local event session section
  event=$(curl -s "http://$addr/" | grep -o '/events/[0-9a-f-]*' | head -1)
  session=$(curl -s "http://$addr$event" | grep -o '/sessions/[0-9a-f-]*' | head -1)
  section=$(curl -s "http://$addr$session" | grep -o 'section=[0-9a-f-]*' | head -1)
  echo "== $backend, seat-map snapshot ${age} ms"
  for path in / "$event" "$session" "$session?$section" "/api/v1${session}/seats?${section/section=/section_id=}"; do
    printf '%-90s ' "$path"
    wrk -t2 -c32 -d"${seconds}s" -H "$cookie" -H 'Accept-Language: pt-BR' "http://$addr$path" |
      awk '/Requests\/sec/ {rps=$2} /Latency/ {lat=$2} /Non-2xx/ {bad=$5} END {printf "%10s req/s  p-avg %s  non-2xx %s\n", rps, lat, bad+0}'
  done
  kill $server; wait $server 2>/dev/null || true
  rm -rf "$dir"
}

for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
  for age in ${BENCH_AGES:-250 0}; do run "$backend" "$age"; done
done
