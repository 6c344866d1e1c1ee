"""Each docs-truth check catches a deliberately wrong claim, with an exact message, beside a control that passes.

The docs here are small Markdown fixtures; the helps are built from real argparse parsers in the test, so the
option checks parse the same help format the CLIs print without starting them.
"""

from __future__ import annotations

import argparse
import json

from stacks.config import StageConfig
from tests.docs import doc_checks, documented_defaults, repo_facts
from tests.docs.doc_text import Doc
from tests.docs.repo_facts import EnvUse, Makefile
from tests.support.paths import REPO

CLIENT = ("-m", "client")


def _doc(text: str, path: str = "docs/fixture.md") -> list[Doc]:
    return [Doc(path, text)]


def _client_helps() -> dict[tuple[str, ...], str]:
    """Helps shaped like agentcore-client's: target options everywhere, commands with their own options."""
    target = argparse.ArgumentParser(add_help=False)
    target.add_argument("--local", action="store_true")
    target.add_argument("--stage")
    parser = argparse.ArgumentParser(prog="agentcore-client", parents=[target])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    login = commands.add_parser("login", parents=[target], help="sign in")
    login.add_argument("name")
    login.add_argument("--flow", choices=["auto", "password", "srp"])
    users = commands.add_parser("users", parents=[target], help="users")
    actions = users.add_subparsers(dest="action", metavar="ACTION")
    create = actions.add_parser("create", parents=[target], help="create a user")
    create.add_argument("name")
    create.add_argument("--password-stdin", action="store_true")
    actions.add_parser("list", parents=[target], help="list users")
    demo = commands.add_parser("demo", parents=[target], help="demo")
    demo.add_argument("--users", nargs=2, metavar=("USER_A", "USER_B"))
    return {
        CLIENT: parser.format_help(),
        (*CLIENT, "login"): login.format_help(),
        (*CLIENT, "users"): users.format_help(),
        (*CLIENT, "users", "create"): create.format_help(),
        (*CLIENT, "users", "list"): actions.choices["list"].format_help(),
        (*CLIENT, "demo"): demo.format_help(),
    }


# --- markdown --------------------------------------------------------------------------------------------------
# --- commands and options --------------------------------------------------------------------------------------
def test_a_wrong_option_of_a_subcommand_is_named():
    docs = _doc("Run:\n\n```bash\nagentcore-client --local login alice --flo srp\n```\n")

    assert doc_checks.check_cli_options(docs, _client_helps()) == [
        "docs/fixture.md:4: `agentcore-client --local login alice --flo srp`: "
        "`agentcore-client login --help` lists no option --flo"
    ]


def test_an_unknown_subcommand_is_named_with_the_ones_that_exist():
    docs = _doc("`users craete bob`")

    assert doc_checks.check_cli_options(docs, _client_helps()) == [
        "docs/fixture.md:1: `users craete bob`: `agentcore-client users` has no command craete "
        "(its --help lists: create, list)"
    ]


def test_options_and_values_of_documented_calls_pass():
    docs = _doc(
        "```bash\n.venv/bin/agentcore-client --stage dev users create alice --password-stdin < pw\n"
        "python -m client demo --stage dev --users ci-a ci-b\n```\n"
        "`login NAME [--flow auto|srp|password]`, `users create|list`, `--local`\n"
    )

    assert doc_checks.check_cli_options(docs, _client_helps()) == []


def test_a_command_without_options_refuses_any():
    docs = _doc("`python -m agent --port 9000`")

    assert doc_checks.check_cli_options(docs, {}) == [
        "docs/fixture.md:1: `python -m agent --port 9000`: `python -m agent` takes no options, "
        "but the doc passes --port"
    ]


def test_an_option_named_alone_must_belong_to_some_command():
    docs = _doc("Use `--stage NAME` or `--stagee NAME`; pip's `--require-hashes` is another tool's.")

    assert doc_checks.check_standalone_options(docs, _client_helps()) == [
        "docs/fixture.md:1: `--stagee NAME`: no project command's --help lists --stagee"
    ]


# --- make ------------------------------------------------------------------------------------------------------
MAKEFILE = Makefile(
    "STAGE ?= dev\nsynth: setup ## Synthesize.\n\tcdk synth -c stage=$(STAGE)\nsetup:\n\ttrue\n"
    "bench: setup ## Benchmark.\n\tpython -m bench $(BENCH_ARGS)\n"
)


