"""The docs-truth checks: each compares what the docs show as code (or link) with the repository.

Every check returns problems as lines ``<doc>:<line>: <the claim>: <what is missing>`` (or, for the reverse
checks, ``<where in the code>: <what the docs never mention>``), so a failure says where to fix what. The
allowlists below are the only exceptions, each with its reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.docs import commands as shell
from tests.docs.doc_text import Code, Doc, blocks, code, headings, links, spans
from tests.docs.repo_facts import (
    FIRST_PARTY,
    Makefile,
    RepoFacts,
    class_attributes,
    ignored,
    module_file,
    top_level_names,
)

# --- options -------------------------------------------------------------------------------------------------
# Options the docs mention on their own (not in a command line) that belong to other tools.
EXTERNAL_OPTIONS = {
    "--build-arg": "docker/podman build: the Dockerfile's BASE_IMAGE argument",
    "--secret": "docker/podman build: the pip_cert and pip_conf build secrets",
    "--require-hashes": "pip and uv: every installed file must match a hash in the lock",
    "--only-binary": "pip: wheels only in the image",
    "--universal": "uv pip compile: the dev lock resolves for every platform",
}

# --- environment variables -----------------------------------------------------------------------------------
# ALL-CAPS code spans that name values or constants, not environment variables.
NOT_VARIABLES = {
    "DEBUG": "a LOG_LEVEL value",
    "INFO": "a LOG_LEVEL value",
    "WARNING": "a LOG_LEVEL value",
    "ERROR": "a LOG_LEVEL value",
    "READY": "a runtime/endpoint status (GetAgentRuntime)",
    "AVAILABLE": "a status value (Bedrock agreement, CodeConnections connection)",
    "UPDATING": "a runtime status (GetAgentRuntime)",
    "DEFAULT": "the endpoint name AgentCore reserves",
    "EQUALS_TO": "an AgentCore Memory ListEvents filter operator",
    "EXISTS": "an AgentCore Memory ListEvents filter operator",
    "NOT_EXISTS": "an AgentCore Memory ListEvents filter operator",
    "PASSWORD": "a Cognito auth parameter --verbose redacts",
    "SECRET_HASH": "a Cognito auth parameter --verbose redacts",
    "SECRETS_MANAGER": "a CodeBuild environment-variable type",
    "USER_PASSWORD_AUTH": "a Cognito auth flow",
    "TCP_NODELAY": "a socket option",
    "IPPROTO_TCP": "a socket protocol constant",
    "TOOLS": "the tool list in agent/tools.py",
    "V1": "an AgentCore Runtime platform_version value",
    "V2": "an AgentCore Runtime platform_version value",
}
# Variables other programs read; the docs tell the reader to set them, no project code reads them itself.
READ_BY_OTHERS = {
    "AWS_PROFILE": "boto3/botocore credential chain",
    "AWS_ACCESS_KEY_ID": "boto3/botocore credential chain",
    "AWS_SECRET_ACCESS_KEY": "boto3/botocore credential chain",
    "AWS_ENDPOINT_URL": "botocore: endpoint for every service",
    "SSL_CERT_FILE": "uv (and OpenSSL): the CA bundle to trust",
    "UV_DEFAULT_INDEX": "uv: the package index",
    "TARGETARCH": "docker buildx: the automatic build argument naming the target architecture",
    "PWD": "the shell",
    "HOME": "the shell",
}
# Families of variables other programs read (botocore: AWS_ENDPOINT_URL_<SERVICE>).
READ_BY_OTHERS_PREFIXES = {"AWS_ENDPOINT_URL_": "botocore: service-specific endpoint (AWS_ENDPOINT_URL_S3, ...)"}
# Variables the code reads that are no user's business, so the docs need not name them.
INTERNAL_VARIABLES = {
    "AGENT_OTEL_BOOTSTRAPPED": "agent/observability.py sets it before re-executing itself under "
    "opentelemetry-instrument, so the child does not re-execute again",
    "SCRIPTED_MODEL_GATE": "tests/support/scripted_model.py: the rendezvous address test helpers set for "
    "the agent processes they start",
    "OUT_": "scripts/pipeline_smoke.py write-outputs: CDK Pipelines sets OUT_<key> from the stack outputs "
    "(env_from_cfn_outputs in stacks/constructs/pipeline_smoke.py)",
}
SPAN_VARIABLE = re.compile(r"^\$?\{?([A-Z][A-Z0-9_]*[A-Z0-9])\}?(?:=\S*)?$")
SPAN_FAMILY = re.compile(r"^\$?([A-Z][A-Z0-9_]*_)\*$")
CAPS = re.compile(r"^[A-Z][A-Z0-9_]*$")
WORD_REFERENCE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")
ENV_FLAGS = {"-e", "--env", "--build-arg"}

# --- paths ---------------------------------------------------------------------------------------------------
# First folders of paths that live in other projects (installed packages, upstream repositories).
EXTERNAL_ROOTS = {
    "strands": "strands-agents' source in .venv",
    "bedrock_agentcore": "bedrock-agentcore's source in .venv",
    "botocore": "botocore's source in .venv",
    "runtime": "bedrock_agentcore/runtime/ in .venv",
    "repos": "docker-library/repo-info",
    "aws-bedrockagentcore": "aws-cdk-lib's jsii bundle",
}
PATH_EXTENSIONS = (".py", ".md", ".txt", ".lock", ".json", ".toml", ".yaml", ".yml", ".sh", ".mjs", ".log", ".conf")
BASENAME_EXTENSIONS = (".py", ".md", ".lock", ".toml", ".sh", ".mjs", ".yaml", ".yml")
PATH_WORD = re.compile(r"^(?:\./)?([A-Za-z0-9_.][A-Za-z0-9_./*<>…{}-]*)$")
PLACEHOLDER = re.compile(r"<[^>]*>|…|\*|\{[^}]*\}")

# --- python names --------------------------------------------------------------------------------------------
DOTTED = re.compile(rf"^((?:{'|'.join(FIRST_PARTY)})(?:\.[A-Za-z_][A-Za-z0-9_]*)+)$")
FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+(.+?)\s*$", re.M)


@dataclass(frozen=True)
class Problem:
    """One untrue claim: where, what the doc says, what the repository lacks."""

    where: str
    claim: str
    missing: str

    def __str__(self) -> str:
        return f"{self.where}: {self.claim}: {self.missing}"


def _sorted(problems: Iterable[Problem]) -> list[str]:
    return sorted({str(problem) for problem in problems}, key=_line_order)


def _line_order(text: str) -> tuple[str, int, str]:
    where = text.split(": ", 1)[0]
    path, _, line = where.partition(":")
    return path, int(line) if line.isdigit() else 0, text


def shell_commands(docs: Sequence[Doc]) -> Iterable[tuple[Code, shell.Command]]:
    for doc in docs:
        for piece in code(doc):
            for command in shell.commands(piece):
                yield piece, command


# --- commands and options ------------------------------------------------------------------------------------
def cli_calls(docs: Sequence[Doc]) -> list[shell.CliCall]:
    """Every call of a project CLI the docs show."""
    found = []
    for piece, command in shell_commands(docs):
        call = shell.cli_call(command, span=not piece.block)
        if call is not None:
            found.append(call)
    return found


def check_cli_options(docs: Sequence[Doc], helps: Mapping[tuple[str, ...], str]) -> list[str]:
    """Each documented command of a project CLI: its subcommands exist and each option is in that --help."""
    problems: list[Problem] = []
    for call in cli_calls(docs):
        claim = f"`{shell.quote(call.command.words)}`"
        if call.help_argv is None:
            problems += [
                Problem(call.command.where, claim, f"`{call.name}` takes no options, but the doc passes {word}")
                for word in call.args
                if shell.option_name(word)
            ]
            continue
        problems += _walk_call(call, claim, helps)
    return _sorted(problems)


def _walk_call(call: shell.CliCall, claim: str, helps: Mapping[tuple[str, ...], str]) -> list[Problem]:
    """Follow the words through the subcommand levels, checking each option against the level it is at."""
    assert call.help_argv is not None
    problems: list[Problem] = []
    path: tuple[str, ...] = ()
    words = list(call.args)
    index = 0
    pending: list[tuple[str, tuple[str, ...]]] = []
    while index < len(words):
        word = words[index].strip("[]()")
        index += 1
        option = shell.option_name(word)
        current = helps.get(call.help_argv + path, "")
        if option:
            pending.append((option, path))
            if "=" not in word:
                index += _values_taken(current, option, words[index:])
            continue
        subcommands = shell.help_subcommands(current)
        if not subcommands or not word:
            continue
        alternatives = word.split("|")
        unknown = [name for name in alternatives if name not in subcommands]
        if unknown:
            where = f"{call.name} {' '.join(path)}".strip()
            problems.append(
                Problem(
                    call.command.where,
                    claim,
                    f"`{where}` has no command {', '.join(unknown)} "
                    f"(its --help lists: {', '.join(sorted(subcommands))})",
                )
            )
            return problems
        path += (alternatives[0],)
    full = helps.get(call.help_argv + path, "")
    for option, at in pending:
        if option in shell.help_options(full) or option in shell.help_options(helps.get(call.help_argv + at, "")):
            continue
        where = f"{call.name} {' '.join(path)}".strip()
        problems.append(Problem(call.command.where, claim, f"`{where} --help` lists no option {option}"))
    return problems


def _values_taken(help_text: str, option: str, following: list[str]) -> int:
    """How many of the next words are this option's value(s), from the metavars its --help shows."""
    match = re.search(rf"^\s+(?:-\w, )?{re.escape(option)}((?: (?:[A-Z][A-Z0-9_]*|\{{[^}}]*\}}))*)", help_text, re.M)
    count = len(match.group(1).split()) if match else 0
    taken = 0
    for word in following[:count]:
        if shell.option_name(word.strip("[]()")):
            break
        taken += 1
    return taken


