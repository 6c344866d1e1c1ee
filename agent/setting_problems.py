"""One message shape for invalid settings of the agent and the benchmarks: the key, the value given, what is allowed.

WHY its own module: ``agent/settings.py`` and ``bench/config.py`` both let pydantic judge their values and turn
its ``ValidationError`` into the same :class:`Problem` lines; bench/ may import agent/ but not the reverse, and the
image ships only agent/, so the one implementation lives here. (``stacks/validation.py`` keeps its own: the CDK
app imports no runtime code.)::

    MAX_SESSIONS = '0'; allowed: an integer from 1 to 10000
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

RULE = "setting_rule"
MAX_SHOWN_CHARS = 80


class _Unset:
    """The value of a setting nobody gave."""

    def __repr__(self) -> str:
        return "(unset)"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Problem:
    """One invalid setting: the key it was given by (a variable, a flag or a field name), the value given
    (``UNSET`` when missing), what is allowed."""

    key: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.key} = {shown(self.value)}; allowed: {self.allowed}"


class ProblemsError(Exception):
    """Raised with every invalid setting listed, one per line, under the part's ``heading``.

    WHY not a ValueError: pydantic would wrap a ValueError raised in a validator into its own error.

    Attributes:
        problems: the problems, in field order.
    """

    heading: ClassVar[str] = "invalid settings"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{self.heading}:\n" + "\n".join(f"- {p}" for p in problems))


def rule(allowed: str) -> PydanticCustomError:
    """The error a field validator raises for a rule; ``allowed`` says what passes."""
    return PydanticCustomError(RULE, "{allowed}", {"allowed": allowed})


def problems_from(
    error: ValidationError,
    fields: Mapping[str, FieldInfo],
    given: Mapping[str, Any],
    *,
    keys: Mapping[str, Sequence[str]],
    unknown: str,
    kinds: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Each pydantic error as the setting's key, the value given (its text, as given) and what is allowed, in the
    order the fields are declared.

    Args:
        error: raised by the part's model.
        fields: the model's ``model_fields`` (their bounds and defaults say what is allowed).
        given: the values the model was given, by field name or by key.
        keys: the keys each field may be given by; the first is the one reported (the field's name when none).
        unknown: what is allowed instead of a keyword no field has.
        kinds: what the part calls a value of the type pydantic rejected, by error kind (``path_type``).
    """
    by_key = {key: name for name in fields for key in (name, *keys.get(name, ()))}
    order = {name: index for index, name in enumerate(fields)}
    found: list[tuple[int, Problem]] = []
    for detail in error.errors():
        loc = str(detail["loc"][0]) if detail["loc"] else ""
        name = by_key.get(loc)
        if name is None:  # a keyword no field has
            found.append((len(order), Problem(loc, detail["input"], unknown)))
            continue
        known = keys.get(name) or (name,)
        value = next((given[key] for key in (name, *known) if key in given), UNSET)
        found.append((order[name], Problem(known[0], value, _allowed(detail, fields[name], kinds or {}))))
    return [problem for _, problem in sorted(found, key=lambda item: item[0])]


def _allowed(detail: ErrorDetails, field: FieldInfo, kinds: Mapping[str, str]) -> str:
    """What a field allows, from the error's kind and context and the field's own bounds and default."""
    kind, context = detail["type"], detail.get("ctx", {})
    if kind == RULE:
        return str(context["allowed"])
    if kind == "literal_error":
        return f"one of {context['expected']}"
    if kind.startswith("int_") or kind in ("greater_than_equal", "less_than_equal"):
        low = next((c.ge for c in field.metadata if getattr(c, "ge", None) is not None), None)
        high = next((c.le for c in field.metadata if getattr(c, "le", None) is not None), None)
        return "an integer" + (f" from {low} to {high}" if low is not None and high is not None else "")
    if kind == "string_too_short":
        return f"not empty (unset it for the default {field.default!r})"
    return kinds.get(kind, str(detail["msg"]))


def shown(value: Any) -> str:
    """``repr`` of the value, cut to a readable length (a long value is named by its length)."""
    text = repr(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    length = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[: MAX_SHOWN_CHARS - 1]}…{length}"
