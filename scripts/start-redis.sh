#!/usr/bin/env bash
# Starts a local Redis for the tests if it is not running (idempotent; installs nothing:
# `scripts/setup-system.sh test` does). Prints the URL the tests use (TEPAI_TEST_REDIS_URL) and
# nothing else on stdout: callers capture it. Loopback only, nothing kept on disk: the tests use
# throw-away keys. A fixed port away from 6379, where a system Redis may already run.
set -euo pipefail
port=${TEPAI_TEST_REDIS_PORT:-21479}
dir=${TMPDIR:-/tmp}/tepai-test-redis
if ! redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --save '' --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null || { echo "redis-server did not start; see $dir/redis.log" >&2; exit 1; }
fi
echo "redis://127.0.0.1:$port/0"