def check_standalone_options(docs: Sequence[Doc], helps: Mapping[tuple[str, ...], str]) -> list[str]:
    """A span that is just an option (``--outputs-file PATH``) names an option of some project CLI."""
    known: set[str] = set()
    for text in helps.values():
        known |= shell.help_options(text)
    problems = []
    for doc in docs:
        for span in spans(doc):
            option = shell.option_name(span.text.split(" ", 1)[0].lstrip("["))
            if option and option not in known and option not in EXTERNAL_OPTIONS:
                problems.append(Problem(span.where, f"`{span.text}`", f"no project command's --help lists {option}"))
    return _sorted(problems)


# --- make ----------------------------------------------------------------------------------------------------
def check_make_targets(docs: Sequence[Doc], makefile: Makefile) -> list[str]:
    """Every ``make <target> [VAR=value]`` the docs show has that target and variable in the Makefile."""
    targets = makefile.targets
    variables = makefile.variables
    problems = []
    for _, command in shell_commands(docs):
        names, assignments = shell.make_targets(command)
        claim = f"`{shell.quote(command.words)}`"
        problems += [
            Problem(command.where, claim, f"the Makefile has no target {name} (targets: {', '.join(sorted(targets))})")
            for name in names
            if name not in targets
        ]
        problems += [
            Problem(command.where, claim, f"the Makefile never uses the variable {name}")
            for name, _ in assignments
            if name not in variables
        ]
    return _sorted(problems)


