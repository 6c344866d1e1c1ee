#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/web): Playwright's own browser downloads are not reachable
# from CI, so the test launches this one with executable_path=/usr/bin/chromium. Idempotent; waits for the dpkg
# lock instead of failing when another apt-get runs (only one may run at a time on a machine).
#
# Usage: sudo scripts/browser_prereqs.sh
# Env:   APT_LOCK_WAIT_SECONDS  how long to wait for the dpkg lock (default 900)
set -euo pipefail

readonly PACKAGE="chromium"
readonly LOCK_WAIT="${APT_LOCK_WAIT_SECONDS:-900}"

log() { printf 'browser_prereqs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

readonly BROWSER="/usr/bin/chromium"

if [[ -x "${BROWSER}" ]]; then
    exit 0
fi
[[ ${EUID} -eq 0 ]] || die "${PACKAGE} is missing and this is not root; run: sudo $0"
log "installing ${PACKAGE}"
# DPkg::Lock::Timeout makes apt-get wait for the lock another apt-get or dpkg holds (apt.conf(5)).
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="${LOCK_WAIT}" update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="${LOCK_WAIT}" install -y -qq --no-install-recommends \
    "${PACKAGE}" >/dev/null
[[ -x "${BROWSER}" ]] || die "${PACKAGE} installed but ${BROWSER} is missing"
log "$(${BROWSER} --version)"
