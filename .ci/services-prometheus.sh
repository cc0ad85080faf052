#!/usr/bin/env bash
# .ci/services-prometheus.sh — the observability stack the monitor tests run against:
#   * installs Debian's Prometheus (2.42) and Alertmanager (0.25)
#   * starts one shared Prometheus (scraping itself) and one Alertmanager on 127.0.0.1,
#     with configs of our own under $STATE_DIR/prometheus, and checks both answer
#   * appends MLCI_TEST_PROMETHEUS_{BIN,URL} and MLCI_TEST_ALERTMANAGER_{BIN,URL} to
#     $STATE_DIR/services.env
# Tests start their own Prometheus per test (a scrape config pointing at that test's model
# server, on fresh ports) from the *_BIN paths; the shared instances prove the install works
# and serve people trying things by hand.
#
# Called from .ci/services.sh after it wrote the env file; runs alone too (as root).
# Idempotent: reuses installed packages and running instances of ours.
set -euo pipefail

SERVICE=prometheus
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR="$STATE_DIR/prometheus"
PROM_ADDR="${MLCI_CI_PROMETHEUS_ADDR:-127.0.0.1:9090}"
AM_ADDR="${MLCI_CI_ALERTMANAGER_ADDR:-127.0.0.1:9093}"
PROM_BIN=/usr/bin/prometheus
AM_BIN=/usr/bin/prometheus-alertmanager

require_root
mkdir -p "$DIR"
chmod 700 "$STATE_DIR"

install_packages() { apt_install_missing "$DIR/apt.log" prometheus prometheus-alertmanager curl; }

# write_config FILE: stdin to FILE; returns 1 when the content changed (a running instance
# must reload it).
write_config() {
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 0; fi
  mv -f "$tmp" "$1"
  return 1
}

# start NAME PIDFILE READY_URL CHANGED CMD...: reuse our instance when it answers (reloading its
# config with SIGHUP when CHANGED=1), else start one.
start() {
  local name=$1 pidf=$2 ready=$3 changed=$4 pid i
  shift 4
  pid=$(cat "$pidf" 2>/dev/null || true)
  if pid_alive "$pid" && http_ok "$ready"; then
    if [[ $changed == 1 ]]; then kill -HUP "$pid"; log "reusing $name (pid $pid), config reloaded"
    else log "reusing $name (pid $pid)"; fi
    return 0
  fi
  pid_alive "$pid" && { kill "$pid" 2>/dev/null || true; sleep 0.5; }
  setsid nohup "$@" >"$DIR/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidf"
  for ((i = 0; i < 300; i++)); do # 30 s
    http_ok "$ready" && { log "$name up (pid $pid) at $ready"; return 0; }
    pid_alive "$pid" || break
    sleep 0.1
  done
  tail -n 20 "$DIR/$name.log" >&2 || true
  die "$name did not come up ($ready)"
}

start_alertmanager() {
  local changed=0
  write_config "$DIR/alertmanager.yml" <<YAML || changed=1
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
YAML
  start alertmanager "$DIR/alertmanager.pid" "http://$AM_ADDR/-/ready" "$changed" \
    "$AM_BIN" --config.file="$DIR/alertmanager.yml" --storage.path="$DIR/alertmanager-data" \
    --web.listen-address="$AM_ADDR" --cluster.listen-address= --log.level=warn
}

start_prometheus() {
  local changed=0
  # Besides itself, it scrapes the demo pipeline's model server (mlci.config.ts: the local
  # deployer on :8731, Docker on :8732), so `npx mlci build` can be tried with a
  # prometheus: { address: '$PROM_ADDR' } metric.
  write_config "$DIR/prometheus.yml" <<YAML || changed=1
global:
  scrape_interval: 1s
  evaluation_interval: 1s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['$AM_ADDR']
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['$PROM_ADDR']
  - job_name: mlci-demo
    static_configs:
      - targets: ['127.0.0.1:8731', '127.0.0.1:8732']
YAML
  start prometheus "$DIR/prometheus.pid" "http://$PROM_ADDR/-/ready" "$changed" \
    "$PROM_BIN" --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/prometheus-data" \
    --web.listen-address="$PROM_ADDR" --log.level=warn
}

verify() {
  local v i
  v=$("$PROM_BIN" --version 2>&1 | head -n1)
  log "$v"
  # Prometheus scraped itself at least once: the query API answers with a sample.
  for ((i = 0; i < 100; i++)); do
    curl -s -m 2 "http://$PROM_ADDR/api/v1/query?query=up" | grep -q '"value"' && break
    sleep 0.1
  done
  ((i < 100)) || die "Prometheus at $PROM_ADDR has no 'up' sample after 10 s"
  curl -s -m 2 "http://$AM_ADDR/api/v2/status" | grep -q '"versionInfo"' || die "Alertmanager at $AM_ADDR does not answer /api/v2/status"
  log "query API and Alertmanager API answer"
}

write_env() {
  {
    printf 'export MLCI_TEST_PROMETHEUS_BIN=%q\n' "$PROM_BIN"
    printf 'export MLCI_TEST_PROMETHEUS_URL=%q\n' "http://$PROM_ADDR"
    printf 'export MLCI_TEST_ALERTMANAGER_BIN=%q\n' "$AM_BIN"
    printf 'export MLCI_TEST_ALERTMANAGER_URL=%q\n' "http://$AM_ADDR"
  } | replace_env_lines '^export MLCI_TEST_(PROMETHEUS|ALERTMANAGER)_'
  log "added MLCI_TEST_PROMETHEUS_* and MLCI_TEST_ALERTMANAGER_* to $ENV_FILE"
}

install_packages
start_alertmanager
start_prometheus
verify
write_env
