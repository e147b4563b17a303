#!/usr/bin/python
"""Documentation of the action flaskstack.web.packages (plugins/action/packages.py works)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: packages
short_description: Install Debian packages, reading the host's packages once per run
description:
  - Makes the named packages present, as M(ansible.builtin.apt) with
    O(ansible.builtin.apt#module:state=present) does, without a module call when the host's
    facts already show them all installed.
  - The first call on a host in a run reads the installed packages from dpkg's status file
    (one M(flaskstack.web.host_state) call with O(flaskstack.web.host_state#module:packages),
    ~0.3 s; M(ansible.builtin.package_facts) takes ~1.2 s to open the apt cache), unless a
    host_state read with that option already did, and keeps them as C(ansible_facts.packages),
    in the form M(ansible.builtin.package_facts) gives; every later call on that host, from any
    role or play of the run, answers from those facts (as it does from facts package_facts set).
    M(ansible.builtin.apt) costs about 1 s per call on a 2-core host even when nothing is
    missing (it opens the apt cache); site.yml's four install steps cost one read instead of
    four such calls.
  - What is missing, and any name that is not a plain package name (a version, a release or an
    architecture in it), goes to M(ansible.builtin.apt) with O(update_cache) and
    O(cache_valid_time); what apt installed is added to the facts.
  - Delegated tasks always call M(ansible.builtin.apt) (the facts at hand are another host's).
  - A package removed by hand after the read, during the same run, is seen by the next run
    (or once the facts are cleared with the meta action clear_facts).
version_added: 1.0.0
author: flaskstack.web
options:
  name:
    description: A package name or a list of them.
    type: list
    elements: str
    required: true
  update_cache:
    description: Passed to M(ansible.builtin.apt) when something is missing.
    type: bool
    default: false
  cache_valid_time:
    description: Passed to M(ansible.builtin.apt) when something is missing.
    type: int
    default: 0
attributes:
  action:
    support: full
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Install Nginx
  flaskstack.web.packages:
    name: [nginx, logrotate]
    update_cache: true
    cache_valid_time: 3600
"""

RETURN = r"""
packages:
  description: The names asked for.
  returned: always
  type: list
  elements: str
missing:
  description: The names that were not installed (given to M(ansible.builtin.apt)).
  returned: always
  type: list
  elements: str
"""
