#!/usr/bin/env bash
# Runs PostgreSQL 15 (with pgvector, see bootstrap.sh) for the AppHost's process mode.
#   run-postgres.sh <data-dir> <port>      password in $POSTGRES_PASSWORD
# Creates the cluster on first use and re-applies the password on every start, so the
# AppHost's secret parameter stays the source of truth. Listens on 127.0.0.1 only, no
# Unix socket. The server refuses to run as root: as root, it runs as the `postgres` user.
set -euo pipefail

DATA_ROOT="${1:?data directory}"
PORT="${2:?port}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
PG_BIN=/usr/lib/postgresql/15/bin
PGDATA="$DATA_ROOT/pgdata"

[[ -x "$PG_BIN/postgres" ]] || { echo "PostgreSQL 15 is not installed: run eng/bootstrap.sh" >&2; exit 1; }

mkdir -p "$DATA_ROOT"
run_as=()
if (( EUID == 0 )); then
  chown postgres:postgres "$DATA_ROOT"
  [[ -d "$PGDATA" ]] && chown -R postgres:postgres "$PGDATA"
  run_as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  "${run_as[@]}" test -w "$DATA_ROOT" ||
    { echo "The postgres user cannot reach $DATA_ROOT: make its parent directories traversable (chmod o+x)." >&2; exit 1; }
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  pwfile="$(mktemp)"
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  (( EUID == 0 )) && chown postgres "$pwfile"
  "${run_as[@]}" "$PG_BIN/initdb" --pgdata="$PGDATA" --username=postgres --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=peer --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "CREATE DATABASE mnemora;" | "${run_as[@]}" "$PG_BIN/postgres" --single -D "$PGDATA" -j postgres >/dev/null
else
  # Single-user mode sets the password without opening any port.
  escaped="${POSTGRES_PASSWORD//\'/\'\'}"
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "$escaped" |
    "${run_as[@]}" "$PG_BIN/postgres" --single -D "$PGDATA" -j postgres >/dev/null
fi

exec "${run_as[@]}" "$PG_BIN/postgres" -D "$PGDATA" \
  -c listen_addresses=127.0.0.1 -c port="$PORT" -c unix_socket_directories= \
  -c max_connections=200 -c shared_buffers=256MB
