#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/web): Playwright's own browser downloads are not reachable
# from CI, so the test launches this one with executable_path=/usr/bin/chromium. Idempotent; waits for the dpkg
# lock instead of failing when another apt-get runs (only one may run at a time on a machine).
#
# Usage: sudo scripts/browser_prereqs.sh
# Env:   those of scripts/apt_packages.sh (APT_LOCK_WAIT_SECONDS, APT_UPDATE_STAMP)
set -euo pipefail

# apt_install: at most one apt-get update per run across the prereqs scripts, the dpkg lock waited for.
source "$(dirname "${BASH_SOURCE[0]}")/apt_packages.sh"

readonly PACKAGE="chromium"

log() { printf 'browser_prereqs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

readonly BROWSER="/usr/bin/chromium"

if [[ -x "${BROWSER}" ]]; then
    exit 0
fi
[[ ${EUID} -eq 0 ]] || die "${PACKAGE} is missing and this is not root; run: sudo $0"
# Ubuntu's chromium package is only a wrapper that installs a snap (not at /usr/bin/chromium, and snapd is absent
# in containers). GitHub's Ubuntu runners ship Google Chrome at /usr/bin/google-chrome: the test launches that.
if [[ "$(. /etc/os-release && echo "${ID}")" == "ubuntu" ]]; then
    for chrome in /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
        if [[ -x "${chrome}" ]]; then
            ln -s "${chrome}" "${BROWSER}"
            log "linked ${BROWSER} to ${chrome}: $(${BROWSER} --version)"
            exit 0
        fi
    done
    die "no Chromium or Google Chrome on this Ubuntu machine; install Google Chrome's .deb, then rerun $0"
fi
log "installing ${PACKAGE}"
apt_install -y -qq --no-install-recommends "${PACKAGE}" || die "apt-get install ${PACKAGE} failed"
[[ -x "${BROWSER}" ]] || die "${PACKAGE} installed but ${BROWSER} is missing"
log "$(${BROWSER} --version)"
