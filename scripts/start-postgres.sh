#!/usr/bin/env bash
# Starts a local PostgreSQL for the tests and makes the `tepai` role (idempotent).
# Prints the admin URL the tests use to create one throw-away database per test, and
# nothing else on stdout: callers capture it, and pg_ctl chatter (e.g. "Removed stale pid
# file.") once made that capture an unparsable URL, so everything else goes to stderr.
set -euo pipefail
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
start_cluster() {
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_createcluster "$version" main >/dev/null
    cluster="$version main"
  fi
  set -- $cluster
  status=$(pg_lsclusters --no-header | awk -v v="$1" -v n="$2" '$1==v && $2==n {print $4}')
  port=$(pg_lsclusters --no-header | awk -v v="$1" -v n="$2" '$1==v && $2==n {print $3}')
  if [ "$status" != online ]; then
    # A killed server (a snapshot of the machine, an OOM kill) leaves its socket lock
    # behind; pg_ctlcluster clears a stale pid file itself but not that lock.
    lock="/var/run/postgresql/.s.PGSQL.$port.lock"
    if [ -f "$lock" ] && ! kill -0 "$(head -1 "$lock")" 2>/dev/null; then
      rm -f "$lock" "/var/run/postgresql/.s.PGSQL.$port"
    fi
    pg_ctlcluster "$1" "$2" start
  fi
  for _ in $(seq 1 30); do
    as_postgres "psql -p $port -tAc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  as_postgres "psql -p $port -tAc \"select 1 from pg_roles where rolname='tepai'\"" | grep -q 1 \
    || as_postgres "psql -p $port -qc \"create role tepai login password 'tepai' createdb\""
  as_postgres "psql -p $port -qc 'grant pg_signal_backend to tepai'" >/dev/null 2>&1
  # The test role may also connect over the Unix socket with its password (Debian's default for
  # local connections is peer, which knows no tepai system user): on one machine the socket is
  # the cheaper path (bench/load.py --connect socket).
  hba=$(as_postgres "psql -p $port -tAc 'show hba_file'")
  if ! grep -q '^local[[:space:]]\+all[[:space:]]\+tepai[[:space:]]' "$hba"; then
    sed -i '0,/^local[[:space:]]\+all[[:space:]]\+all[[:space:]]/s//local   all             tepai                                   scram-sha-256\n&/' "$hba"
    as_postgres "psql -p $port -qc 'select pg_reload_conf()'" >/dev/null
  fi
  # The test role's commits need not wait for the disk: a crash loses throw-away test data only.
  as_postgres "psql -p $port -qc 'alter role tepai set synchronous_commit = off'" >/dev/null 2>&1
  # Throw-away databases a finished test run could not drop (named tepai_t_<pid>_<random>).
  for db in $(as_postgres "psql -p $port -tAc \"select datname from pg_database where datname like 'tepai\\_t\\_%'\""); do
    pid=$(echo "$db" | cut -d_ -f3)
    case "$pid" in ''|*[!0-9]*) continue ;; esac
    if ! kill -0 "$pid" 2>/dev/null; then
      as_postgres "psql -p $port -qc 'drop database if exists \"$db\" with (force)'" >/dev/null 2>&1 || true
    fi
  done
}
port=
start_cluster >&2
echo "postgresql+asyncpg://tepai:tepai@127.0.0.1:$port/postgres"
