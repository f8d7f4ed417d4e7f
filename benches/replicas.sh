#!/usr/bin/env bash
# The chat API through nginx, same machine, same run: one replica on SQLite,
# then one and two replicas on PostgreSQL (a throwaway cluster with Debian's
# defaults: fsync and synchronous commit on). wrk posts seven everyday
# questions in turn (benches/chat.lua), as 10,000 residents in conversation
# (each conversation is looked up, then kept), and for the two replicas also
# as new visitors.
# Needs Debian's wrk, nginx and postgresql.
#
#   bash benches/replicas.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
connections=${2:-64}
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$tool is needed (apt-get install $tool)" >&2; exit 1; }
done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pgbin" ] || { echo "postgresql is needed (apt-get install postgresql)" >&2; exit 1; }
cargo build --release --quiet
binary=$PWD/target/release/madoguchi

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as nobody then.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown nobody "$work/pg"
as_postgres "$pgbin/initdb" -D "$work/pg/data" -U madoguchi --auth=trust --no-locale -E UTF8 >/dev/null
pgport=$(free_port)
as_postgres "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-p $pgport -c listen_addresses=127.0.0.1 -k $work/pg -c max_connections=200" start >/dev/null

# Starts a replica on `port` with `store` (a database URL, or empty for
# SQLite) and waits until it is ready.
replica() {
    local port=$1 store=$2 dir="$work/replica-$1"
    mkdir -p "$dir"
    MADOGUCHI_BIND=127.0.0.1:$port MADOGUCHI_DATA_DIR="$dir" MADOGUCHI_DATABASE_URL="$store" \
    MADOGUCHI_TRUSTED_PROXIES=127.0.0.1 MADOGUCHI_WEB_REQUESTS_PER_MINUTE=1000000000 \
        "$binary" serve >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do
        curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "replica on $port did not start" >&2; exit 1
}

# nginx on `port` over the upstream ports that follow.
balancer() {
    local port=$1; shift
    local dir="$work/nginx-$port" servers=""
    mkdir -p "$dir"
    for upstream in "$@"; do servers+="server 127.0.0.1:$upstream max_fails=1 fail_timeout=2s; "; done
    cat > "$dir/nginx.conf" <<NGINX
daemon off; worker_processes 1; pid $dir/nginx.pid; error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
    upstream madoguchi { $servers keepalive 64; }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://madoguchi; proxy_http_version 1.1;
            proxy_set_header Connection ""; proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_next_upstream error timeout;
        }
    }
}
NGINX
    /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" &
    pids+=($!)
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return
        sleep 0.1
    done
}

run() {
    local name=$1 port=$2 visitors=${3:-sessions}
    echo "== $name ($visitors)"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s benches/chat.lua "http://127.0.0.1:$port/api/v1/chat" -- "$visitors" \
        | grep -E "requests in|Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
}

database() {
    as_postgres "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U madoguchi -d postgres -qc "CREATE DATABASE $1" >/dev/null
    echo "postgresql://madoguchi@127.0.0.1:$pgport/$1"
}

a=$(free_port); b=$(free_port); c=$(free_port); lb1=$(free_port); lb2=$(free_port); lb3=$(free_port)
replica "$a" ""
balancer "$lb1" "$a"
run "one replica, SQLite, through nginx" "$lb1"

one=$(database one_replica)
replica "$b" "$one"
balancer "$lb2" "$b"
run "one replica, PostgreSQL, through nginx" "$lb2"

two=$(database two_replicas)
replica "$c" "$two"
d=$(free_port)
replica "$d" "$two"
balancer "$lb3" "$c" "$d"
run "two replicas, PostgreSQL, through nginx" "$lb3"
run "two replicas, PostgreSQL, through nginx" "$lb3" new
echo
echo "replies logged by the two replicas: $(as_postgres "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U madoguchi -d two_replicas -Atc 'SELECT COUNT(*) FROM replies')"
echo
echo "== LINE webhook on PostgreSQL (cargo bench --bench webhook)"
MADOGUCHI_DATABASE_URL=$(database line_events) cargo bench --quiet --bench webhook -- "$seconds" 2>/dev/null | grep -E "^(webhook|workers):"
echo "== LINE webhook on SQLite"
cargo bench --quiet --bench webhook -- "$seconds" 2>/dev/null | grep -E "^(webhook|workers):"
echo "PostgreSQL's log: $(grep -c 'deadlock detected' "$work/pg/log" || true) deadlocks, $(grep -c ERROR "$work/pg/log" || true) errors"
