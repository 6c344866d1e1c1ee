"""README.md and docs/ say only what is true of the repository: commands, options, targets, variables, paths,
Python names and links. Each failure line is ``<doc>:<line>: <claim>: <what is missing>``.

tests/docs/test_doc_checks.py shows every check below failing on a deliberately wrong doc or repository.
"""

from __future__ import annotations

import json
import re

from tests.docs import doc_checks, documented_defaults
from tests.docs.commands import PROJECT_CLIS, make_targets
from tests.docs.doc_text import blocks, links
from tests.support.paths import REPO


def _report(problems: list[str]) -> str:
    return "\n" + "\n".join(problems)


def test_every_project_cli_prints_its_help(helps):
    """The CLIs the docs may call (tests/docs/commands.py PROJECT_CLIS) all answer --help; a moved one fails here."""
    bases = {argv for argv in PROJECT_CLIS.values() if argv is not None}
    broken = [
        f"python {' '.join(argv)} --help failed (a CLI moved? update PROJECT_CLIS in tests/docs/commands.py): "
        f"{text[-300:]}"
        for argv, text in helps.items()
        if text.startswith("<exit")
    ]

    assert bases <= set(helps)
    assert not broken, _report(broken)


def test_documented_commands_have_their_subcommands_and_options(docs, helps):
    problems = doc_checks.check_cli_options(docs, helps)

    assert not problems, _report(problems)


def test_options_named_alone_belong_to_a_project_command(docs, helps):
    problems = doc_checks.check_standalone_options(docs, helps)

    assert not problems, _report(problems)


def test_documented_make_targets_and_variables_exist(docs, facts):
    problems = doc_checks.check_make_targets(docs, facts.makefile)

    assert not problems, _report(problems)


def test_every_make_target_with_help_is_documented(docs, facts):
    problems = doc_checks.check_make_targets_documented(docs, facts.makefile)

    assert not problems, _report(problems)


def test_documented_cdk_context_keys_are_read_by_the_app(docs):
    problems = doc_checks.check_context_keys(docs, doc_checks.context_keys(REPO))

    assert not problems, _report(problems)


def test_documented_environment_variables_are_used_by_the_code(docs, facts, helps):
    problems = doc_checks.check_documented_variables_exist(docs, facts, helps)

    assert not problems, _report(problems)


def test_environment_variables_the_code_reads_are_documented(docs, facts):
    problems = doc_checks.check_read_variables_documented(docs, facts)

    assert not problems, _report(problems)


def test_documented_paths_exist(docs, facts):
    problems = doc_checks.check_paths(docs, facts)

    assert not problems, _report(problems)


def test_documented_python_names_exist(docs):
    problems = doc_checks.check_python_names(docs, REPO)

    assert not problems, _report(problems)


def test_relative_links_and_anchors_resolve(docs):
    problems = doc_checks.check_links(docs, REPO)

    assert not problems, _report(problems)


def test_agent_environment_table_shows_the_settings_defaults_and_ranges(docs):
    agent_doc = next(doc for doc in docs if doc.path == "docs/agent.md")
    source = documented_defaults.read(REPO, "agent/settings.py")

    problems = documented_defaults.check_agent_environment_table(agent_doc, "agent/settings.py", source)

    assert not problems, _report(problems)


def test_configuration_table_shows_every_setting_with_its_default_and_limits(docs):
    readme = next(doc for doc in docs if doc.path == "docs/deploy.md")
    context = json.loads(documented_defaults.read(REPO, "cdk.json"))["context"]
    settings = documented_defaults.stage_settings(documented_defaults.read(REPO, "stacks/config.py"), context)

    problems = documented_defaults.check_stage_config_table(readme, settings)

    assert not problems, _report(problems)


def test_bench_flags_show_the_config_defaults(docs):
    bench_doc = next(doc for doc in docs if doc.path == "docs/bench.md")
    source = documented_defaults.read(REPO, "bench/config.py")

    problems = documented_defaults.check_bench_defaults(bench_doc, "bench/config.py", source)

    assert not problems, _report(problems)


def test_readme_shows_the_two_commands_make_synth_then_make_test(docs):
    readme = next(doc for doc in docs if doc.path == "README.md")

    assert "make synth\nmake test" in [block.text for block in blocks(readme)]


def test_the_checks_see_the_claims_they_check(docs, facts):
    """Guards against a parser change that silently finds nothing (every check would then pass)."""
    calls = {(call.name, call.args[0] if call.args else "") for call in doc_checks.cli_calls(docs)}
    targets = {target for _, command in doc_checks.shell_commands(docs) for target in make_targets(command)[0]}
    variables = {mention.name for mention in doc_checks.variable_mentions(docs)}
    paths = {path for _, path in doc_checks.path_mentions(docs)}
    targets_of_links = {link.target for doc in docs for link in links(doc)}

    assert {("agentcore-client", "login"), ("python -m local", "--state-dir"), ("python -m bench", "--help")} <= calls
    assert {"synth", "test", "deploy", "destroy", "local", "bench", "lock"} <= targets
    assert {"MODEL_PROVIDER", "SESSION_STORE", "AGENTCORE_LOCAL_OUTPUTS", "BENCH_QUICK", "STAGE"} <= variables
    assert {"agent/Dockerfile", "stacks/config.py", "scripts/container_prereqs.sh"} <= paths
    assert {"docs/toolchain.md", "docs/client.md"} <= targets_of_links
    assert len([use for use in facts.env_uses if use.read]) > 30
    assert re.search(r"\bmake synth\b", next(doc.text for doc in docs if doc.path == "README.md"))
