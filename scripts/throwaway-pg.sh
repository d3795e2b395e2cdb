#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback and prints its DATABASE_URL; `stop DIR` removes it.
# Used by .ci/run and the benchmarks. PostgreSQL refuses to run as root, so the server runs as `postgres`.
set -euo pipefail
cmd=${1:-start}
if [ "$cmd" = stop ]; then
  dir=$2
  runuser -u postgres -- "$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 0
fi
# A free port unless one is asked for, so two clusters (a developer's and a benchmark's) never meet.
port=${PGPORT_THROWAWAY:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")
dir=$(mktemp -d /tmp/kartlegg-pg.XXXXXX)
chown postgres "$dir"
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = ${PG_FSYNC:-off}
synchronous_commit = ${PG_SYNC_COMMIT:-off}
full_page_writes = ${PG_FULL_PAGE_WRITES:-off}
max_connections = 400
shared_buffers = 256MB
CONF
if ! runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null; then
  cat "$dir/server.log" >&2
  rm -rf "$dir"
  exit 1
fi
runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$port" kartlegg
echo "PGDIR=$dir"
echo "DATABASE_URL=postgres://postgres@127.0.0.1:$port/kartlegg"