def test_a_missing_make_target_or_variable_is_named():
    docs = _doc("`make synt`, then `make synth STAEG=prod`; `make synth STAGE=prod` and `make bench` work.")

    assert doc_checks.check_make_targets(docs, MAKEFILE) == [
        "docs/fixture.md:1: `make synt`: the Makefile has no target synt (targets: bench, setup, synth)",
        "docs/fixture.md:1: `make synth STAEG=prod`: the Makefile never uses the variable STAEG",
    ]


def test_a_make_target_with_help_that_no_doc_shows_is_named():
    docs = _doc("```bash\nmake synth\n```\n")

    assert doc_checks.check_make_targets_documented(docs, MAKEFILE) == [
        "Makefile: target bench (## Benchmark.): no README.md or docs/ page shows `make bench`"
    ]


# --- CDK context -----------------------------------------------------------------------------------------------
def test_a_context_key_the_app_does_not_read_is_named():
    docs = _doc(
        "Choose IAM with `-c authoriser=iam`; `-c stage=prod` and `-c authorizer=iam` work.\n\n"
        "```bash\ncdk synth -c pipeline=true -c pipeline_repositry=o/r\n```\n"
    )

    assert doc_checks.check_context_keys(docs, doc_checks.context_keys(REPO)) == [
        "docs/fixture.md:1: `-c authoriser=iam`: the app reads no context key authoriser",
        "docs/fixture.md:4: `cdk synth -c pipeline=true -c pipeline_repositry=o/r`: "
        "the app reads no context key pipeline_repositry",
    ]


def test_the_context_keys_are_read_from_the_code():
    keys = doc_checks.context_keys(REPO)
    settings = set(StageConfig.model_fields) - {"app_name", "stage"}
    assert {"authorizer", "model_id", "session_store"} <= settings <= keys
    assert keys - settings == {
        "agentcore-session",
        "stage",
        "pipeline",
        "pipeline_repository",
        "pipeline_connection_arn",
        "pipeline_branch",
        "pipeline_ci_secret_name",
    }


# --- environment variables -------------------------------------------------------------------------------------
def _facts(*uses: EnvUse) -> repo_facts.RepoFacts:
    return repo_facts.RepoFacts(root=REPO, makefile=MAKEFILE, env_uses=list(uses), files=set())


def test_a_documented_variable_no_code_uses_is_named():
    facts = _facts(
        EnvUse("MODEL_PROVIDER", "agent/settings.py:1", read=True), EnvUse("BENCH_", "b.py:1", read=True, prefix=True)
    )
    docs = _doc(
        "`MODEL_PROVIDR`; `MODEL_PROVIDER=openai`; `BENCH_QUICK=1 make bench`; `$AWS_PROFILE`\n\n"
        '```bash\nS1=session-a\ncurl -H "X: $S1"\npodman run -e MODEL_IDX=1 agent\n```\n'
    )

    assert doc_checks.check_documented_variables_exist(docs, facts, {("-m", "bench"): "env BENCH_QUICK"}) == [
        "docs/fixture.md:1: `MODEL_PROVIDR`: no code reads or sets this environment variable",
        "docs/fixture.md:6: `MODEL_IDX`: no code reads or sets this environment variable",
    ]


def test_a_variable_family_member_must_be_listed_by_a_help():
    facts = _facts(EnvUse("BENCH_", "bench/config.py:9", read=True, prefix=True))
    docs = _doc("`BENCH_SINGLE_CALLS=50` and `BENCH_SINGEL_CALLS=50`; all of `BENCH_*`")

    assert doc_checks.check_documented_variables_exist(docs, facts, {("-m", "bench"): "env BENCH_SINGLE_CALLS"}) == [
        "docs/fixture.md:1: `BENCH_SINGEL_CALLS`: no code reads or sets this environment variable"
    ]


def test_a_variable_the_code_reads_that_no_doc_names_is_named():
    facts = _facts(
        EnvUse("SESSION_STORE", "agent/settings.py:3", read=True),
        EnvUse("NEW_KNOB", "agent/settings.py:4", read=True),
        EnvUse("OTEL_SDK_DISABLED", "agent/observability.py:5", read=False),
        EnvUse("SCRIPTED_MODEL_GATE", "tests/support/scripted_model.py:6", read=True),
        EnvUse("OUT_", "scripts/pipeline_smoke.py:7", read=True, prefix=True),
        EnvUse("BENCH_", "bench/config.py:8", read=True, prefix=True),
    )
    docs = _doc("`SESSION_STORE=s3`, every `BENCH_*` variable")

    assert doc_checks.check_read_variables_documented(docs, facts) == [
        "agent/settings.py:4: reads NEW_KNOB: no README.md or docs/ page names it"
    ]


