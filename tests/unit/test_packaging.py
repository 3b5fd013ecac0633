"""What users install: the collection's dependencies in one place each."""

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
