#!/usr/bin/env bash
# .ci/services.sh — start the services mlci's integration tests need:
#   * a Docker daemon (dockerd, host networking only; overlay2, vfs fallback)
#   * local images: mlci-python:bookworm (Debian + python3 + numpy, built with
#     mmdebstrap, no registry pull needed) and mlci-busybox:latest (tiny)
#   * a password-protected registry (distribution) on 127.0.0.1:5000
# and write /tmp/mlci-ci/services.env with the MLCI_TEST_* variables.
#
# Usage:   bash .ci/services.sh        # start everything, write the env file
#          source .ci/services.sh      # same, then load the env file into the shell
# Idempotent: a second run reuses the daemon, the images and the registry.
# Needs root (apt-get, dockerd). Timings of each step go to stderr.

# When sourced, run as a child bash so that `set -e` and `exit` never touch
# the caller's shell, then load the variables it wrote.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  bash "${BASH_SOURCE[0]}" "$@" || return $?
  # shellcheck disable=SC1091
  . "${MLCI_CI_STATE_DIR:-/tmp/mlci-ci}/services.env"
  return 0
fi

set -euo pipefail

STATE_DIR="${MLCI_CI_STATE_DIR:-/tmp/mlci-ci}"
CACHE_DIR="${MLCI_CI_CACHE_DIR:-/var/cache/mlci}"
ENV_FILE="$STATE_DIR/services.env"
DOCKER_SOCK=/var/run/docker.sock
DOCKERD_LOG="$STATE_DIR/dockerd.log"
REG_ADDR=127.0.0.1:5000
REG_USER=mlci
REG_DIR="$STATE_DIR/registry"
BASE_IMAGE=mlci-python:bookworm
BUSYBOX_IMAGE=mlci-busybox:latest
BASE_PKGS=python3-minimal,python3-numpy
BASE_TAR="$CACHE_DIR/base-bookworm-python3-numpy.tar"
APT_PKGS=(docker.io docker-registry mmdebstrap apache2-utils busybox-static curl chromium)
IMG_PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export DOCKER_HOST="unix://$DOCKER_SOCK"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
T_ALL=$(now)
# step NAME FUNCTION: run one step and print how long it took. Called
# outside any conditional so that `set -e` stays in force inside the step.
CURRENT_STEP=
step() {
  local name=$1 t0
  shift
  t0=$(now)
  CURRENT_STEP=$name
  log "== $name"
  "$@"
  CURRENT_STEP=
  log "== $name: $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s"
}

CLEANUP=()
cleanup() {
  local rc=$? c
  for c in "${CLEANUP[@]}"; do eval "$c" || true; done
  [[ $rc == 0 ]] || log "FAILED (exit $rc)${CURRENT_STEP:+ in step \"$CURRENT_STEP\"}"
}
trap cleanup EXIT

[[ $(id -u) == 0 ]] || die "must run as root"
mkdir -p "$STATE_DIR" "$CACHE_DIR"
chmod 700 "$STATE_DIR"

# ---------------------------------------------------------------- 1. packages
pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