def test_the_real_code_reads_are_found():
    uses = {(use.name, use.read, use.prefix) for use in repo_facts.load(REPO).env_uses}

    assert {
        ("MODEL_PROVIDER", True, False),  # agent/settings.py, a field's validation_alias
        ("AGENTCORE_LOCAL_OUTPUTS", True, False),  # client/targets.py os.environ.get
        ("BENCH_", True, True),  # bench/config.py f"BENCH_{name}"
        ("DEBIAN_MIRROR", True, False),  # scripts/container_prereqs.sh ${DEBIAN_MIRROR:-…}
        ("AWS_DEPLOY_ROLE_ARN", True, False),  # .github/workflows/ci.yml vars.
        ("STAGE", True, False),  # Makefile STAGE ?= dev
        ("OTEL_SDK_DISABLED", False, False),  # agent/observability.py setdefault
    } <= uses


# --- paths -----------------------------------------------------------------------------------------------------
def test_a_path_that_does_not_exist_is_named():
    facts = repo_facts.load(REPO)
    docs = _doc(
        "`agent/Dockerfil`, `setings.py`, `strandz/session/s3_session_manager.py`; fine: `agent/Dockerfile`,\n"
        "`settings.py`, `cdk-outputs-<stage>.json`, `.venv/bin/python`, `text/event-stream`, `tests/*/conftest.py`,\n"
        "`strands/session/s3_session_manager.py`"
    )

    assert doc_checks.check_paths(docs, facts) == [
        "docs/fixture.md:1: `agent/Dockerfil`: no such file or folder in the repository",
        "docs/fixture.md:1: `setings.py`: no file of this name in the repository",
        "docs/fixture.md:1: `strandz/session/s3_session_manager.py`: strandz/ is neither a repository folder nor a "
        "declared external root",
    ]


# --- python names ----------------------------------------------------------------------------------------------
def test_a_python_name_that_does_not_exist_is_named():
    docs = _doc(
        "`stacks.constructs.stack_outputs.export_nam(config, key)`; `agent.requests` and\n"
        "`stacks.constructs.stack_outputs.export_name` exist.\n\n"
        "```python\nfrom stacks.monitoring.monitoring_stack import MonitoringStack, SsmMonitoringStak\n"
        "client = 1\nclient.run()\n```\n"
    )

    assert doc_checks.check_python_names(docs, REPO) == [
        "docs/fixture.md:1: `stacks.constructs.stack_outputs.export_nam`: no such module, or the module defines no "
        "such name",
        "docs/fixture.md:5: `from stacks.monitoring.monitoring_stack import MonitoringStack, SsmMonitoringStak`: "
        "stacks/monitoring/monitoring_stack.py defines no SsmMonitoringStak",
    ]


# --- links -----------------------------------------------------------------------------------------------------
def test_a_broken_link_or_anchor_is_named():
    docs = [
        Doc(
            "docs/a.md",
            "# A\n\n## Quick start\n\nSee [b](b.md#no-such), [c](c.md), [here](#quick-start), [b](b.md#b-title).",
        ),
        Doc("docs/b.md", "# B title\n"),
    ]

    problems = doc_checks.check_links(docs, REPO)

    assert problems == [
        "docs/a.md:5: link to `b.md#no-such`: docs/b.md has no heading with anchor #no-such",
        "docs/a.md:5: link to `c.md`: docs/c.md does not exist",
    ]


# --- documented defaults ---------------------------------------------------------------------------------------
SETTINGS_SOURCE = """
class Settings(BaseModel):
    model_provider: Provider = Field(default="bedrock", validation_alias="MODEL_PROVIDER")
    aws_region: str | None = Field(default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    max_sessions: int = Field(default=100, ge=1, le=10000, validation_alias="MAX_SESSIONS")
    session_wait_seconds: int = Field(default=120, ge=0, le=3600, validation_alias="SESSION_WAIT_SECONDS")
    observability_enabled: bool = Field(default=False, validation_alias="AGENT_OBSERVABILITY_ENABLED")
"""
AGENT_TABLE = """# Agent

## Environment variables

| variable | default | meaning |
|---|---|---|
| `MODEL_PROVIDER` | `bedrock` | provider |
| `AWS_REGION` | from `AWS_DEFAULT_REGION` | region |
| `MAX_SESSIONS` | `100` (1..1000) | agents kept |
| `AGENT_OBSERVABILITY_ENABLED` | `false` | telemetry |
| `SESSION_TTL` | `900` | gone |

## Request
"""


