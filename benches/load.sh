#!/usr/bin/env bash
# Load on POST /api/v1/chat over loopback: 64 connections for 20 s with wrk
# (Debian package `wrk`), against the release build serving the demo content.
# Prints wrk's figures: requests/s and the latency distribution (p50, p99).
# Given a binary, serves with it instead of building: to compare two builds,
# run each in turn, several times (the machine's speed drifts over time).
#
#   bash benches/load.sh [seconds] [binary]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
seconds=${1:-20}
binary=${2:-}
port=18765

if [ -z "$binary" ]; then
    cargo build --release --quiet
    binary=./target/release/madoguchi
fi
work=$(mktemp -d)
cat > "$work/madoguchi.toml" <<TOML
bind = "127.0.0.1:$port"
data_dir = "$work/data"
[web]
# One client makes every request here: lift the per-client limit.
requests_per_minute = 1000000000
TOML
"$binary" serve --config "$work/madoguchi.toml" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

wrk -t2 -c64 -d"${seconds}s" --latency -s benches/chat.lua "http://127.0.0.1:$port/api/v1/chat"
echo
echo "replies stored: $(curl -fsS "http://127.0.0.1:$port/metrics" | awk '/^madoguchi_decisions_total/ {s += $2} END {print s}')"
