"""The example production inventory names files on the controller by paths that work from an installed collection.

A relative path such as files/seafile-license.txt is not looked up in the
inventory: preflight's `is file` test reads it against the current directory,
and lookup('file') and copy against the role's and the playbook's directories,
which for an installed collection are inside the collection. Such paths must be
absolute or templated, as "{{ inventory_dir }}/files/...".
"""

import re

import pytest
import yaml

from render import PROJECT

INVENTORY = PROJECT / "inventories" / "prod"
# Variables that name a file on the controller.
PATH_NAMES = re.compile(r"(_archive|_file|_cert|_key|_ca_cert)$|license")
# Variables of those names whose values are secrets or addresses, not paths
# (seafile_node_s3_key, seafile_node_secret_key, the JWT keys,
# powerfolder_node_license_key and _email).
NOT_PATHS = re.compile(r"password|secret|private_key|s3_key|license_key|license_email")
# What a file name ends with when it has no directory part.
FILE_SUFFIX = re.compile(r"\.(txt|pem|crt|key|csr|tar|gz|tgz|xz|bz2|zip|jar|lic)$", re.IGNORECASE)
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class Vaulted:
    """A !vault value: encrypted, so not judged."""


class InventoryLoader(yaml.SafeLoader):
    """YAML as Ansible reads inventories: !vault and !unsafe are tags it knows."""


InventoryLoader.add_constructor("!vault", lambda loader, node: Vaulted())
InventoryLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def inventory_files():
    """Every YAML file of the inventory, the vault example included."""
    return sorted(p for p in INVENTORY.rglob("*")
                  if p.is_file() and re.search(r"\.ya?ml(\.example)?$", p.name))


def path_variables(data, trail=()):
    """(trail, name, value) of every string whose key names a controller file, at any depth."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and PATH_NAMES.search(str(key)) and not NOT_PATHS.search(str(key)):
                yield trail, str(key), value
            yield from path_variables(value, trail + (str(key),))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from path_variables(value, trail + (str(index),))


def is_relative_path(value):
    """A path on the controller that is neither absolute nor templated (a URL or a PEM text is not a path)."""
    text = value.strip()
    if not text or text.startswith(("{{", "/")) or URL.match(text) or any(c.isspace() for c in text):
        return False
    return "/" in text or text.startswith("~") or bool(FILE_SUFFIX.search(text))


def test_the_inventory_has_yaml_files_and_names_controller_files():
    files = inventory_files()
    assert INVENTORY / "hosts.yml" in files
    names = {found[1] for path in files for found in path_variables(yaml.load(path.read_text(), Loader=InventoryLoader))}
    assert {"seafile_node_archive", "seafile_node_license_file"} <= names


@pytest.mark.parametrize("value, relative", [
    ("files/seafile-license.txt", True),
    ("seafile-license.txt", True),
    ("./files/archive.tar.gz", True),
    ("~/files/seafile-license.txt", True),
    ("{{ inventory_dir }}/files/seafile-license.txt", False),
    ("/srv/ansible/files/seafile-license.txt", False),
    ("https://downloads.example.com/PowerFolder_Server_Linux.tar.gz", False),
    ("-----BEGIN CERTIFICATE----- ... -----END PRIVATE KEY-----", False),
    ("", False),
])
def test_what_counts_as_a_relative_path(value, relative):
    assert is_relative_path(value) is relative


@pytest.mark.parametrize("path", inventory_files(), ids=lambda p: str(p.relative_to(INVENTORY)))
def test_controller_files_are_absolute_or_templated(path):
    data = yaml.load(path.read_text(), Loader=InventoryLoader)
    relative = ["%s = %r" % (".".join(trail + (name,)), value)
                for trail, name, value in path_variables(data) if is_relative_path(value)]
    assert not relative, (
        "%s: relative paths on the controller, which the playbooks of an installed collection do not look up in the "
        "inventory; write them as \"{{ inventory_dir }}/files/...\" or absolute: %s" % (path.relative_to(PROJECT), "; ".join(relative)))
