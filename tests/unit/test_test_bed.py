"""The test bed's systemd containers are started one way: scripts/systemd-container.sh holds the
flags, Molecule's create step (molecule/resources/create.yml), the demo and the bench call it,
and a Molecule platform names only what create.yml reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "systemd-container.sh"
MOLECULE_CONFIGS = [
    ROOT / ".config" / "molecule" / "config.yml",
    *sorted(ROOT.glob("molecule/*/molecule.yml")),
]
CALLERS = [
    ROOT / "molecule" / "resources" / "create.yml",
    ROOT / "scripts" / "demo.sh",
    ROOT / "scripts" / "bench.sh",
]
# What systemd as PID 1 needs in these containers, in the words of docker run and of Molecule's
# docker driver.
FLAGS = ("SYS_ADMIN", "cgroupns", "/sys/fs/cgroup", "tmpfs", "/sbin/init", "privileged")
# The platform keys molecule/resources/create.yml reads: any other would be silently ignored.
PLATFORM_KEYS = {"name", "image", "groups", "capabilities", "networks", "etc_hosts"}


def code(path: Path) -> str:
    """The file without its comment lines."""
    return "\n".join(line for line in path.read_text().splitlines() if not re.match(r"\s*#", line))


def test_the_script_holds_the_flags() -> None:
    text = code(SCRIPT)
    missing = [flag for flag in FLAGS if flag.lower() not in text.lower()]
    # /sbin/init is the images' CMD: the script need not name it.
    assert missing == ["/sbin/init"], f"scripts/systemd-container.sh lacks {missing}"


@pytest.mark.parametrize("path", MOLECULE_CONFIGS + CALLERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_other_file_repeats_them(path: Path) -> None:
    text = code(path).lower()
    repeated = [flag for flag in FLAGS if flag.lower() in text]
    assert not repeated, (
        f"{path.relative_to(ROOT)} repeats {repeated}: use scripts/systemd-container.sh"
    )


@pytest.mark.parametrize("path", CALLERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_caller_uses_the_script(path: Path) -> None:
    assert "systemd-container.sh" in code(path)


@pytest.mark.parametrize("path", MOLECULE_CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_platforms_name_only_what_create_reads(path: Path) -> None:
    platforms = (yaml.safe_load(path.read_text()) or {}).get("platforms", [])
    for platform in platforms:
        extra = set(platform) - PLATFORM_KEYS
        assert not extra, f"{path.relative_to(ROOT)}: {platform['name']} has {sorted(extra)}"


def test_the_base_config_creates_with_the_shared_playbook() -> None:
    config = yaml.safe_load(MOLECULE_CONFIGS[0].read_text())
    assert config["provisioner"]["playbooks"]["create"] == "../resources/create.yml"
    for path in MOLECULE_CONFIGS[1:]:
        scenario = yaml.safe_load(path.read_text()) or {}
        playbooks = scenario.get("provisioner", {}).get("playbooks", {})
        assert "create" not in playbooks, f"{path.relative_to(ROOT)} has a create of its own"
