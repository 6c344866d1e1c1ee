"""After `make local` restarts: every hint names a command that works as typed, and stale caches are pruned.

The client runs as a person in a new terminal runs it (its script's path, the virtualenv not on PATH, another
directory); each hint is taken from its error line and run as the shell would split it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from local.runtime import LocalRuntime, LocalRuntimeSettings
from tests.client.client_runs import PASSWORD
from tests.support.run_agent import RUN_AGENT

CLIENT = str(Path(sys.executable).parent / "agentcore-client")
HINT = re.compile(r"`([^`]+)`")


def _terminal(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=home, env=env, input=stdin, capture_output=True, text=True, timeout=120)

    return run


def _hint(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The command a one-line error names, split as a shell would."""
    assert result.returncode == 1, result.stdout + result.stderr
    found = HINT.search(result.stderr)
    assert found is not None, result.stderr
    return shlex.split(found.group(1))


def test_after_a_restart_each_hint_is_a_command_that_works_and_old_caches_are_gone(tmp_path: Path):
    run = _terminal(tmp_path)
    settings = LocalRuntimeSettings(state_dir=tmp_path / "state", agent_command=RUN_AGENT)
    local = [CLIENT, "--local", "--outputs-file", str(settings.outputs_path)]
    with LocalRuntime(settings):
        assert run([*local, "users", "create", "alice", "--password-stdin"], f"{PASSWORD}\n").returncode == 0
        assert run([*local, "login", "alice", "--password-stdin"], f"{PASSWORD}\n").returncode == 0
        assert run([*local, "invoke", "hi"]).returncode == 0

    with LocalRuntime(settings) as restarted:  # a new pool and runtime behind the same outputs file
        login = _hint(run([*local, "invoke", "--user", "alice", "My name is Alice."]))
        create = _hint(run(login, f"{PASSWORD}\n"))  # alice does not exist in the new pool
        created = run(create)
        assert created.returncode == 0, created.stderr
        password = re.search(r"\(shown once\): (\S+)", created.stdout).group(1)
        assert run(login, f"{password}\n").returncode == 0
        answered = run([*local, "invoke", "My name is Alice."])
        caches = sorted(p.name for p in (tmp_path / "cache" / "agentcore-session").iterdir())

    assert (answered.returncode, answered.stdout) == (0, "Nice to meet you, Alice.\n")
    assert caches == [f"local-{restarted.identity.user_pool_id}"]


def test_a_runtime_that_still_runs_keeps_its_cache(cli, user, local_runtime, cache_home, tmp_path: Path):
    """Control: using a second local runtime prunes only caches whose runtime is gone (here one of an old start
    with no record of its runtime); the first runtime's login still works."""
    legacy = cache_home / "agentcore-session" / "local-us-east-1_gone" / "tokens"
    legacy.mkdir(parents=True)
    settings = LocalRuntimeSettings(state_dir=tmp_path / "second", agent_command=RUN_AGENT)
    with LocalRuntime(settings) as second:
        target = ("--local", "--outputs-file", str(second.settings.outputs_path))
        assert cli("users", "list", target=target).code == 0
        caches = sorted(p.name for p in (cache_home / "agentcore-session").iterdir())

    assert caches == sorted([f"local-{local_runtime.identity.user_pool_id}", f"local-{second.identity.user_pool_id}"])
    assert cli("invoke", "My name is Kai.", "--user", user).out == "Nice to meet you, Kai.\n"