install_packages() {
  local missing=() p
  for p in "${APT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    log "all packages already installed"
    return 0
  fi
  log "installing: ${missing[*]}"
  # No init system here: keep package scripts from starting services
  # (docker, containerd, the packaged registry on :5000).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    CLEANUP+=("rm -f /usr/sbin/policy-rc.d")
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef \
    "${missing[@]}" >"$STATE_DIR/apt.log" 2>&1 \
    || { tail -n 40 "$STATE_DIR/apt.log" >&2; return 1; }
  # The packaged registry must never start on boot and take 127.0.0.1:5000.
  update-rc.d docker-registry disable >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------ 2. dockerd
docker_ok() { timeout 10 docker info >/dev/null 2>&1; }

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# start_dockerd DRIVER: start dockerd detached; wait until it answers.
# Returns 0 when ready, 2 when the daemon died (e.g. bad storage driver).
start_dockerd() {
  local driver=$1 pid i
  log "starting dockerd (storage driver $driver), log: $DOCKERD_LOG"
  echo "=== $(date -u +%FT%TZ) mlci: dockerd --storage-driver=$driver" >>"$DOCKERD_LOG"
  setsid nohup dockerd \
    --storage-driver="$driver" --iptables=false --ip-masq=false --bridge=none \
    --host "unix://$DOCKER_SOCK" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  pid=$!
  for ((i = 0; i < 600; i++)); do # 60 s
    if docker_ok; then
      log "dockerd ready (pid $pid, driver $(docker info --format '{{.Driver}}'))"
      return 0
    fi
    pid_alive "$pid" || { log "dockerd exited:"; tail -n 20 "$DOCKERD_LOG" >&2; return 2; }
    sleep 0.1
  done
  log "dockerd not ready after 60 s:"
  tail -n 40 "$DOCKERD_LOG" >&2
  return 1
}

ensure_dockerd() {
  if docker_ok; then
    log "dockerd already running (driver $(docker info --format '{{.Driver}}'))"
    return 0
  fi
  # A dockerd that is still starting: wait for it instead of starting another.
  local oldpid i
  oldpid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if pid_alive "$oldpid" && [[ $(cat "/proc/$oldpid/comm" 2>/dev/null) == dockerd ]]; then
    log "dockerd pid $oldpid exists but does not answer yet; waiting"
    for ((i = 0; i < 600; i++)); do docker_ok && return 0; sleep 0.1; done
    tail -n 40 "$DOCKERD_LOG" >&2 || true
    die "dockerd pid $oldpid does not answer after 60 s"
  fi
  rm -f /var/run/docker.pid # stale, from a daemon that was killed
  local rc=0
  start_dockerd "${MLCI_DOCKER_STORAGE_DRIVER:-overlay2}" || rc=$?
  if ((rc == 2)) && [[ -z ${MLCI_DOCKER_STORAGE_DRIVER:-} ]]; then
    log "overlay2 failed; falling back to vfs"
    rm -f /var/run/docker.pid
    rc=0
    start_dockerd vfs || rc=$?
  fi
  ((rc == 0)) || die "could not start dockerd"
}

# ------------------------------------------------------------------- 3. images
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

ensure_base_image() {
  if image_exists "$BASE_IMAGE"; then
    log "$BASE_IMAGE already present"
    return 0
  fi
  if [[ -s $BASE_TAR ]]; then
    log "using cached rootfs $BASE_TAR"
  else
    # Use this machine's own apt sources (the only mirrors reachable), passed
    # explicitly: without a mirror argument mmdebstrap reads them from stdin
    # when stdin is not a terminal (as in CI).
    local srcs=() f tmp
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [[ -f $f ]] && grep -Eq '^[[:space:]]*(deb[[:space:]]|Types:.*deb)' "$f" && srcs+=("$f")
    done
    ((${#srcs[@]})) || srcs=(http://deb.debian.org/debian)
    tmp="$BASE_TAR.tmp.$$"
    CLEANUP+=("rm -f '$tmp'")
    log "mmdebstrap bookworm with $BASE_PKGS (sources: ${srcs[*]})"
    mmdebstrap --quiet --variant=apt --include="$BASE_PKGS" \
      --aptopt='Acquire::Check-Valid-Until "false"' \
      --format=tar bookworm "$tmp" "${srcs[@]}" </dev/null >"$STATE_DIR/mmdebstrap.log" 2>&1 \
      || { tail -n 40 "$STATE_DIR/mmdebstrap.log" >&2; return 1; }
    mv -f "$tmp" "$BASE_TAR"
  fi
  docker import --change "$IMG_PATH_ENV" --change 'CMD ["/usr/bin/python3"]' \
    "$BASE_TAR" "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE"
}

ensure_busybox_image() {
  if image_exists "$BUSYBOX_IMAGE"; then
    log "$BUSYBOX_IMAGE already present"
    return 0
  fi
  local root a
  root=$(mktemp -d "$STATE_DIR/busybox-root.XXXXXX")
  CLEANUP+=("rm -rf '$root'")
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for a in $("$root/bin/busybox" --list); do
    [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar --numeric-owner -C "$root" -cf - . \
    | docker import --change "$IMG_PATH_ENV" --change 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  log "imported $BUSYBOX_IMAGE"
}

# ----------------------------------------------------------------- 4. registry
reg_status() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$REG_ADDR/v2/" 2>/dev/null || true; }

# PIDs listening on the registry port.
port_pids() { ss -Htlnp "sport = :${REG_ADDR##*:}" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u; }

ensure_registry() {
  mkdir -p "$REG_DIR"
  chmod 700 "$REG_DIR"
  local pidf="$REG_DIR/registry.pid" credf="$REG_DIR/credentials" pid p i
  pid=$(cat "$pidf" 2>/dev/null || true)
  if pid_alive "$pid" && [[ -s $credf ]] && [[ $(reg_status) == 401 ]] \
    && port_pids | grep -qx "$pid"; then
    log "reusing our registry (pid $pid) on $REG_ADDR"
    return 0
  fi
  # Ours but unusable (e.g. credentials lost): stop it.
  if pid_alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == docker-registr* ]]; then
    log "stopping our stale registry pid $pid"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$pidf"
  # The docker-registry package's own service (no auth) may hold port 5000.
  if [[ -n $(port_pids) ]]; then
    if [[ -x /etc/init.d/docker-registry ]]; then
      /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
    fi
    sleep 0.5
    for p in $(port_pids); do
      if [[ $(cat "/proc/$p/comm" 2>/dev/null) == docker-registr* ]]; then
        log "stopping packaged registry pid $p on port ${REG_ADDR##*:}"
        kill "$p" 2>/dev/null || true
      fi
    done
    for ((i = 0; i < 50; i++)); do [[ -z $(port_pids) ]] && break; sleep 0.1; done
    [[ -z $(port_pids) ]] || die "port ${REG_ADDR##*:} is taken by: $(port_pids | xargs -r ps -o pid=,args= -p)"
  fi

  # Fresh credentials and storage for this registry instance.
  local pass data
  pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  rm -rf "$REG_DIR/data"
  data="$REG_DIR/data"
  mkdir -p "$data"
  htpasswd -Bbn "$REG_USER" "$pass" >"$REG_DIR/htpasswd" 2>/dev/null
  chmod 600 "$REG_DIR/htpasswd"
  (umask 077; printf '%s\n' "$pass" >"$credf")
  cat >"$REG_DIR/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $data
  delete:
    enabled: true
http:
  addr: $REG_ADDR
  secret: $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
auth:
  htpasswd:
    realm: mlci-test-registry
    path: $REG_DIR/htpasswd
YAML
  chmod 600 "$REG_DIR/config.yml"
  setsid nohup docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/registry.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidf"
  for ((i = 0; i < 300; i++)); do # 30 s
    [[ $(reg_status) == 401 ]] && { log "registry up (pid $pid) on $REG_ADDR"; return 0; }
    pid_alive "$pid" || break
    sleep 0.1
  done
  tail -n 20 "$REG_DIR/registry.log" >&2 || true
  die "registry did not come up on $REG_ADDR"
}

# ----------------------------------------------------------------- 5. env file
write_env() {
  local pass tmp
  pass=$(cat "$REG_DIR/credentials")
  tmp=$(mktemp "$STATE_DIR/services.env.XXXXXX")
  {
    echo "# written by .ci/services.sh; source this file"
    printf 'export MLCI_TEST_DOCKER=1\n'
    printf 'export MLCI_TEST_REGISTRY=%q\n' "$REG_ADDR"
    printf 'export MLCI_TEST_REGISTRY_USER=%q\n' "$REG_USER"
    printf 'export MLCI_TEST_REGISTRY_PASSWORD=%q\n' "$pass"
    printf 'export MLCI_TEST_BASE_IMAGE=%q\n' "$BASE_IMAGE"
    printf 'export MLCI_TEST_BUSYBOX_IMAGE=%q\n' "$BUSYBOX_IMAGE"
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
  log "wrote $ENV_FILE"
}

# ------------------------------------------------------------------- 6. verify
verify() {
  local out pass cfg tag
  out=$(docker run --rm --network host "$BASE_IMAGE" python3 -c 'import numpy; print(numpy.__version__)') \
    || die "python/numpy does not run in $BASE_IMAGE"
  log "numpy $out runs in $BASE_IMAGE"
  out=$(docker run --rm --network host "$BUSYBOX_IMAGE" sh -c 'echo ok') || true
  [[ $out == ok ]] || die "$BUSYBOX_IMAGE does not run"
  log "$BUSYBOX_IMAGE runs"

  pass=$(cat "$REG_DIR/credentials")
  cfg=$(mktemp -d "$STATE_DIR/docker-config.XXXXXX")
  CLEANUP+=("rm -rf '$cfg'")
  if out=$(printf '%s' "wrong-$pass" | DOCKER_CONFIG=$cfg docker login "$REG_ADDR" -u "$REG_USER" --password-stdin 2>&1); then
    die "registry accepted a wrong password"
  fi
  grep -Eqi '401|unauthorized' <<<"$out" || die "login with a wrong password failed, but not with 401: $out"
  log "wrong password rejected (401)"
  printf '%s' "$pass" | DOCKER_CONFIG=$cfg docker login "$REG_ADDR" -u "$REG_USER" --password-stdin >/dev/null 2>&1 \
    || die "login with the generated password failed"
  tag="$REG_ADDR/mlci-smoke/busybox:run-$$"
  docker tag "$BUSYBOX_IMAGE" "$tag"
  if ! DOCKER_CONFIG=$cfg docker push "$tag" >"$STATE_DIR/push.log" 2>&1; then
    docker rmi "$tag" >/dev/null 2>&1 || true
    cat "$STATE_DIR/push.log" >&2
    die "push to $REG_ADDR failed"
  fi
  docker rmi "$tag" >/dev/null 2>&1 || true
  DOCKER_CONFIG=$cfg docker logout "$REG_ADDR" >/dev/null 2>&1 || true
  rm -rf "$cfg"
  log "login + push to $REG_ADDR ok"
}

step "1 packages" install_packages
step "2 dockerd" ensure_dockerd
step "3a image $BASE_IMAGE" ensure_base_image
step "3b image $BUSYBOX_IMAGE" ensure_busybox_image
step "4 registry" ensure_registry
step "5 env file" write_env
step "6 verify" verify
step "7 postgres" bash "$(dirname "$0")/services-postgres.sh"
step "8 swift (S3)" bash "$(dirname "$0")/services-swift.sh"
step "9 prometheus + alertmanager" bash "$(dirname "${BASH_SOURCE[0]}")/services-prometheus.sh"
log "all services ready in $(awk -v a="$T_ALL" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s; source $ENV_FILE"
