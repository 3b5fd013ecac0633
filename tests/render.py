"""Render a role's template the way Ansible does (same filters, same Jinja)."""

import pathlib

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

PROJECT = pathlib.Path(__file__).resolve().parents[1]


def role_defaults(role):
    defaults = yaml.safe_load((PROJECT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    role_vars = yaml.safe_load((PROJECT / "roles" / role / "vars" / "main.yml").read_text()) or {}
    return {**defaults, **role_vars}


def render(role, template, **variables):
    values = {"ansible_managed": "Ansible managed", "groups": {}, "hostvars": {}, "inventory_hostname": "node1"}
    values.update(role_defaults(role))
    values.update(variables)
    # Role defaults and vars are templates themselves: let the templar resolve them.
    values = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in values.items()}
    templar = Templar(loader=DataLoader(), variables=values)
    source = (PROJECT / "roles" / role / "templates" / template).read_text()
    return templar.template(trust_as_template(source))


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
            hostvars[name] = {"ansible_facts": {"default_ipv4": {"address": "10.0.0.%d" % n}}}
    return groups, hostvars
