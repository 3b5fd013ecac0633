# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which options free-form option lists set, read the way the program reads them.

Roles take free-form options (memcached_extra_options, galera_config_overrides) for the settings
they have no variable for. Preflight refuses an option that would set what the role derives or
guards itself (a listen address, a port): these filters name every option an entry sets,
including the spellings the program's own parser accepts (combined short options, unambiguous
prefixes of long names, MariaDB's loose-/skip-/enable- prefixes).

Each filter's documentation is in the .yml file of the same name beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

_KINDS = ("none", "required", "optional")


def _short_spec(shortopts):
    """getopt's option string ("a:Ab::") as {letter: kind}."""
    spec, text, i = {}, to_text(shortopts), 0
    while i < len(text):
        letter, i = text[i], i + 1
        colons = 0
        while i < len(text) and text[i] == ":" and colons < 2:
            colons, i = colons + 1, i + 1
        spec[letter] = _KINDS[colons]
    return spec


def _long_spec(longopts):
    if not isinstance(longopts, Mapping):
        raise AnsibleFilterError("command_line_options: longopts must map each long name to [letter, kind]")
    spec = {}
    for name, value in longopts.items():
        letter, kind = (list(value) + ["none"])[:2] if isinstance(value, (list, tuple)) else (value, "none")
        if kind not in _KINDS:
            raise AnsibleFilterError("command_line_options: the kind of --%s is %r, not one of %s" % (name, kind, ", ".join(_KINDS)))
        spec[to_text(name)] = (to_text(letter), kind)
    return spec


def command_line_options(items, shortopts, longopts):
    """Every option that GNU getopt_long (permuting, as memcached calls it) reads from each item.

    Each item is split at whitespace into arguments. Returns one dict per option read:
    item (index in items), spelled (the argument as written), option (the short letter it
    sets; None for an unknown long name), long (its long name), value (its argument, or None),
    ambiguous (a prefix of several long names: one entry per name; the program refuses it) and
    known (false for an option the tables do not list). An unknown option takes nothing from
    the following arguments: nothing after it is hidden as an argument.
    """
    if isinstance(items, (str, Mapping)) or items is None:
        raise AnsibleFilterError("command_line_options expects a list of strings, got %s" % type(items).__name__)
    short = _short_spec(shortopts)
    long_spec = _long_spec(longopts)
    names = {}
    for name, (letter, _kind) in long_spec.items():
        names.setdefault(letter, name)
    found = []
    for index, item in enumerate(items):
        args = to_text(item).split()
        i = 0
        while i < len(args):
            arg, i = args[i], i + 1
            if arg.startswith("--") and len(arg) > 2:
                name, equals, value = arg[2:].partition("=")
                matches = [name] if name in long_spec else sorted(n for n in long_spec if name and n.startswith(name))
                if not matches:
                    found.append(dict(item=index, spelled=arg, option=None, long=name, value=value if equals else None,
                                      ambiguous=False, known=False))
                    continue
                ambiguous = len({long_spec[n] for n in matches}) > 1
                taken = None
                if not equals and not ambiguous and long_spec[matches[0]][1] == "required" and i < len(args):
                    taken, i = args[i], i + 1
                for match in matches:
                    found.append(dict(item=index, spelled=arg, option=long_spec[match][0], long=match,
                                      value=value if equals else taken, ambiguous=ambiguous, known=True))
            elif arg.startswith("-") and len(arg) > 1 and arg != "--":
                j = 1
                while j < len(arg):
                    letter, j = arg[j], j + 1
                    kind = short.get(letter, "none")
                    value = None
                    if kind != "none" and j < len(arg):
                        value, j = arg[j:], len(arg)
                    elif kind == "required" and i < len(args):
                        value, i = args[i], i + 1
                    found.append(dict(item=index, spelled=arg, option=letter, long=names.get(letter), value=value,
                                      ambiguous=False, known=letter in short))
                    if value is not None:
                        break
            # Anything else is not an option: getopt_long permutes it to the end and goes on.
    return found


def _mysql_name(name):
    return to_text(name).strip().lower().replace("_", "-")


_MYSQL_PREFIXES = ("loose-", "skip-", "disable-", "enable-", "maximum-")


def mysql_option_targets(name, guarded, exact=None):
    """The names in guarded that an option-file line "name = value" may set in MariaDB.

    MariaDB (mysys/my_getopt.c) reads '-' and '_' alike, takes the special prefixes loose-,
    skip-, disable-, enable- and maximum- (in any order: loose-skip-...), and reads a prefix
    of an option name as that option when it is no other option's prefix (bind= sets
    bind-address, with a note). A name that is a prefix of a guarded name counts as setting it,
    unless exact lists it: the names of other options (innodb) that MariaDB matches as they are.
    """
    if isinstance(guarded, (str, Mapping)):
        guarded = [guarded] if isinstance(guarded, str) else list(guarded)
    exact_names = {_mysql_name(n) for n in (exact or [])}
    candidates, todo = set(), [_mysql_name(name)]
    while todo:
        candidate = todo.pop()
        if candidate and candidate not in candidates:
            candidates.add(candidate)
            todo.extend(candidate[len(prefix):] for prefix in _MYSQL_PREFIXES if candidate.startswith(prefix))
    targets = []
    for target in guarded:
        wanted = _mysql_name(target)
        if any(c == wanted or (wanted.startswith(c) and c not in exact_names) for c in candidates):
            targets.append(target)
    return targets


class FilterModule(object):
    """Which options free-form option lists set."""

    def filters(self):
        return {
            "command_line_options": command_line_options,
            "mysql_option_targets": mysql_option_targets,
        }
