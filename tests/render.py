"""Render a role's template the way Ansible does (same filters, same Jinja)."""

import pathlib
import sys

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19 and later: only trusted text is a template
    from ansible.template import trust_as_template
except ImportError:  # older ansible-core templates every string
    def trust_as_template(value):
        return value
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

PROJECT = pathlib.Path(__file__).resolve().parents[1]
# Every role of the collection, by name.
ROLES = sorted(p.name for p in (PROJECT / "roles").iterdir() if p.is_dir())


def install_collection_loader():
    """filesync.cluster.* (filters, modules, module_utils) from this checkout: collections/ links to it."""
    if not any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        _AnsibleCollectionFinder(paths=[str(PROJECT / "collections")])._install()


install_collection_loader()


def role_defaults(role):
    defaults = yaml.safe_load((PROJECT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    role_vars = yaml.safe_load((PROJECT / "roles" / role / "vars" / "main.yml").read_text()) or {}
    return {**defaults, **role_vars}


def trusted(value):
    """Every string in value (nested too) trusted as a template."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value


def _templar(role, variables):
    values = {"ansible_managed": "Ansible managed", "groups": {}, "hostvars": {}, "inventory_hostname": "node1"}
    values.update(role_defaults(role))
    values.update(variables)
    # Role defaults and vars are templates themselves (nested ones too): let
    # the templar resolve them.
    values = {k: trusted(v) for k, v in values.items()}
    return Templar(loader=DataLoader(), variables=values)


def render(role, template, **variables):
    source = (PROJECT / "roles" / role / "templates" / template).read_text()
    return _templar(role, variables).template(trust_as_template(source))


def render_value(role, name, **variables):
    """A role variable (defaults, vars) as Ansible resolves it."""
    return _templar(role, variables).template(trust_as_template("{{ %s }}" % name))


def layouts():
    return yaml.safe_load((PROJECT / "docs" / "haproxy-layouts.yml").read_text())


def backend_hosts(*groups_and_counts):
    """Inventory groups and hostvars with facts for fake backend hosts."""
    groups, hostvars = {}, {}
    n = 10
    for group, count in groups_and_counts:
        groups[group] = []
        for i in range(count):
            name = "%s%d" % (group, i + 1)
            n += 1
            groups[group].append(name)
            hostvars[name] = {"filesync_address": "10.0.0.%d" % n}
    return groups, hostvars
