#!/usr/bin/env bash
# .ci/services-swift.sh — a real S3-compatible server for mlci's shared-store tests:
# OpenStack Swift "all in one" (proxy with s3api + tempauth, one account/container/object
# server, rings with one device, a plain folder as the device) on 127.0.0.1, a bucket, and
# MLCI_TEST_S3_* / AWS_* variables appended to services.env.
# Swift answers 501 to conditional PUTs (If-None-Match: *): mlci never relies on them.
# Idempotent: reuses running servers, rings and data. Needs root.
set -euo pipefail

SERVICE=swift
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SW_DIR="${MLCI_CI_SWIFT_DIR:-/tmp/mlci-ci-swift}"
PROXY_PORT="${MLCI_CI_SWIFT_PORT:-18080}"
OBJ_PORT=16010 CONT_PORT=16011 ACC_PORT=16012
BUCKET=mlci-test
ACCESS_KEY=test:tester
SECRET_KEY=testing
REGION=us-east-1
PKGS=(swift swift-proxy swift-object swift-container swift-account)

require_root
mkdir -p "$STATE_DIR"

install_swift() { apt_install_missing "$STATE_DIR/apt-swift.log" "${PKGS[@]}"; }

write_configs() {
  mkdir -p "$SW_DIR/conf" "$SW_DIR/devices/d1" "$SW_DIR/run" "$SW_DIR/log"
  # swift.conf is read from /etc/swift only; the package ships one with a hash suffix set.
  [[ -s /etc/swift/swift.conf ]] || die "/etc/swift/swift.conf is missing (the swift package provides it)"
  local common="[DEFAULT]
bind_ip = 127.0.0.1
swift_dir = $SW_DIR/conf
devices = $SW_DIR/devices
mount_check = false
workers = 1
user = root
log_level = WARNING"
  cat >"$SW_DIR/conf/proxy-server.conf" <<EOF
$common
bind_port = $PROXY_PORT

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = $REGION

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = $SECRET_KEY .admin

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF
  local kind port
  for kind in object container account; do
    case $kind in object) port=$OBJ_PORT ;; container) port=$CONT_PORT ;; account) port=$ACC_PORT ;; esac
    cat >"$SW_DIR/conf/$kind-server.conf" <<EOF
$common
bind_port = $port

[pipeline:main]
pipeline = $kind-server

[app:$kind-server]
use = egg:swift#$kind
EOF
    # Rings are built once (several seconds): one device, one replica.
    if [[ ! -s $SW_DIR/conf/$kind.ring.gz ]]; then
      (cd "$SW_DIR/conf" \
        && swift-ring-builder "$kind.builder" create 10 1 1 >/dev/null \
        && swift-ring-builder "$kind.builder" add "r1z1-127.0.0.1:$port/d1" 1 >/dev/null \
        && swift-ring-builder "$kind.builder" rebalance >/dev/null) || die "could not build the $kind ring"
    fi
  done
}

healthy() { http_ok "http://127.0.0.1:$PROXY_PORT/healthcheck"; }
# One SigV4-signed S3 request (stdlib Python; see s3-request.py): prints the status line first.
s3() {
  AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_REGION=$REGION \
    /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/s3-request.py" "$@"
}

start_servers() {
  local name pidf pid started=0 i
  for name in account container object proxy; do
    pidf="$SW_DIR/run/$name.pid"
    pid=$(cat "$pidf" 2>/dev/null || true)
    if pid_alive "$pid" && grep -q "swift-$name-server" "/proc/$pid/cmdline" 2>/dev/null; then continue; fi
    setsid nohup "swift-$name-server" "$SW_DIR/conf/$name-server.conf" >>"$SW_DIR/log/$name.log" 2>&1 </dev/null &
    echo $! >"$pidf"
    started=1
  done
  if ((started == 0)) && healthy; then
    log "reusing the servers on 127.0.0.1:$PROXY_PORT"
    return 0
  fi
  for ((i = 0; i < 600; i++)); do # 60 s
    healthy && break
    sleep 0.1
  done
  healthy || { tail -n 20 "$SW_DIR"/log/*.log >&2; die "swift proxy did not answer on 127.0.0.1:$PROXY_PORT"; }
  log "swift up on 127.0.0.1:$PROXY_PORT"
}

ensure_bucket() {
  local url="http://127.0.0.1:$PROXY_PORT/$BUCKET" code= i
  # The account/container servers may need a moment after the proxy answers.
  for ((i = 0; i < 100; i++)); do
    code=$(s3 HEAD "$url" | sed -n 1p) || true
    [[ $code == 200 ]] && return 0
    code=$(s3 PUT "$url" | sed -n 1p) || true
    [[ $code == 200 ]] && { log "created bucket $BUCKET"; return 0; }
    sleep 0.2
  done
  die "could not create bucket $BUCKET (last HTTP status ${code:-none})"
}

verify() {
  local url="http://127.0.0.1:$PROXY_PORT/$BUCKET/smoke/$$" out code
  out=$(s3 PUT "$url" hello)
  [[ ${out%%$'\n'*} == 200 ]] || die "S3 PUT answered: $out"
  out=$(s3 GET "$url")
  [[ $out == $'200\nhello' ]] || die "S3 GET returned: $out"
  code=$(S3_HEADERS='If-None-Match: *' s3 PUT "$url" again | sed -n 1p)
  s3 DELETE "$url" >/dev/null || true
  log "S3 put/get ok on 127.0.0.1:$PROXY_PORT (a conditional PUT answers $code)"
}

write_env() {
  {
    printf 'export MLCI_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$PROXY_PORT"
    printf 'export MLCI_TEST_S3_URL=%q\n' "s3://$BUCKET/mlci"
    printf 'export MLCI_TEST_S3_BUCKET=%q\n' "$BUCKET"
    printf 'export MLCI_TEST_S3_REGION=%q\n' "$REGION"
    printf 'export MLCI_TEST_S3_ACCESS_KEY_ID=%q\n' "$ACCESS_KEY"
    printf 'export MLCI_TEST_S3_SECRET_ACCESS_KEY=%q\n' "$SECRET_KEY"
    printf 'export MLCI_TEST_SWIFT_DIR=%q\n' "$SW_DIR"
  } | replace_env_lines '^export MLCI_TEST_(S3|SWIFT)_'
  log "wrote MLCI_TEST_S3_* to $ENV_FILE"
}

install_swift
write_configs
start_servers
ensure_bucket
verify
write_env
