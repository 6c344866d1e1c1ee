#!/usr/bin/env bash
# Prepare a Debian bookworm machine (CI or a developer box) to build and run the agent container with podman
# without any container registry: install debootstrap/podman/runc, write a containers.conf, and build a local
# Python base image with debootstrap. Idempotent and cheap when everything is already there.
#
# Usage: sudo scripts/container_prereqs.sh
# Env:   AGENT_BASE_IMAGE  name of the local base image   (default localhost/agentcore-session-base:bookworm)
#        CONTAINERS_CONF   containers.conf path to write  (default <repo>/.build/containers.conf)
#        DEBIAN_MIRROR     mirror debootstrap uses        (default http://deb.debian.org/debian)
#        and those of scripts/apt_packages.sh (APT_LOCK_WAIT_SECONDS, APT_UPDATE_STAMP)
# Prints the two settings the container test and `podman` need, as shell assignments, on success.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT_DIR
readonly BUILD_DIR="${ROOT_DIR}/.build"
readonly BASE_IMAGE="${AGENT_BASE_IMAGE:-localhost/agentcore-session-base:bookworm}"
CONF_FILE="${CONTAINERS_CONF:-${BUILD_DIR}/containers.conf}"
# Absolute: buildah reads CONTAINERS_CONF again from subprocesses with another working directory.
[[ "${CONF_FILE}" = /* ]] || CONF_FILE="${PWD}/${CONF_FILE}"
readonly CONF_FILE
readonly MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly SUITE="bookworm"
# slirp4netns (a podman Recommends) is listed because the container test reaches the host's loopback through it.
readonly PACKAGES=(debootstrap podman runc slirp4netns)
readonly BASE_INCLUDE="python3,python3-venv,ca-certificates"

# missing_packages, apt_install: at most one apt-get update per run across the prereqs scripts.
source "${ROOT_DIR}/scripts/apt_packages.sh"

log() { printf 'container_prereqs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs the missing host packages only, so a prepared machine never touches apt.
install_packages() {
    local missing
    mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ ${EUID} -eq 0 ]] || die "packages missing (${missing[*]}) and not running as root; run: sudo $0"
    log "installing ${missing[*]}"
    apt_install -y -qq "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}

# Ulimits podman would set by default are refused in some sandboxes; runc is what the host package provides.
write_containers_conf() {
    mkdir -p "$(dirname "${CONF_FILE}")"
    local wanted
    wanted=$'[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'
    if [[ ! -f "${CONF_FILE}" ]] || [[ "$(cat "${CONF_FILE}")"$'\n' != "${wanted}" ]]; then
        printf '%s' "${wanted}" >"${CONF_FILE}"
        log "wrote ${CONF_FILE}"
    fi
}

# A minimal Debian root with python3 + venv, imported as an image: the stand-in for python:3.11-slim when no
# registry is reachable. Both Dockerfile stages use it, so the venv's interpreter path matches.
build_base_image() {
    if podman image exists "${BASE_IMAGE}"; then
        return 0
    fi
    [[ ${EUID} -eq 0 ]] || die "base image ${BASE_IMAGE} missing; debootstrap needs root: sudo $0"
    local rootfs="${BUILD_DIR}/base-rootfs"
    local boot_log="${BUILD_DIR}/debootstrap.log"
    rm -rf "${rootfs}"
    log "building ${BASE_IMAGE} with debootstrap from ${MIRROR} (takes a few minutes)"
    if ! debootstrap --variant=minbase --include="${BASE_INCLUDE}" "${SUITE}" "${rootfs}" "${MIRROR}" \
        >"${boot_log}" 2>&1; then
        tail -n 30 "${boot_log}" >&2
        rm -rf "${rootfs}"
        die "debootstrap failed (full log: ${boot_log})"
    fi
    # Package caches, lists, docs and translations are dead weight in every image built on top (as in -slim).
    rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/log/*.log \
        "${rootfs}"/usr/share/doc/* "${rootfs}"/usr/share/man/* "${rootfs}"/usr/share/info/* \
        "${rootfs}"/usr/share/locale/*
    tar --numeric-owner -C "${rootfs}" -c . | podman import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        - "${BASE_IMAGE}" >/dev/null || die "podman import of ${rootfs} as ${BASE_IMAGE} failed"
    rm -rf "${rootfs}"
    log "built ${BASE_IMAGE}"
}

main() {
    mkdir -p "${BUILD_DIR}"
    # One run at a time: CI and the test fixture may both call this.
    exec 9>"${BUILD_DIR}/container_prereqs.lock"
    flock 9
    install_packages
    write_containers_conf
    export CONTAINERS_CONF="${CONF_FILE}"
    command -v podman >/dev/null || die "podman not on PATH after install"
    build_base_image
    printf 'CONTAINERS_CONF=%s\nAGENT_BASE_IMAGE=%s\n' "${CONF_FILE}" "${BASE_IMAGE}"
}

main "$@"
