"""Each role's README.md is generated from its argument specs (tools/role-readme.py) and kept in sync."""

import subprocess
import sys

import yaml

from render import PROJECT


def test_every_role_readme_is_generated_from_its_argument_specs():
    result = subprocess.run([sys.executable, str(PROJECT / "tools" / "role-readme.py"), "--check"], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_role_has_a_readme_that_names_each_variable_of_its_defaults():
    for role in sorted(p for p in (PROJECT / "roles").iterdir() if p.is_dir()):
        readme = (role / "README.md").read_text()
        defaults = role / "defaults" / "main.yml"
        for name in (yaml.safe_load(defaults.read_text()) or {}) if defaults.exists() else {}:
            assert "`%s`" % name in readme, (role.name, name)