def test_an_agent_default_or_range_the_settings_do_not_have_is_named():
    problems = documented_defaults.check_agent_environment_table(
        Doc("docs/agent.md", AGENT_TABLE), "agent/settings.py", SETTINGS_SOURCE
    )

    assert problems == [
        "docs/agent.md:9: `MAX_SESSIONS` default '`100` (1..1000)': agent/settings.py:5 has `100` (1..10000)",
        "agent/settings.py:6: reads SESSION_WAIT_SECONDS: docs/agent.md's table has no row for it",
        "docs/agent.md:11: `SESSION_TTL`: agent/settings.py does not read it",
    ]


def test_a_bench_default_the_config_does_not_have_is_named():
    source = "class BenchConfig:\n    single_calls: int = 200\n    memory_sessions: tuple[int, ...] = (100, 1000)\n"
    doc = Doc(
        "docs/bench.md",
        "# Bench\n\nFlags / `BENCH_*` variables: `single_calls` (100),\n`memory_sessions` (100,1000).\n",
    )

    assert documented_defaults.check_bench_defaults(doc, "bench/config.py", source) == [
        "docs/bench.md:3: `single_calls` (100): bench/config.py defaults it to 200"
    ]


CONFIG_SOURCE = """
SessionStore = Literal["s3", "agentcore-memory"]


class StageConfig(BaseModel):
    app_name: str
    stage: str
    session_store: SessionStore
    idle_timeout_seconds: int = Field(ge=60, le=28800)
    user_password_auth: bool
    alarm_email: str | None = None
"""
CONTEXT = {
    "agentcore-session": {
        "defaults": {"session_store": "s3", "idle_timeout_seconds": 600, "user_password_auth": False},
        "stages": {"dev": {"user_password_auth": True}},
    }
}


def test_a_configuration_row_that_disagrees_with_the_config_is_named():
    readme = Doc(
        "README.md",
        "# App\n\n## Configuration\n\n| Key | Default | Allowed |\n|---|---|---|\n"
        "| `session_store` | `s3` | `s3` |\n"
        "| `idle_timeout_seconds` | 900 | 60..3600 |\n"
        "| `user_password_auth` | `false` | boolean |\n"
        "| `session_stor` | `s3` | |\n",
    )
    settings = documented_defaults.stage_settings(CONFIG_SOURCE, CONTEXT)

    assert documented_defaults.check_stage_config_table(readme, settings) == [
        "README.md:7: `session_store`: allowed cell '`s3`' lacks agentcore-memory",
        "README.md:8: `idle_timeout_seconds`: default cell '900' lacks the default 600",
        "README.md:8: `idle_timeout_seconds`: allowed cell '60..3600' lacks the range 60..28800",
        "README.md:9: `user_password_auth`: default cell '`false`' lacks dev's `true`",
        "README.md:10: `session_stor`: StageConfig has no such setting",
        "README.md: Configuration table has no row for `alarm_email` (stacks/config.py StageConfig)",
    ]


def test_a_configuration_row_that_agrees_passes():
    readme = Doc(
        "README.md",
        "## Configuration\n\n| Key | Default | Allowed |\n|---|---|---|\n"
        "| `session_store` | `s3` | `s3`, `agentcore-memory` |\n"
        "| `idle_timeout_seconds`, `alarm_email` | 600, none | 60..28800; e-mail |\n"
        "| `user_password_auth` | `false` (dev `true`) | boolean |\n",
    )

    assert (
        documented_defaults.check_stage_config_table(readme, documented_defaults.stage_settings(CONFIG_SOURCE, CONTEXT))
        == []
    )


# --- --help --------------------------------------------------------------------------------------------------
def test_a_cli_that_cannot_print_its_help_is_marked_with_its_exit_code():
    helps = repo_facts.crawl_helps(REPO, {("-m", "no_such_cli")})

    assert list(helps) == [("-m", "no_such_cli")]
    assert helps[("-m", "no_such_cli")].startswith("<exit 1>\n")
    assert "No module named no_such_cli" in helps[("-m", "no_such_cli")]


def test_the_stage_settings_check_sees_the_validators_ranges_and_choices():
    """Guards the README check against a validator rewrite it no longer recognizes (it would then check nothing)."""
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    settings = documented_defaults.stage_settings((REPO / "stacks" / "config.py").read_text(), context)

    assert settings.ranges["idle_timeout_seconds"] == (60, 28800)
    assert settings.choices["authorizer"] == ("jwt", "iam")
    assert (len(settings.ranges), len(settings.choices)) == (7, 7)  # every Field(ge=, le=) / Literal choice
