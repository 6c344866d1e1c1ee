#!/usr/bin/env bash
# Build CRIU from Debian's source archive and cache the binary outside the clone, for the snapshot rehearsal
# (tests/restore) and the restore rows of `make bench`; install slirp4netns, which joins the rehearsal's
# concurrently restored instances to this host's loopback (local/netns.py). Idempotent and instant when the cached
# binary passes `criu check` and slirp4netns is installed.
#
# Why a source build: bookworm's criu 3.17 fails `criu check` on kernels >= 6.13 (vDSO bounds) and trixie's/forky's
# binaries need glibc >= 2.38. forky's source package carries the upstream tarball (criu_<v>.orig.tar.xz), which
# builds with `make criu` once the -dev packages below are installed. The deb-src line lives in a private apt
# configuration under the work directory, so the machine's own apt sources and lists are never touched.
#
# Usage: sudo scripts/criu_prereqs.sh
# Env:   CRIU_CACHE_DIR  where built binaries are cached (default /var/cache/agentcore-session)
#        DEBIAN_MIRROR   mirror for the source package  (default http://deb.debian.org/debian)
#        and those of scripts/apt_packages.sh (APT_LOCK_WAIT_SECONDS, APT_UPDATE_STAMP)
# Prints `CRIU=<path of the binary>` on success.
set -euo pipefail

readonly CRIU_VERSION="4.2.1"
readonly SOURCE_SUITE="forky"
readonly CACHE_ROOT="${CRIU_CACHE_DIR:-/var/cache/agentcore-session}"
readonly CACHE_DIR="${CACHE_ROOT}/criu-${CRIU_VERSION}"
readonly CRIU_BIN="${CACHE_DIR}/criu"
readonly WORK_DIR="${CACHE_ROOT}/criu-${CRIU_VERSION}.build"
readonly MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Build dependencies of `make criu` (criu's Makefile.config probes libnftables, libaio, libbsd, libnet, gnutls).
readonly BUILD_DEPS=(
    build-essential pkgconf xz-utils
    libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev
    libnl-3-dev libcap-dev libnet1-dev libbsd-dev libgnutls28-dev libnftables-dev libaio-dev uuid-dev
)
# What the rehearsal runs beside criu.
readonly RUNTIME_PACKAGES=(slirp4netns)
# missing_packages, apt_get, apt_install: at most one apt-get update per run across the prereqs scripts.
source "$(dirname "${BASH_SOURCE[0]}")/apt_packages.sh"

log() { printf 'criu_prereqs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cached_binary_works() {
    [[ -x "${CRIU_BIN}" ]] && "${CRIU_BIN}" check >/dev/null 2>&1
}

# Installs the packages named that are not installed yet (as root); a prepared machine never touches apt.
install_missing() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ ${EUID} -eq 0 ]] || die "${missing[*]} not installed; installing needs root: sudo $0"
    log "installing ${missing[*]}"
    apt_install -y -qq --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}

# A private apt tree: its own sources list (deb-src only), lists, cache and status dirs.
download_source() {
    local apt_dir="${WORK_DIR}/apt"
    mkdir -p "${apt_dir}/lists/partial" "${apt_dir}/cache/archives/partial" "${apt_dir}/sources.list.d"
    printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
        "${MIRROR}" "${SOURCE_SUITE}" >"${apt_dir}/sources.list"
    local opts=(
        -o "Dir::Etc::SourceList=${apt_dir}/sources.list"
        -o "Dir::Etc::SourceParts=${apt_dir}/sources.list.d"
        -o "Dir::State::Lists=${apt_dir}/lists"
        -o "Dir::Cache=${apt_dir}/cache"
        -o "Debug::NoLocking=1"
    )
    log "fetching the ${SOURCE_SUITE} source index (private apt config ${apt_dir})"
    apt-get "${opts[@]}" update -qq >"${WORK_DIR}/apt-update.log" 2>&1 \
        || { tail -n 20 "${WORK_DIR}/apt-update.log" >&2; die "apt-get update of the private source list failed"; }
    # --download-only: no dpkg-source needed; only the upstream tarball is used (the Debian tarball may be absent).
    (cd "${WORK_DIR}" && apt-get "${opts[@]}" source --download-only criu \
        >"${WORK_DIR}/apt-source.log" 2>&1) || true
    [[ -f "${WORK_DIR}/criu_${CRIU_VERSION}.orig.tar.xz" ]] \
        || { tail -n 20 "${WORK_DIR}/apt-source.log" >&2; die "criu_${CRIU_VERSION}.orig.tar.xz not downloaded"; }
}

build() {
    local src="${WORK_DIR}/criu-${CRIU_VERSION}"
    rm -rf "${src}"
    tar -C "${WORK_DIR}" -xf "${WORK_DIR}/criu_${CRIU_VERSION}.orig.tar.xz"
    [[ -d "${src}" ]] || die "tarball did not unpack to ${src}"
    log "building criu ${CRIU_VERSION} (a few minutes)"
    if ! make -C "${src}" -j"$(nproc)" criu >"${WORK_DIR}/make.log" 2>&1; then
        tail -n 40 "${WORK_DIR}/make.log" >&2
        die "make criu failed (full log: ${WORK_DIR}/make.log)"
    fi
    mkdir -p "${CACHE_DIR}"
    install -m 0755 "${src}/criu/criu" "${CRIU_BIN}.tmp"
    mv -f "${CRIU_BIN}.tmp" "${CRIU_BIN}"
}

main() {
    mkdir -p "${CACHE_ROOT}"
    # One run at a time: CI and a developer's test run may both call this.
    exec 9>"${CACHE_ROOT}/criu-${CRIU_VERSION}.lock"
    flock 9
    if ! cached_binary_works; then
        [[ ${EUID} -eq 0 ]] || die "criu ${CRIU_VERSION} not built at ${CRIU_BIN}; building needs root: sudo $0"
        mkdir -p "${WORK_DIR}"
        install_missing "${BUILD_DEPS[@]}"
        [[ -f "${WORK_DIR}/criu_${CRIU_VERSION}.orig.tar.xz" ]] || download_source
        build
        local check
        check="$("${CRIU_BIN}" check 2>&1)" || { printf '%s\n' "${check}" >&2; die "criu check failed"; }
        log "${check}"
        rm -rf "${WORK_DIR}"
    fi
    install_missing "${RUNTIME_PACKAGES[@]}"
    printf 'CRIU=%s\n' "${CRIU_BIN}"
}

main "$@"
