#!/usr/bin/env bash
# Start or stop a throw-away PostgreSQL server on a local port for the store tests.
#   scripts/test-postgres.sh start   -> prints the URL to put in CII_TEST_POSTGRES_URL
#   scripts/test-postgres.sh stop
# Installs PostgreSQL with apt when it is missing (needs root, as on CI).
set -euo pipefail
PORT=${CII_TEST_POSTGRES_PORT:-55432}
DIR=${CII_TEST_POSTGRES_DIR:-/tmp/cii-test-postgres}
bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

case "${1:-}" in
start)
    if [ -z "$(bin)" ]; then
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    BIN=$(bin)
    as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    rm -rf "$DIR" && mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_postgres "$BIN/initdb" -D "$DIR/data" -U postgres -A trust >/dev/null
    as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    ;;
stop)
    BIN=$(bin)
    if [ -n "$BIN" ] && [ -d "$DIR/data" ]; then
        if [ "$(id -u)" = 0 ]; then
            runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true
        else
            "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true
        fi
    fi
    rm -rf "$DIR"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
