# .ci/lib.sh — shared by the .ci/services-*.sh scripts (source it after setting SERVICE, the tag
# in log lines). Every helper is idempotent: nothing is installed, started or rewritten twice.
# shellcheck shell=bash

STATE_DIR="${MLCI_CI_STATE_DIR:-/tmp/mlci-ci}"
ENV_FILE="$STATE_DIR/services.env"

log() { printf '[services:%s] %s\n' "$SERVICE" "$*" >&2; }
die() { printf '[services:%s] ERROR: %s\n' "$SERVICE" "$*" >&2; exit 1; }

require_root() { [[ $(id -u) == 0 ]] || die "must run as root (${1:-apt-get})"; }

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }
pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
# http_ok URL: the URL answers HTTP 200 within 2 s.
http_ok() { [[ $(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true) == 200 ]]; }

# apt_install_missing LOGFILE PACKAGE...: install the packages not installed yet (none: returns
# at once). There is no init system here: a temporary policy-rc.d keeps the packages' scripts
# from starting Debian's own daemons on our ports.
apt_install_missing() {
  local logfile=$1 missing=() p made_policy= rc=0
  shift
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then log "packages already installed"; return 0; fi
  log "installing: ${missing[*]}"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef "${missing[@]}"; } \
    >"$logfile" 2>&1 || rc=$?
  [[ -z $made_policy ]] || rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || { tail -n 40 "$logfile" >&2; die "apt-get install failed (log: $logfile)"; }
}

# replace_env_lines PATTERN: rewrite services.env with the lines matching the grep -E PATTERN
# replaced by stdin (a second run never appends duplicates; everyone else's lines are kept).
replace_env_lines() {
  local pattern=$1 tmp
  mkdir -p "$STATE_DIR"
  tmp=$(mktemp "$STATE_DIR/services.env.XXXXXX")
  { [[ -f $ENV_FILE ]] && grep -v -E "$pattern" "$ENV_FILE" || true; } >"$tmp"
  cat >>"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}
