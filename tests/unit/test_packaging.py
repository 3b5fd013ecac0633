"""What users install: the tarball's contents, and the collection's dependencies in one place each."""

import os
import re
import shutil
import subprocess
import sys
import tarfile

import yaml

from render import PROJECT


def test_the_project_requirements_are_the_collection_s_dependencies():
    """AWX installs collections/requirements.yml; Galaxy reads galaxy.yml: the two agree."""
    galaxy = yaml.safe_load((PROJECT / "galaxy.yml").read_text())
    requirements = yaml.safe_load((PROJECT / "collections" / "requirements.yml").read_text())
    assert {c["name"]: c["version"] for c in requirements["collections"]} == galaxy["dependencies"]


def test_the_license_file_is_the_license_galaxy_yml_names():
    galaxy = yaml.safe_load((PROJECT / "galaxy.yml").read_text())
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    assert "GNU GENERAL PUBLIC LICENSE" in (PROJECT / "LICENSE").read_text().splitlines()[0]


def test_the_tarball_holds_what_users_run_and_no_lab_secrets_or_tests(tmp_path):
    # The ansible-galaxy of the Python that runs the tests (the virtual environment's).
    galaxy = shutil.which("ansible-galaxy", path=os.path.dirname(sys.executable)) or "ansible-galaxy"
    built = subprocess.run([galaxy, "collection", "build", "--output-path", str(tmp_path), str(PROJECT)],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    with tarfile.open(next(tmp_path.glob("filesync-cluster-*.tar.gz"))) as tarball:
        names = set(tarball.getnames())
    roles = [p.name for p in (PROJECT / "roles").iterdir() if p.is_dir()]
    assert {"LICENSE", "README.md", "MANIFEST.json", "site.yml", "meta/runtime.yml"} <= names
    assert {"roles/%s/README.md" % role for role in roles} <= names
    assert "inventories/prod/hosts.yml" in names
    assert not [n for n in names if n.startswith(("inventories/lab", "tests", "molecule", "tools", ".venv", "collections"))]


def test_every_collection_the_roles_and_playbooks_name_is_a_dependency():
    galaxy = yaml.safe_load((PROJECT / "galaxy.yml").read_text())
    used = set()
    for path in list((PROJECT / "roles").rglob("*.yml")) + list((PROJECT / "playbooks").rglob("*.yml")) + [PROJECT / "site.yml"]:
        used |= set(re.findall(r"\b((?:community|ansible)\.[a-z_]+)\.[a-z_0-9]+", path.read_text()))
    assert used - {"ansible.builtin"} <= set(galaxy["dependencies"]), sorted(used - {"ansible.builtin"} - set(galaxy["dependencies"]))


def test_the_declared_ansible_core_range_is_the_tested_one():
    """meta/runtime.yml's minimum is the oldest release make test runs; the newest is requirements.txt's."""
    runtime = yaml.safe_load((PROJECT / "meta" / "runtime.yml").read_text())
    releases = [line.split()[0] for line in (PROJECT / "tests" / "core-versions.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert runtime["requires_ansible"] == ">=%s.0" % releases[0]
    for meta in (PROJECT / "roles").glob("*/meta/main.yml"):
        assert yaml.safe_load(meta.read_text())["galaxy_info"]["min_ansible_version"] == releases[0], meta
    newest = re.search(r"^ansible-core==(\d+\.\d+)\.", (PROJECT / "requirements.txt").read_text(), re.M).group(1)
    assert releases + [newest] == sorted(releases + [newest], key=lambda r: tuple(map(int, r.split("."))))
    pins = (PROJECT / "tests" / "core-versions.txt").read_text()
    for release in releases:
        assert re.search(r"^%s ansible-core==%s\.\d+ ansible==\d+\.\d+\.\d+$" % (re.escape(release), re.escape(release)),
                         pins, re.M), release
