"""Action flaskstack.web.packages: install Debian packages, reading what is installed once a run.

Every role of the collection installs what it needs with M(ansible.builtin.apt), which costs about
one second per call on a 2-core host even when everything is installed (it opens the apt cache).
This action reads the installed packages once per host and run: dpkg's status file, parsed on the
host by M(flaskstack.web.host_state) with O(packages) (~0.3 s; M(ansible.builtin.package_facts)
takes ~1.2 s to open the apt cache). They are kept in the host's facts as
C(ansible_facts.packages), in package_facts' form, where a role's own host_state read may already
have put them (no call here then); a later call whose packages are all installed returns without
a module call. Anything missing (a name with a version is never among the facts) goes to
M(ansible.builtin.apt) with the task's arguments, as before.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

_ARGS = frozenset({"name", "update_cache", "cache_valid_time"})


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = _ARGS

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        try:
            return self._install(result, task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _install(self, result: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        names = self._task.args.get("name")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise AnsibleActionFail("packages: name must be a package name or a list of them")

        facts: dict[str, Any] = {}
        # Delegated, the facts at hand would be another host's: apt decides.
        installed = (
            {} if self._task.delegate_to else task_vars.get("ansible_facts", {}).get("packages")
        )
        if installed is None:
            read = self._execute_module(
                module_name="flaskstack.web.host_state",
                module_args={"packages": True},
                task_vars=task_vars,
            )
            # No dpkg database to read: apt decides, as it always did.
            installed = (
                {} if read.get("failed") else read.get("ansible_facts", {}).get("packages", {})
            )
            facts = {"packages": installed} if installed else {}

        # The facts are keyed by plain names: a name with a version, a release or an architecture
        # is never among them, and goes to apt.
        missing = [name for name in names if name not in installed]
        if not missing:
            result.update(changed=False, packages=names, missing=[], ansible_facts=facts)
            return result

        args = {key: value for key, value in self._task.args.items() if key in _ARGS}
        args.update(name=missing, state="present")
        done = self._execute_module(
            module_name="ansible.builtin.apt", module_args=args, task_vars=task_vars
        )
        result.update(done)
        result.update(packages=names, missing=missing)
        if installed and not done.get("failed") and not self._play_context.check_mode:
            # What apt just installed is installed: later calls need not ask again.
            known = dict(installed)
            for name in missing:
                known.setdefault(name, [{"name": name, "source": "apt"}])
            result["ansible_facts"] = {"packages": known}
        elif facts:
            # Check mode installed nothing: what this call read stays true, and later calls answer
            # from it (the missing names go to apt again). A failed result's facts are dropped by
            # Ansible, so after a failed apt the next call reads again.
            result["ansible_facts"] = facts
        return result
