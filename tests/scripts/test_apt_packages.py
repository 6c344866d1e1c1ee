"""scripts/apt_packages.sh: one `apt-get update` per run across the prereqs scripts, each still working alone.

The real apt-get runs against a private tree (``APT_CONFIG``, apt.conf(5)): its own sources list naming a local
``file:`` repository, its own lists and cache, so the machine's lists, dpkg lock and packages are never touched
and no network is needed. An update is observed by what apt can install: a package published to the repository
after the last update is installable (``apt-get install --simulate``) only once the lists were fetched again.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.prerequisites import missing_prerequisite

HELPER = REPO / "scripts" / "apt_packages.sh"
PROBE = "agentcore-apt-probe"
PROBE_STANZA = (
    f"Package: {PROBE}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.com>\n"
    "Filename: ./probe.deb\nSize: 1\nDescription: published after the first update\n\n"
)
# The helper's window (APT_LISTS_FRESH_SECONDS) is an hour.
TWO_HOURS = 2 * 3600


@dataclass(frozen=True)
class AptTree:
    """A private apt configuration over a local repository, and the stamp the helper writes."""

    root: Path
    stamp: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "APT_CONFIG": str(self.root / "apt.conf"), "APT_UPDATE_STAMP": str(self.stamp)}

    def publish(self, stanzas: str) -> None:
        """Replace the repository's package index (compressed, so apt copies it into the lists on update)."""
        (self.root / "repo" / "Packages.gz").write_bytes(gzip.compress(stanzas.encode()))

    def lists(self) -> list[Path]:
        return sorted((self.root / "lists").glob("*_Packages*"))


@pytest.fixture
def tree(tmp_path: Path) -> AptTree:
    if shutil.which("apt-get") is None or shutil.which("dpkg-query") is None:
        missing_prerequisite("apt-get and dpkg-query (Debian or Ubuntu) are needed to run scripts/apt_packages.sh")
    for folder in ("repo", "parts", "sources.list.d", "lists/partial", "cache/archives/partial"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "sources.list").write_text(f"deb [trusted=yes] file:{tmp_path / 'repo'} ./\n")
    (tmp_path / "apt.conf").write_text(
        f'Dir::Etc::Parts "{tmp_path / "parts"}";\n'
        f'Dir::Etc::SourceList "{tmp_path / "sources.list"}";\n'
        f'Dir::Etc::SourceParts "{tmp_path / "sources.list.d"}";\n'
        f'Dir::State::Lists "{tmp_path / "lists"}";\n'
        f'Dir::Cache "{tmp_path / "cache"}";\n'
        # The pytest temporary directory is private to its user; apt's download sandbox user could not write it.
        'APT::Sandbox::User "root";\n'
    )
    apt_tree = AptTree(root=tmp_path, stamp=tmp_path / "cache-dir" / "apt-lists-updated")
    apt_tree.publish("")
    return apt_tree


def script(tree: AptTree, commands: str) -> subprocess.CompletedProcess[str]:
    """A prereqs script: its own bash process sourcing the helper, then ``commands``."""
    return subprocess.run(
        ["bash", "-c", f'set -euo pipefail\nsource "{HELPER}"\n{commands}'],
        env=tree.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe_installable(tree: AptTree) -> bool:
    """Whether the lists on disk hold the probe package (a simulation: nothing is installed)."""
    done = subprocess.run(
        ["apt-get", "install", "--simulate", "-qq", PROBE], env=tree.env, capture_output=True, timeout=60
    )
    return done.returncode == 0


def test_the_second_script_of_a_run_uses_the_lists_the_first_fetched(tree: AptTree) -> None:
    first = script(tree, "apt_update_once")
    assert first.returncode == 0, first.stderr
    assert tree.stamp.is_file() and tree.lists()
    tree.publish(PROBE_STANZA)
    second = script(tree, "apt_update_once")
    assert second.returncode == 0, second.stderr
    assert not probe_installable(tree)
    forced = script(tree, "apt_update_once force")
    assert forced.returncode == 0, forced.stderr
    assert probe_installable(tree)


def test_a_script_run_alone_later_updates_first(tree: AptTree) -> None:
    assert script(tree, "apt_update_once").returncode == 0
    tree.publish(PROBE_STANZA)
    earlier = tree.stamp.stat().st_mtime - TWO_HOURS
    os.utime(tree.stamp, (earlier, earlier))
    assert script(tree, "apt_update_once").returncode == 0
    assert probe_installable(tree)


def test_missing_lists_are_fetched_despite_a_fresh_stamp(tree: AptTree) -> None:
    """CodeBuild's standard images delete /var/lib/apt/lists: a stamp alone never stands for lists."""
    assert script(tree, "apt_update_once").returncode == 0
    tree.publish(PROBE_STANZA)
    for listed in tree.lists():
        listed.unlink()
    assert script(tree, "apt_update_once").returncode == 0
    assert probe_installable(tree)


def test_install_on_lists_an_earlier_script_fetched_updates_once_and_retries(tree: AptTree) -> None:
    assert script(tree, "apt_update_once").returncode == 0
    tree.publish(PROBE_STANZA)
    done = script(tree, f"apt_install --simulate -qq {PROBE}")
    assert done.returncode == 0, done.stderr
    absent = script(tree, "apt_install --simulate -qq agentcore-apt-absent")
    assert absent.returncode == 1
    assert "Unable to locate package agentcore-apt-absent" in absent.stderr


def test_only_missing_packages_are_listed(tree: AptTree) -> None:
    done = script(tree, f"missing_packages bash coreutils {PROBE}")
    assert (done.returncode, done.stdout) == (0, f"{PROBE}\n")
