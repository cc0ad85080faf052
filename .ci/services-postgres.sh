#!/usr/bin/env bash
# .ci/services-postgres.sh — a PostgreSQL 15 server for mlci's shared-registry tests:
# own data dir (/tmp/mlci-ci-postgres, outside the root-only state dir), listening on 127.0.0.1 only, a role `mlci`
# with a generated password (CREATEDB, so each test makes its own database), and
# MLCI_TEST_PG_URL / MLCI_TEST_POSTGRES_URL appended to services.env.
# Idempotent: a server it started before is reused (same password, same data).
# Called from .ci/services.sh after the env file is written; runs standalone too. Needs root.
set -euo pipefail

SERVICE=postgres
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PG_DIR="${MLCI_CI_PG_DIR:-/tmp/mlci-ci-postgres}"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/sock"
PG_PORT="${MLCI_CI_PG_PORT:-54329}"
PG_BIN=/usr/lib/postgresql/15/bin
PG_USER=mlci
PG_DB=mlci
RUN_AS=postgres

require_root
mkdir -p "$STATE_DIR"
chmod 700 "$STATE_DIR"

install_postgres() {
  # The machine image may carry PostgreSQL outside dpkg's knowledge: the binary is what counts.
  [[ -x $PG_BIN/postgres ]] && return 0
  apt_install_missing "$STATE_DIR/apt-postgres.log" postgresql-15
}

as_pg() { runuser -u "$RUN_AS" -- "$@"; }
ready() { as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }
psql_admin() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -d postgres "$@"; }

ensure_server() {
  id "$RUN_AS" >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" --shell /usr/sbin/nologin "$RUN_AS"
  mkdir -p "$PG_DIR" "$PG_SOCK"
  chown "$RUN_AS" "$PG_DIR" "$PG_SOCK"
  chmod 700 "$PG_DIR"
  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    log "initdb $PG_DATA"
    rm -rf "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  fi
  if ready; then
    log "reusing the server on 127.0.0.1:$PG_PORT"
    return 0
  fi
  # A server of ours that died leaves postmaster.pid: pg_ctl handles a stale one itself.
  log "starting postgres on 127.0.0.1:$PG_PORT (data $PG_DATA)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_SOCK -c max_connections=200 -c fsync=on" start >/dev/null \
    || { tail -n 30 "$PG_DIR/server.log" >&2; return 1; }
  ready || die "postgres did not answer on 127.0.0.1:$PG_PORT"
}

ensure_role() {
  local credf="$PG_DIR/credentials" pass
  if [[ ! -s $credf ]]; then
    (umask 077; od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$credf")
  fi
  pass=$(cat "$credf")
  # Re-applied every time: the role and password always match the credentials file.
  psql_admin -v pass="$pass" -v user="$PG_USER" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'user', :'pass')
\gexec
SQL
  psql_admin -v user="$PG_USER" -v db="$PG_DB" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SQL
  PG_URL="postgres://$PG_USER:$pass@127.0.0.1:$PG_PORT/$PG_DB"
}

# Replace this script's lines in the env file (services.sh rewrites the file; a standalone
# second run must not append duplicates).
write_env() {
  {
    printf 'export MLCI_TEST_PG_URL=%q\n' "$PG_URL"
    printf 'export MLCI_TEST_POSTGRES_URL=%q\n' "$PG_URL"
    printf 'export MLCI_TEST_PG_DATA=%q\n' "$PG_DATA"
    printf 'export MLCI_TEST_PG_SOCKET=%q\n' "$PG_SOCK"
  } | replace_env_lines '^export MLCI_TEST_(PG|POSTGRES)_'
  log "wrote MLCI_TEST_PG_URL to $ENV_FILE"
}

install_postgres
ensure_server
ensure_role
write_env
