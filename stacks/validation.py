"""One message shape for every configuration problem of the CDK app: the key, the value given, what is allowed.

pydantic judges the values (the models in stacks/config.py and stacks/pipeline/pipeline_config.py declare each
rule once, as a field constraint or a field validator); this module only turns its ``ValidationError`` into
:class:`Problem` lines, so a bad ``cdk.json`` or ``-c`` value fails synth in one round trip with every problem
listed and no pydantic trace::

    agentcore-session.stages.prod.session_expiry_days = 0; allowed: an integer from 1 to 3650

A rule between fields raises :func:`rule` from a field validator of the later field (pydantic validates fields
in order, so the earlier ones are in ``info.data``), and is reported with every other problem.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

RULE = "setting_rule"
MAX_SHOWN_CHARS = 80


class _Unset:
    """The value of a key nobody gave."""

    def __repr__(self) -> str:
        return "(unset)"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Problem:
    """One invalid setting: ``key`` as the user writes it (a cdk.json path or a ``-c`` key), the value given
    (``UNSET`` when missing) and what is allowed."""

    key: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.key} = {shown(self.value)}; allowed: {self.allowed}"


class ConfigError(ValueError):
    """Raised once with every problem found, one per line.

    Attributes:
        problems: the problems, in the order they were found.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(map(str, problems)))


def shown(value: Any) -> str:
    """``repr`` of the value, cut to a readable length (a 600-character value is named by its length)."""
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    length = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[: MAX_SHOWN_CHARS - 1]}…{length}"


def rule(allowed: str) -> PydanticCustomError:
    """The error a field validator raises for a project or service rule; ``allowed`` says what passes."""
    return PydanticCustomError(RULE, "{allowed}", {"allowed": allowed})


def problems_from(
    error: ValidationError,
    fields: Mapping[str, FieldInfo],
    *,
    key: Callable[[str], str],
    given: Collection[str],
    missing: str,
    unknown: str,
) -> list[Problem]:
    """The problems of a pydantic ``ValidationError``, in the one shape.

    Args:
        error: raised by a model of this part.
        fields: the model's ``model_fields`` (their bounds and descriptions say what is allowed).
        key: the name a user writes for a field (``agentcore-session.stages.dev.mfa``).
        given: the fields the user gave; another one's value is reported as ``UNSET`` (its default failed a
            rule between fields, such as ``vpc_id`` in vpc mode).
        missing: what is allowed for a required field nobody gave (where to set it).
        unknown: what is allowed instead of a key the model does not have (the known ones).
    """
    problems = []
    for detail in error.errors():
        name, *inner = detail["loc"] or ("",)
        field = fields.get(str(name))
        where = key(str(name)) + "".join(f"[{part!r}]" if isinstance(part, str) else f"[{part}]" for part in inner)
        kind = detail["type"]
        if kind == "missing":
            problems.append(Problem(where, UNSET, missing))
        elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
            problems.append(Problem(where, detail["input"], unknown))
        else:
            value = detail["input"] if name in given else UNSET
            problems.append(Problem(where, value, _allowed(detail, field)))
    return problems


def _allowed(detail: ErrorDetails, field: FieldInfo | None) -> str:
    """What a field allows, from the error's kind and context and the field's own bounds and description."""
    kind, context = detail["type"], detail.get("ctx", {})
    described = field.description if field is not None and field.description else None
    if kind == RULE:
        return str(context["allowed"])
    if kind == "literal_error":
        return f"one of {context['expected']}"
    if kind.startswith("int_") or kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "an integer" + _bounds(field)
    if kind.startswith("bool_"):
        return "true or false"
    if kind == "string_pattern_mismatch":
        return f"{described or 'a value'} (pattern {context['pattern']})"
    if kind in ("too_long", "too_short"):
        limit = context.get("max_length", context.get("min_length"))
        return f"{'at most' if kind == 'too_long' else 'at least'} {limit} entries"
    return _TYPE_NAMES.get(kind, described or detail["msg"])


def _bounds(field: FieldInfo | None) -> str:
    """`` from 1 to 3650`` for a field declared with ``ge=1, le=3650`` (either bound alone, too)."""
    found = {}
    for constraint in field.metadata if field is not None else ():
        if (low := getattr(constraint, "ge", None)) is not None:
            found["from"] = low
        if (high := getattr(constraint, "le", None)) is not None:
            found["to"] = high
    return "".join(f" {word} {value}" for word, value in found.items())


_TYPE_NAMES = {
    "string_type": "a string",
    "dict_type": "an object",
    "mapping_type": "an object",
    "tuple_type": "a list",
    "list_type": "a list",
}
