#!/usr/bin/env bash
# The purchase path at saturation (BENCHMARKS.md, "Speed"): pgbench's yardstick, then
# `bilheteria rehearse` on each backend at each rate, the database fresh for every run, each
# run's table (purchases/s, steps, processor time per process, audit) kept in $BENCH_OUT.
# Run from the repository root after `cargo build --release`; needs pgbench and the PostgreSQL
# of BILHETERIA_BENCH_DATABASE_URL (its `yardstick` database is made at scale 10 if missing).
# Loopback only; every run stops by itself.
#   BENCH_BACKENDS  "sqlite postgres"        BENCH_RATES  "520"
#   BENCH_SECONDS   30                       BENCH_SEATS  20000   BENCH_STANDING 10000
#   BENCH_FLAGS     extra flags for rehearse (default: all full price, by card)
#   BENCH_YARDSTICK 1 (0: no pgbench, for a sitting's middle runs)   BENCH_OUT target/bench-rehearse
#   BENCH_TAG       a suffix for this call's run directories
set -euo pipefail
bin=target/release/bilheteria
pg="${BILHETERIA_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench_rehearse}"
admin="${pg%/*}/postgres"
out="${BENCH_OUT:-target/bench-rehearse}"
mkdir -p "$out"

yardstick() {
  psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'yardstick'" | grep -q 1 ||
    { psql "$admin" -qc "CREATE DATABASE yardstick" && pgbench -h 127.0.0.1 -U postgres -i -s 10 -q yardstick; }
  pgbench -h 127.0.0.1 -U postgres -c 8 -j 2 -T 30 yardstick 2>/dev/null |
    awk '/^tps/ {printf "pgbench tpcb-like scale 10, -c 8 -j 2 -T 30: %s TPS\n", $3} /latency average/ {print "  latency " $4 " ms"}'
}

echo "== $(date -u +%FT%TZ) $(git rev-parse --short HEAD) on $(nproc) processors"
[ "${BENCH_YARDSTICK:-1}" = 0 ] || yardstick | tee "$out/pgbench-before.txt"
for backend in ${BENCH_BACKENDS:-sqlite postgres}; do
  for rate in ${BENCH_RATES:-520}; do
    database=()
    if [ "$backend" = postgres ]; then
      psql "$admin" -qc "DROP DATABASE IF EXISTS ${pg##*/}" -c "CREATE DATABASE ${pg##*/}" >/dev/null
      database=(--database-url "$pg")
    fi
    run="$out/$backend-$rate${BENCH_TAG:+-$BENCH_TAG}"
    echo "== $backend at $rate arrivals/s"
    # shellcheck disable=SC2086
    $bin "${database[@]}" rehearse --rate "$rate" --duration "${BENCH_SECONDS:-30}" \
      --seats "${BENCH_SEATS:-20000}" --standing "${BENCH_STANDING:-10000}" \
      ${BENCH_FLAGS:---half-share 0 --pix-share 0} --quiet --out "$run" >"$run.txt" 2>&1 || true
    grep -E "purchases/s|^(seat_map|hold|order|purchase) |^(load generator|server|paysim|database|other) |processor time|^SQLite writer|audit:" "$run.txt"
  done
done
[ "${BENCH_YARDSTICK:-1}" = 0 ] || yardstick | tee "$out/pgbench-after.txt"
