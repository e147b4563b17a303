"""The playbooks and inventories users start from: they parse, resolve every role by FQCN, and the
example inventory's vaulted secrets decrypt with the documented example password."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_cli import ansible

ROOT = Path(__file__).resolve().parents[2]
VAULT_PASS = ROOT / "inventories" / "example" / "vault-password.example"
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yml"))
INVENTORIES = ["inventories/local", "inventories/example"]


def test_playbooks_exist() -> None:
    names = {p.name for p in PLAYBOOKS}
    assert {"site.yml", "deploy.yml"} <= names


@pytest.mark.parametrize("inventory", INVENTORIES)
@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=[p.name for p in PLAYBOOKS])
def test_syntax(playbook: Path, inventory: str) -> None:
    result = ansible(
        "ansible-playbook",
        "--syntax-check",
        "-i",
        inventory,
        "--vault-password-file",
        str(VAULT_PASS),
        str(playbook),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_example_inventory_tiers_and_vault() -> None:
    result = ansible(
        "ansible-inventory",
        "-i",
        "inventories/example",
        "--vault-password-file",
        str(VAULT_PASS),
        "--list",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["web"]["hosts"] == ["web1.example.org"]
    assert sorted(data["app"]["hosts"]) == ["app1.example.org", "app2.example.org"]
    app1 = data["_meta"]["hostvars"]["app1.example.org"]
    assert app1["vault_app_secret_key"].startswith("example-secret-key")
    assert app1["gunicorn_bind_address"] == "{{ private_address }}:8000"


def test_example_vault_is_encrypted() -> None:
    vault = ROOT / "inventories" / "example" / "group_vars" / "all" / "vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;")


def test_example_inventory_needs_the_vault_password() -> None:
    result = ansible("ansible-inventory", "-i", "inventories/example", "--list")
    assert result.returncode != 0 or "vault" in (result.stdout + result.stderr).lower()


def test_local_inventory_one_host_both_tiers() -> None:
    result = ansible("ansible-inventory", "-i", "inventories/local", "--list")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["app"]["hosts"] == data["web"]["hosts"] == ["demo"]


def test_roles_resolve_by_plain_name_for_vendoring(tmp_path: Path) -> None:
    """ansible.cfg's roles_path: a playbook outside the checkout finds roles/ by plain name."""
    playbook = tmp_path / "vendored.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles: [app, gunicorn, tls, nginx]\n"
    )
    result = ansible("ansible-playbook", "--syntax-check", "-i", "localhost,", str(playbook))
    assert result.returncode == 0, result.stdout + result.stderr


def test_roles_resolve_by_fqcn_from_a_clone(tmp_path: Path) -> None:
    """ansible.cfg's collections_path: collections/ links to the checkout as flaskstack.web."""
    playbook = tmp_path / "fqcn.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  roles:\n"
        + "".join(f"    - flaskstack.web.{r}\n" for r in ("app", "gunicorn", "tls", "nginx"))
    )
    result = ansible("ansible-playbook", "--syntax-check", "-i", "localhost,", str(playbook))
    assert result.returncode == 0, result.stdout + result.stderr


def test_user_facing_paths_do_not_depend_on_playbook_dir() -> None:
    """Inside `import_playbook: flaskstack.web.site` playbook_dir is the installed collection's
    playbooks/ directory: the inventories and docs users copy from must not build paths on it."""
    files = [
        *sorted((ROOT / "inventories").rglob("*.yml")),
        ROOT / "README.md",
        *sorted((ROOT / "roles").glob("*/README.md")),
        *sorted((ROOT / "roles").glob("*/defaults/main.yml")),
    ]
    found = [str(f.relative_to(ROOT)) for f in files if "{{ playbook_dir" in f.read_text()]
    assert not found, found


def test_local_inventory_finds_sample_app_from_a_playbook_elsewhere(tmp_path: Path) -> None:
    """The demo inventory's source directory, templated for its host by a playbook outside the
    checkout (as a playbook importing the installed collection's site.yml would be)."""
    playbook = tmp_path / "elsewhere.yml"
    playbook.write_text(
        "- hosts: demo\n  gather_facts: false\n  connection: local\n  tasks:\n"
        "    - ansible.builtin.debug:\n"
        '        msg: "SOURCE={{ app_source_dir | realpath }}"\n'
    )
    result = ansible("ansible-playbook", "-i", "inventories/local", str(playbook))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SOURCE={ROOT / 'sample_app'}" in result.stdout, result.stdout
