"""Action flaskstack.web.check: fail with every problem found in a role's input, or hand back
what the role records of the input once it checked out, in one task and without a module call."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset({"problems", "record"})
    # Only judges its arguments: no connection to the host is opened.
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        problems = self._task.args.get("problems")
        if not isinstance(problems, list) or not all(isinstance(p, str) for p in problems):
            raise AnsibleActionFail("check: problems must be a list of messages ('' for none)")
        found = [problem for problem in problems if problem]
        if found:
            result.update(failed=True, changed=False, msg=" ".join(found), problems=found)
        else:
            result.update(changed=False, record=self._task.args.get("record"))
        return result
