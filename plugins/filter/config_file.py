# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values for whole configuration files: an INI value for the parsers that read that file, and
a Python literal for settings files such as seahub_settings.py.

Each filter's documentation is in the .yml file of the same name beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.filesync.cluster.plugins.filter.config_value import (
    config_value_problems, configparser_value, keyfile_value)


def ini_value(value, readers):
    """The value written for the INI file that every reader in readers reads."""
    readers = [readers] if isinstance(readers, str) else list(readers)
    problems = config_value_problems(value, readers)
    if problems:
        raise AnsibleFilterError("ini_value: the value contains %s" % "; ".join(problems))
    if readers == ["keyfile"]:
        return keyfile_value(value)
    if readers == ["configparser"]:
        return configparser_value(value)
    # Read by several parsers: only values they all read alike got here.
    return str(value)


def python_literal(value):
    """The value as a Python literal (True/False/None, numbers, strings, lists, dicts)."""
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, Mapping):
        return "{%s}" % ", ".join("%s: %s" % (python_literal(k), python_literal(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(python_literal(item) for item in value)
    raise AnsibleFilterError("python_literal: cannot write a %s as a Python literal" % type(value).__name__)


class FilterModule(object):
    """Values for whole configuration files."""

    def filters(self):
        return {"ini_value": ini_value, "python_literal": python_literal}
