#!/usr/bin/python
"""Documentation of the action flaskstack.web.check (plugins/action/check.py works)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: check
short_description: Fail with every problem found in the input, or return what to record of it
description:
  - Fails when O(problems) has a message, with all of them joined into one message, so that
    one run names every value at fault. Entries that are empty strings are values that are fine.
  - Otherwise returns O(record) unchanged, to be registered (C(register)) and compared by a
    later task, e.g. a fingerprint of the input that the role's own checks skip on when
    site.yml's preflight already checked the same input on the host.
  - One task and no module call where a M(ansible.builtin.fail) and an
    M(ansible.builtin.set_fact) took two (each task result costs 20-40 ms of every run).
  - A registered result, unlike facts returned by an action, never reaches a fact cache (a later
    run checks again).
version_added: 1.0.0
author: flaskstack.web
options:
  problems:
    description: One message per problem found, or C('') for a check that passed.
    type: list
    elements: str
    required: true
  record:
    description: Any value, returned as RV(record) when there is no problem.
    type: raw
attributes:
  action:
    support: full
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Check the input, and record its fingerprint once it checked out
  flaskstack.web.check:
    problems:
      - "{{ '' if myrole_port | int > 0 else 'myrole_port must be a port, is ' ~ myrole_port }}"
    record:
      fingerprint: "{{ myrole__input | to_json | hash('sha1') }}"
  register: myrole__checked
"""

RETURN = r"""
record:
  description: O(record), when there is no problem.
  returned: success
  type: raw
problems:
  description: The messages of the problems found.
  returned: failure
  type: list
  elements: str
"""
