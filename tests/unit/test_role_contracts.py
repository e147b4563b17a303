"""Contracts every role keeps: argument specs match defaults, variables carry the role's prefix,
handlers are named after the role, modules are called by FQCN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").is_file())


def load(path: Path):
    with path.open() as fh:
        return yaml.safe_load(fh) or {}


def role_ids() -> list[str]:
    return [r.name for r in ROLES]


def test_there_are_roles() -> None:
    assert ROLES, "no roles found under roles/"


@pytest.mark.parametrize("role", ROLES, ids=role_ids())
def test_argument_specs_match_defaults(role: Path) -> None:
    defaults = load(role / "defaults" / "main.yml")
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(specs), (
        f"{role.name}: in defaults only {sorted(set(defaults) - set(specs))}, "
        f"in argument_specs only {sorted(set(specs) - set(defaults))}"
    )
    for name, spec in specs.items():
        assert "description" in spec, f"{role.name}: {name} has no description"
        assert spec.get("default") == defaults[name], (
            f"{role.name}: default of {name} differs: spec {spec.get('default')!r}, "
            f"defaults/main.yml {defaults[name]!r}"
        )


@pytest.mark.parametrize("role", ROLES, ids=role_ids())
def test_every_entry_point_matches_the_defaults(role: Path) -> None:
    # validate, acme, drain, run...: each option is a role default with the same default and a
    # description; an entry point that takes main's options says so with one YAML anchor.
    defaults = load(role / "defaults" / "main.yml")
    specs_file = role / "meta" / "argument_specs.yml"
    specs = load(specs_file)["argument_specs"]
    for entry, spec in specs.items():
        for name, option in (spec.get("options") or {}).items():
            assert "description" in option, f"{role.name}/{entry}: {name} has no description"
            if name in defaults:
                assert option.get("default") == defaults[name], f"{role.name}/{entry}: {name}"
    first = sorted(specs["main"]["options"])[0]
    copies = specs_file.read_text().count(f"\n      {first}:\n")
    assert copies == 1, f"{role.name}: main's options written out {copies} times (use an anchor)"


def names_without(names: set[str], prefix: str) -> list[str]:
    return sorted(n for n in names if not n.startswith(prefix))


@pytest.mark.parametrize("role", ROLES, ids=role_ids())
def test_variables_are_prefixed(role: Path) -> None:
    # Defaults are <role>_name; vars/ outranks the inventory, so a public-looking name there
    # would silently override a user's value: everything in vars/ is internal, <role>__name.
    defaults = set(load(role / "defaults" / "main.yml"))
    vars_file = role / "vars" / "main.yml"
    internal = set(load(vars_file)) if vars_file.is_file() else set()
    stray = names_without(defaults, f"{role.name}_")
    assert not stray, f"{role.name}: variables without the '{role.name}_' prefix: {stray}"
    public = names_without(internal, f"{role.name}__")
    assert not public, f"{role.name}: vars/main.yml holds public-looking names {public}"


@pytest.mark.parametrize("role", ROLES, ids=role_ids())
def test_handlers_are_named_for_the_role(role: Path) -> None:
    handlers_file = role / "handlers" / "main.yml"
    if not handlers_file.is_file():
        pytest.skip(f"{role.name} has no handlers")
    for handler in load(handlers_file):
        # "<Role> | <what>": the role's name first (capitalised for ansible-lint's name[casing]).
        assert handler["name"].lower().startswith(f"{role.name} | "), handler["name"]
        for topic in (
            [handler.get("listen")]
            if isinstance(handler.get("listen"), str)
            else (handler.get("listen") or [])
        ):
            assert topic.startswith(f"{role.name} "), f"listen topic {topic!r} not namespaced"


def names_set_by_tasks(role: Path) -> set[str]:
    """Every name a role's tasks and handlers create: register, set_fact, task/block vars,
    loop_var and index_var, in blocks, rescues and always sections too."""
    names: set[str] = set()

    def walk(tasks: list | None) -> None:
        for task in tasks or []:
            for section in ("block", "rescue", "always"):
                walk(task.get(section))
            if "register" in task:
                names.add(task["register"])
            facts = task.get("ansible.builtin.set_fact")
            if isinstance(facts, dict):
                names.update(k for k in facts if k != "cacheable")
            names.update(task.get("vars") or {})
            loop_control = task.get("loop_control") or {}
            names.update(loop_control[k] for k in ("loop_var", "index_var") if k in loop_control)

    for path in sorted([*(role / "tasks").glob("*.yml"), *(role / "handlers").glob("*.yml")]):
        walk(load(path) or [])
    return names


@pytest.mark.parametrize("role", ROLES, ids=role_ids())
def test_internal_names_are_double_prefixed(role: Path) -> None:
    # Facts, registered results and task vars outrank the inventory: an internal one with a
    # public-looking name (<role>_x) would silently replace a user's variable of that name. So
    # they are <role>__x, except the facts a role hands to others, which its main entry point's
    # description names and which are no role default.
    defaults = set(load(role / "defaults" / "main.yml"))
    main = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]
    documented = " ".join(main.get("description") or [])
    names = names_set_by_tasks(role)
    assert names, f"{role.name}: found no registered or set names (is the walk broken?)"
    outputs = sorted(n for n in names if not n.startswith(f"{role.name}__"))
    undocumented = [n for n in outputs if not re.search(rf"(?<![\w.]){n}(?!\w)", documented)]
    assert not undocumented, (
        f"{role.name}: tasks set {undocumented}: name them {role.name}__<name>, or document them "
        "as facts the role sets in the main entry point's description"
    )
    shadowing = [n for n in outputs if n in defaults]
    assert not shadowing, f"{role.name}: facts set under the name of a role default: {shadowing}"


@pytest.mark.parametrize("role", ROLES, ids=role_ids())
def test_variables_of_other_roles_are_declared(role: Path) -> None:
    # A role that reads another role's variable (or fact) says so: in its defaults (as the
    # fallback of one of its own) or in its main entry point's description. Dict keys (`name:`)
    # and attributes (`site.tls_certificate`) are not variables.
    others = [r.name for r in ROLES if r != role]
    variable = re.compile(rf"(?<![\w.'\"])((?:{'|'.join(others)})_\w+)(?!\w|:)")
    declared = (role / "defaults" / "main.yml").read_text() + " ".join(
        load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("description")
        or []
    )
    read = {
        m.group(1): path.relative_to(role).as_posix()
        for sub in ("tasks", "templates", "handlers", "vars")
        for path in sorted((role / sub).glob("*"))
        for m in variable.finditer(path.read_text())
    }
    undeclared = {
        name: where for name, where in read.items() if not re.search(rf"\b{name}\b", declared)
    }
    assert not undeclared, (
        f"{role.name} reads other roles' variables it does not declare: {undeclared}"
    )
