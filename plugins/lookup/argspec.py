"""Lookup flaskstack.web.argspec: the options of an entry point of a role's
meta/argument_specs.yml."""

from __future__ import annotations

from typing import Any

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: argspec
short_description: The options of an entry point of a role's meta/argument_specs.yml
description:
  - For each term, the path of a role's C(meta/argument_specs.yml) on the controller, returns
    the C(options) of one entry point (the names the role takes, with their types, defaults
    and nested options, as the file gives them).
  - What C(lookup('ansible.builtin.file', path) | from_yaml) gives, parsed by libyaml when
    PyYAML has it, about ten times faster than the pure-Python parser behind C(from_yaml)
    (1.5 against 14 ms for the nginx role's file). The roles read their spec this way on every
    check of their input, several times a run.
version_added: 1.0.0
author: flaskstack.web
options:
  _terms:
    description: Paths of C(meta/argument_specs.yml) files on the controller.
    type: list
    elements: path
    required: true
  entry_point:
    description: The entry point whose options are returned.
    type: str
    default: main
"""

EXAMPLES = r"""
- name: The names and types the role takes
  ansible.builtin.debug:
    msg: "{{ lookup('flaskstack.web.argspec', role_path ~ '/meta/argument_specs.yml') }}"
"""

RETURN = r"""
_raw:
  description: One dictionary per term, the entry point's C(options) (empty when it has none).
  type: list
  elements: dict
"""

# libyaml when PyYAML was built with it; the pure-Python loader otherwise. Safe either way: an
# argument_specs file is plain data.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_options(path: str, entry_point: str = "main") -> dict[str, Any]:
    """The options of `entry_point` in the argument_specs file at `path`."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise AnsibleLookupError(f"argspec: cannot read {path}: {exc}") from exc
    specs = (data or {}).get("argument_specs") if isinstance(data, dict) else None
    if not isinstance(specs, dict) or not isinstance(specs.get(entry_point), dict):
        raise AnsibleLookupError(
            f"argspec: {path} has no argument_specs entry point {entry_point!r}"
        )
    return specs[entry_point].get("options") or {}


class LookupModule(LookupBase):
    def run(
        self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        entry_point = self.get_option("entry_point")
        return [read_options(str(term), entry_point) for term in terms]