def check_make_targets_documented(docs: Sequence[Doc], makefile: Makefile) -> list[str]:
    """Every target with a ``##`` help (what ``make help`` lists) appears as ``make <target>`` in the docs."""
    mentioned: set[str] = set()
    for _, command in shell_commands(docs):
        mentioned.update(shell.make_targets(command)[0])
    return sorted(
        str(Problem("Makefile", f"target {name} (## {helptext})", f"no README.md or docs/ page shows `make {name}`"))
        for name, helptext in makefile.targets.items()
        if helptext is not None and name not in mentioned
    )


# --- CDK context ---------------------------------------------------------------------------------------------
# Where the app reads context: app.py and the config modules (``stacks/**/*config.py``), through module
# constants named ``*_KEY`` or ``*_ROOT``.
CONTEXT_FLAG = re.compile(r"^-c ([A-Za-z0-9_:@/-]+)=")


def context_keys(root: Path) -> set[str]:
    """The top-level context keys the app reads (``stage``, ``pipeline``, ``pipeline_repository`` …), and every
    stage setting, which ``-c <setting>=<value>`` overrides (the fields of ``StageConfig`` in stacks/config.py)."""
    keys: set[str] = set()
    for path in [root / "app.py", *sorted((root / "stacks").rglob("*config.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "StageConfig":
                keys.update(
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign)
                    and isinstance(item.target, ast.Name)
                    and item.target.id != "app_name"  # read from cdk.json only (stacks/config.py _SETTINGS)
                )
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
                if any(name.endswith(("_KEY", "_ROOT")) for name in names):
                    keys.add(node.value.value)
    return keys


def check_context_keys(docs: Sequence[Doc], keys: set[str]) -> list[str]:
    """Every ``-c key=value`` a doc passes to the CDK CLI names a context key the app reads (``-c authoriser=iam``
    would be ignored by the CDK and the reader left thinking the setting changed)."""
    problems = []
    for doc in docs:
        for span in spans(doc):
            if (match := CONTEXT_FLAG.match(span.text)) and match.group(1) not in keys:
                problems.append(Problem(span.where, f"`{span.text}`", f"the app reads no context key {match.group(1)}"))
    for _, command in shell_commands(docs):
        if "cdk" not in command.words:
            continue
        for flag, value in zip(command.words, command.words[1:], strict=False):
            key = value.split("=", 1)[0]
            if flag in ("-c", "--context") and key not in keys:
                problems.append(
                    Problem(command.where, f"`{shell.quote(command.words)}`", f"the app reads no context key {key}")
                )
    return _sorted(problems)


# --- environment variables -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mention:
    """A variable (or a ``PREFIX_*`` family) a doc names."""

    name: str
    where: str
    family: bool = False


def variable_mentions(docs: Sequence[Doc]) -> list[Mention]:
    """Variables the docs name: ALL-CAPS spans, assignments before commands, ``-e NAME=``, ``$NAME``."""
    found: list[Mention] = []
    for doc in docs:
        for span in spans(doc):
            if family := SPAN_FAMILY.match(span.text):
                found.append(Mention(family.group(1), span.where, family=True))
            elif (single := SPAN_VARIABLE.match(span.text)) and single.group(1) not in NOT_VARIABLES:
                found.append(Mention(single.group(1), span.where))
        for piece in code(doc):
            found += _command_variables(piece)
    return found


def _command_variables(piece: Code) -> list[Mention]:
    """Variables set before or passed to commands, and ``$NAME`` not assigned in the same block."""
    found: list[Mention] = []
    assigned: set[str] = set()
    for command in shell.commands(piece):
        if not command.words:
            assigned.update(name for name, _ in command.assignments)
            continue
        found += [Mention(name, command.where) for name, _ in command.assignments if CAPS.match(name)]
        found += [Mention(name, command.where) for name, _ in shell.make_targets(command)[1]]
        for flag, value in zip(command.words, command.words[1:], strict=False):
            if flag in ENV_FLAGS and (match := shell.ASSIGNMENT.match(value)):
                found.append(Mention(match.group(1), command.where))
        for word in (*command.words, *(value for _, value in command.assignments)):
            found += [
                Mention(name, command.where)
                for name in WORD_REFERENCE.findall(word)
                if name not in assigned and not re.search(rf"\b{name}=", piece.text)
            ]
    return found


def check_documented_variables_exist(
    docs: Sequence[Doc], facts: RepoFacts, helps: Mapping[tuple[str, ...], str]
) -> list[str]:
    """Every variable the docs name is used by the code, or is read by another named program."""
    used = {use.name for use in facts.env_uses if not use.prefix}
    families = {use.name for use in facts.env_uses if use.prefix}
    help_text = "\n".join(helps.values())
    problems = []
    for mention in variable_mentions(docs):
        name = mention.name
        if mention.family:
            if name not in families:
                problems.append(Problem(mention.where, f"`{name}*`", "no code reads variables with this prefix"))
            continue
        if name in used or name in READ_BY_OTHERS:
            continue
        if any(name.startswith(prefix) for prefix in READ_BY_OTHERS_PREFIXES):
            continue
        if any(name.startswith(family) for family in families) and re.search(rf"\b{name}\b", help_text):
            continue
        problems.append(Problem(mention.where, f"`{name}`", "no code reads or sets this environment variable"))
    return _sorted(problems)


def check_read_variables_documented(docs: Sequence[Doc], facts: RepoFacts) -> list[str]:
    """Every variable the code reads (and every Makefile variable a user may set) is named in the docs."""
    mentions = variable_mentions(docs)
    named = {mention.name for mention in mentions if not mention.family}
    families = {mention.name for mention in mentions if mention.family}
    problems = []
    for use in facts.env_uses:
        if not use.read or use.name in INTERNAL_VARIABLES:
            continue
        if use.prefix:
            if use.name not in families:
                problems.append(Problem(use.where, f"reads {use.name}*", f"no doc names `{use.name}*`"))
        elif use.name not in named and not any(use.name.startswith(family) for family in families):
            problems.append(Problem(use.where, f"reads {use.name}", "no README.md or docs/ page names it"))
    return _sorted(problems)


# --- paths ---------------------------------------------------------------------------------------------------
def path_mentions(docs: Sequence[Doc]) -> list[tuple[str, str]]:
    """(where, path) of every repository-looking path in spans and in the words of shell commands."""
    found: list[tuple[str, str]] = []
    for doc in docs:
        for span in spans(doc):
            found += [(span.where, word) for word in _path_words(span.text.split())]
        for block in blocks(doc):
            if block.lang in shell.SHELL_BLOCKS:
                for command in shell.commands(block):
                    words = [*command.words, *(value for _, value in command.assignments)]
                    found += [(command.where, word) for word in _path_words(words)]
    return found


def _path_words(words: Iterable[str]) -> Iterable[str]:
    for raw in words:
        word = raw.strip("`'\",;:()[]").removeprefix("file://").removeprefix("fileb://")
        for part in word.split("="):
            match = PATH_WORD.match(part)
            if not match or part.startswith(("-", "/", "~", "$", ".venv/lib")) or "://" in raw:
                continue
            candidate = match.group(1)
            if "/" in candidate.rstrip("/") or candidate.endswith("/") or candidate.endswith(PATH_EXTENSIONS):
                yield candidate


def check_paths(docs: Sequence[Doc], facts: RepoFacts) -> list[str]:
    """Every repository path the docs mention exists, or is output git ignores (``.venv/``, ``cdk.out``).

    A path counts as the repository's when its first folder is one of the repository's top-level entries or
    generated output; any other path to a source file (``.py``, ``.sh`` …) must start with a declared
    external root. Other slashed words (``text/event-stream``, ``owner/name``) are not paths.
    """
    mentions = path_mentions(docs)
    generated = ignored(facts.root, [generated_path(path) for _, path in mentions])
    tops = {path.split("/", 1)[0] for path in facts.files}
    basenames = facts.basenames()
    problems = []
    for where, path in mentions:
        first = path.split("/", 1)[0]
        if "/" not in path.rstrip("/"):
            named_file = path.endswith(BASENAME_EXTENSIONS) and not PLACEHOLDER.search(path)
            if named_file and path not in basenames and generated_path(path) not in generated:
                problems.append(Problem(where, f"`{path}`", "no file of this name in the repository"))
            continue
        if first in tops:
            if not _exists(path, facts) and generated_path(path) not in generated:
                problems.append(Problem(where, f"`{path}`", "no such file or folder in the repository"))
        elif generated_path(first) in generated or first in EXTERNAL_ROOTS:
            continue
        elif path.endswith(BASENAME_EXTENSIONS):
            problems.append(
                Problem(where, f"`{path}`", f"{first}/ is neither a repository folder nor a declared external root")
            )
    return _sorted(problems)


def generated_path(path: str) -> str:
    """The concrete path git's ignore rules are asked about (placeholders filled in with ``x``)."""
    return PLACEHOLDER.sub("x", path).rstrip("/")


def _exists(path: str, facts: RepoFacts) -> bool:
    if not PLACEHOLDER.search(path):
        return facts.exists(path)
    pattern = re.compile(
        "^" + PLACEHOLDER.sub("__", re.escape(path.rstrip("/")).replace(r"\*", "*")).replace("__", "[^/]+") + "(/.*)?$"
    )
    return any(pattern.match(candidate) for candidate in facts.files)


# --- python names --------------------------------------------------------------------------------------------
def check_python_names(docs: Sequence[Doc], root: Path) -> list[str]:
    """Dotted first-party names (``stacks.constructs.stack_outputs.export_name``) and ``from … import …``
    lines in the docs resolve to a module and the names it defines (or to a string the code uses, such as
    the logger name ``agent.requests``)."""
    problems = []
    for doc in docs:
        # Variables a doc's Python examples assign (``client = boto3.client(…)``) are not the packages.
        local = {
            name
            for block in blocks(doc)
            if block.lang == "python"
            for name in re.findall(r"^(\w+)\s*=", block.text, re.M)
        }
        for piece in code(doc):
            for line_offset, line in enumerate(piece.text.splitlines() or [piece.text]):
                where = f"{doc.path}:{piece.line + line_offset + (1 if piece.block else 0)}"
                for match in FROM_IMPORT.finditer(line):
                    problems += _from_import_problems(where, match.group(1), match.group(2), root)
                for word in re.split(r"[\s,`]+", line):
                    dotted = DOTTED.match(word.split("(", 1)[0].strip("()[]:;'\"."))
                    if (
                        not dotted
                        or dotted.group(1).split(".")[0] in local
                        or dotted.group(1).endswith(PATH_EXTENSIONS)
                    ):
                        continue
                    if not line.lstrip().startswith(("from ", "import ")):
                        problems += _dotted_problems(where, dotted.group(1), root)
    return _sorted(problems)


def _from_import_problems(where: str, module: str, names: str, root: Path) -> list[Problem]:
    if module.split(".")[0] not in FIRST_PARTY:
        return []
    claim = f"`from {module} import {names}`"
    path = module_file(root, module)
    if path is None:
        return [Problem(where, claim, f"no module {module}")]
    defined = top_level_names(path)
    wanted = [name.split(" as ")[0].strip(" ()") for name in names.split(",")]
    return [
        Problem(where, claim, f"{path.relative_to(root).as_posix()} defines no {name}")
        for name in wanted
        if name and name not in defined
    ]


def _dotted_problems(where: str, dotted: str, root: Path) -> list[Problem]:
    parts = dotted.split(".")
    for size in range(len(parts), 0, -1):
        path = module_file(root, ".".join(parts[:size]))
        if path is None:
            continue
        rest = parts[size:]
        if not rest or _resolves(path, rest):
            return []
        break
    if dotted in string_literals(root):
        return []
    return [Problem(where, f"`{dotted}`", "no such module, or the module defines no such name")]


def _resolves(path: Path, rest: list[str]) -> bool:
    if rest[0] not in top_level_names(path):
        return False
    return len(rest) == 1 or rest[1] in class_attributes(path, rest[0])


@cache
def string_literals(root: Path) -> frozenset[str]:
    """Every string constant in first-party Python (logger names, header names ...)."""
    found: set[str] = set()
    for part in FIRST_PARTY:
        for path in (root / part).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found.update(
                node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            )
    return frozenset(found)


# --- links ---------------------------------------------------------------------------------------------------
def check_links(docs: Sequence[Doc], root: Path) -> list[str]:
    """Relative links point at files that exist, and their ``#anchors`` at headings of the target doc."""
    by_path = {doc.path: doc for doc in docs}
    problems = []
    for doc in docs:
        for link in links(doc):
            if re.match(r"^[a-z][a-z0-9+.-]*:", link.target):
                continue
            target, _, anchor = link.target.partition("#")
            resolved = (Path(doc.path).parent / target).as_posix() if target else doc.path
            resolved = _normalized(resolved)
            claim = f"link to `{link.target}`"
            if not (root / resolved).exists() and resolved not in by_path:
                problems.append(Problem(link.where, claim, f"{resolved} does not exist"))
                continue
            if not anchor or not resolved.endswith(".md"):
                continue
            target_doc = by_path.get(resolved) or Doc.read(root, resolved)
            anchors = [heading.anchor for heading in headings(target_doc)]
            if anchor not in anchors:
                problems.append(Problem(link.where, claim, f"{resolved} has no heading with anchor #{anchor}"))
    return _sorted(problems)


def _normalized(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)
