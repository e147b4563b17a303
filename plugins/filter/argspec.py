"""Filter flaskstack.web.argspec_type_errors: values that have the wrong type for a role's
meta/argument_specs.yml, judged as the role's templates will use them.

Ansible's own argument_specs check converts before it judges: the string "no" passes as a
bool, "a.test,b.test" passes as a list, and the role then reads the unconverted value (the
check returns no converted copy), so `{% if site.tls %}` is true for "no" and a loop over
server_names walks characters. This filter takes the spec as the one source of the types and
rejects what only conversion would make fit: a bool must be a boolean, a list a list, a dict a
mapping; a str or path any scalar, an int an integer or a string of digits (what -e gives).
A `raw` option with `choices` (a setting that takes either a word or a bool, such as
`auto`/true/false) must be one of them with the choice's own type: Ansible's check lets 1 pass
as true (1 == True in Python). Nested `options` (dicts, and lists of dicts) and `elements` are
followed. The value of a `no_log` option is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_INT = re.compile(r"^[+-]?[0-9]+$")


# In this order: a bool is an int to Python, a str a Sequence.
_KINDS = (
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (str, "str"),
    (Mapping, "dict"),
    (Sequence, "list"),
)


def _kind(value: Any) -> str:
    return next((name for cls, name in _KINDS if isinstance(value, cls)), type(value).__name__)


def _fits(value: Any, wanted: str) -> bool:
    kind = _kind(value)
    if wanted in ("raw", "any"):
        return True
    if value is None:
        return False
    if wanted in ("str", "path"):
        return kind in ("str", "int", "float")
    if wanted == "int":
        return kind == "int" or (kind == "str" and bool(_INT.match(value)))
    if wanted == "float":
        return kind in ("int", "float") or (kind == "str" and _is_float(value))
    return kind == wanted


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _one_of(value: Any, choices: Sequence[Any]) -> bool:
    return any(_kind(value) == _kind(choice) and value == choice for choice in choices)


def _check(value: Any, spec: Mapping[str, Any], where: str, errors: list[str]) -> None:
    wanted = spec.get("type", "str")
    shown = "(value hidden: no_log)" if spec.get("no_log") else repr(value)
    if not _fits(value, wanted):
        errors.append(f"{where} must be a {wanted}, not the {_kind(value)} {shown}")
        return
    choices = spec.get("choices")
    if wanted == "raw" and choices and not _one_of(value, choices):
        listed = ", ".join(repr(choice) for choice in choices)
        errors.append(f"{where} must be one of {listed}, not the {_kind(value)} {shown}")
        return
    suboptions = spec.get("options")
    if wanted == "dict" and suboptions:
        _check_options(value, suboptions, where, errors)
    elif wanted == "list":
        elements = spec.get("elements")
        for index, item in enumerate(value):
            if elements:
                _check(item, {"type": elements, "options": suboptions}, f"{where}[{index}]", errors)


def _check_options(
    values: Mapping[str, Any], options: Mapping[str, Any], where: str, errors: list[str]
) -> None:
    for name, value in values.items():
        if name in options:
            _check(value, options[name], f"{where}.{name}" if where else name, errors)


def argspec_type_errors(values: Mapping[str, Any], options: Mapping[str, Any]) -> list[str]:
    """Messages for the values (variable name -> value) whose type does not fit `options`
    (the `options` of an argument_specs entry point); undefined or unknown names are left to
    Ansible's own check."""
    errors: list[str] = []
    _check_options(values, options, "", errors)
    return errors


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"argspec_type_errors": argspec_type_errors}
