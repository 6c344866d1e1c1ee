# Sourced by scripts/*_prereqs.sh: install missing Debian packages with at most one `apt-get update` per run.
#
# WHY: on a bare CI machine .ci/run calls three prereqs scripts, each needing fresh package lists; three updates
# fetch the same indexes three times. A successful update writes a stamp outside the clone (APT_UPDATE_STAMP);
# an update within APT_LISTS_FRESH_SECONDS of it is skipped while the lists are on disk (CodeBuild-style images
# delete them). Each script still runs alone: with no fresh stamp it updates first. Lists that are fresh by the
# stamp but miss a package version (the mirror moved on) are handled by one forced update and a retry.
#
# Env: APT_LOCK_WAIT_SECONDS  how long to wait for another apt-get's lock (default 1200)
#      APT_UPDATE_STAMP       the stamp of the last update (default /var/cache/agentcore-session/apt-lists-updated)
# apt itself honours APT_CONFIG (apt.conf(5)); the tests point it at a private tree.

readonly APT_LOCK_WAIT="${APT_LOCK_WAIT_SECONDS:-1200}"
readonly APT_STAMP="${APT_UPDATE_STAMP:-/var/cache/agentcore-session/apt-lists-updated}"
# Longer than the prereqs of one run take (the criu build, the slowest, takes minutes), far shorter than a day.
readonly APT_LISTS_FRESH_SECONDS=3600

apt_log() { printf 'apt_packages: %s\n' "$*" >&2; }

# The packages of "$@" dpkg does not have installed, one a line.
missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "${pkg}"
    done
}

# apt-get with the dpkg frontend lock waited on (DPkg::Lock::Timeout, apt.conf(5)) and the lists lock, which that
# option does not cover, retried until a deadline. Output is shown only on failure (its last 30 lines).
apt_get() {
    local deadline=$((SECONDS + APT_LOCK_WAIT)) out
    while true; do
        if out="$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="${APT_LOCK_WAIT}" "$@" 2>&1)"; then
            return 0
        fi
        if grep -qi 'could not get lock\|unable to lock' <<<"${out}" && ((SECONDS < deadline)); then
            apt_log "apt lock held by another process; waiting"
            sleep 5
            continue
        fi
        printf '%s\n' "${out}" | tail -n 30 >&2
        return 1
    done
}

# True when an update wrote the stamp less than APT_LISTS_FRESH_SECONDS ago and the lists it fetched are on disk.
apt_lists_fresh() {
    local lists
    [[ -f "${APT_STAMP}" ]] || return 1
    (($(date +%s) - $(stat -c %Y "${APT_STAMP}") < APT_LISTS_FRESH_SECONDS)) || return 1
    eval "$(apt-config shell lists Dir::State::Lists/d)"
    compgen -G "${lists:-/var/lib/apt/lists/}*_Packages*" >/dev/null
}

# `apt-get update` unless this run already did it ("force": update anyway); sets APT_UPDATED=1 when it updated.
# Serialized on a lock beside the stamp, so a script that waited for another's update then finds the lists fresh.
APT_UPDATED=0
apt_update_once() {
    local fd status=0
    mkdir -p "$(dirname "${APT_STAMP}")"
    exec {fd}>"${APT_STAMP}.lock"
    flock "${fd}"
    if [[ "${1:-}" == "force" ]] || ! apt_lists_fresh; then
        apt_log "updating the package lists"
        if apt_get update -qq; then
            touch "${APT_STAMP}"
            APT_UPDATED=1
        else
            status=1
        fi
    fi
    exec {fd}>&-
    return "${status}"
}

# `apt-get install "$@"` after at most one update this run; when it fails on lists an earlier script fetched,
# update once more and retry.
apt_install() {
    apt_update_once || return 1
    apt_get install "$@" && return 0
    ((APT_UPDATED == 0)) || return 1
    apt_log "install failed on lists an earlier script fetched; updating them and retrying"
    apt_update_once force && apt_get install "$@"
}
