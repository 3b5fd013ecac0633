# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a value into a configuration file so that the application reads back exactly that value.

Each filter's documentation is in the .yml file of the same name beside this file.

The rules, per reader (the parser the application itself uses):

mysql_option
    MariaDB's option-file reader (mysys/my_default.c: mariadbd, the mariadb client,
    my_print_defaults). The value is written in double quotes, where '#' does not start a
    comment and surrounding whitespace is kept; inside them \\\\ \\" \\n \\t \\r \\b are escapes.
    It cannot hold NUL, nor a line longer than its 4 KiB line buffer.
keyfile
    GLib's GKeyFile as Seafile reads it (seaf-server and ccnet: g_key_file_get_string, then
    g_strchomp). Escapes: \\\\ \\n \\t \\r, and \\s for a leading space. It cannot hold NUL, nor
    trailing ASCII whitespace (g_strchomp strips it after unescaping).
configparser / configparser_raw
    Python configparser with BasicInterpolation (seafevents) / without interpolation. With
    interpolation '%' is written '%%'. Values are one line, stripped of whitespace on both
    ends, with no escapes: it cannot hold NUL, CR or newline, nor leading or trailing whitespace.
env
    A KEY=value file written unquoted and read by docker compose, python-dotenv, systemd or a
    shell that sources it. Safe only without whitespace, quotes, backslash, '$', backtick,
    '#', '~' and the shell's ; & | < > ( ).
systemd_word
    One word of a systemd unit file setting written unquoted: a user or group name, a path
    (WorkingDirectory=, RequiresMountsFor=, Environment=HOME=), ExecStart='s command. systemd
    expands '%' specifiers, splits at whitespace, reads quotes and '\\' escapes, expands '$' in
    commands and takes ';' as a command separator: none of those, nor control characters.
systemd_text
    Free text of a systemd unit file setting (Description=): spaces kept inside, stripped at the
    ends; no '%' (specifiers), '\\' (escapes and line continuation), newline or control characters.
python
    A Python literal written with to_json (seahub_settings.py): every string is safe.
pymysql_login
    Not a file: a password PyMySQL logs in with (Seafile's setup, seafevents). PyMySQL sends
    a str password as Latin-1, so only ASCII matches what the server stored.

Readers that read the same text must agree on how each character is written: GKeyFile writes
'\\' as '\\\\' and a tab as '\\t', which configparser reads literally, and configparser with
interpolation writes '%' as '%%', which GKeyFile reads literally, so a file read by both
(seafile.conf) takes none of the three.
mysql_option and python quote the value in a file of their own, so they share it with no reader.
"""

from __future__ import annotations

import unicodedata
from collections import namedtuple
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

_ASCII_SPACE = " \t\n\v\f\r"
# Characters that problems show escaped and name: '\n' (newline).
_NAMES = {
    "\0": ("\\0", "NUL"), "\t": ("\\t", "tab"), "\n": ("\\n", "newline"), "\v": ("\\v", "vertical tab"),
    "\f": ("\\f", "form feed"), "\r": ("\\r", "carriage return"), " ": (" ", "space"),
}

Reader = namedtuple("Reader", "label short escapes refused leading trailing max_bytes")


def _chars(chars):
    return chars.__contains__


_NONE = _chars("")
_KEYFILE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_MYSQL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b"}

# escapes: how the reader's writer spells a character (None: quoted in a file of its own);
# refused / leading / trailing: which characters it cannot hold anywhere / first / last.
READERS = {
    "mysql_option": Reader("a MariaDB option file", "a MariaDB option file", None,
                           _chars("\0"), _NONE, _NONE, 4000),
    "keyfile": Reader("Seafile's GKeyFile reader", "GKeyFile", _KEYFILE_ESCAPES,
                      _chars("\0"), _NONE, _chars(_ASCII_SPACE), None),
    "configparser": Reader("configparser", "configparser interpolation", {"%": "%%"},
                           _chars("\0\n\r"), str.isspace, str.isspace, None),
    "configparser_raw": Reader("configparser", "configparser", {},
                               _chars("\0\n\r"), str.isspace, str.isspace, None),
    "env": Reader("a KEY=value environment file", "a KEY=value environment file", {},
                  lambda c: c.isspace() or c in "\0\"'\\$`#~;&|<>()", _NONE, _NONE, None),
    "systemd_word": Reader("a systemd unit setting (one word)", "a systemd unit setting", {},
                           lambda c: c.isspace() or not c.isprintable() or c in "\"'\\$%;", _NONE, _NONE, None),
    "systemd_text": Reader("a systemd unit's text setting", "a systemd unit's text", {},
                           lambda c: c in "%\\" or (not c.isprintable() and c != " "), str.isspace, str.isspace, None),
    "python": Reader("a Python literal", "a Python literal", None, _NONE, _NONE, _NONE, None),
    # Not a file: PyMySQL (Seafile's setup and seafevents) sends a str password encoded as
    # Latin-1, so a non-ASCII password never matches the server's UTF-8 one.
    "pymysql_login": Reader("a PyMySQL login (it sends the password as Latin-1)", "a PyMySQL login", None,
                            lambda c: ord(c) > 127, _NONE, _NONE, None),
}


def _text(value, filter_name):
    if isinstance(value, (Mapping, list, tuple, set)) or value is None:
        raise AnsibleFilterError("%s expects a string, got %s" % (filter_name, type(value).__name__))
    return to_text(value, errors="surrogate_or_strict")


def _named(char, why=None):
    """The character as problems name it: '%', '\\n' (newline), '\\xa0' (no-break space)."""
    if char in _NAMES:
        shown, name = _NAMES[char]
    elif char.isprintable() and not char.isspace():
        shown, name = char, None
    else:
        shown = "\\x%02x" % ord(char) if ord(char) < 0x100 else "\\u%04x" % ord(char)
        name = unicodedata.name(char, "U+%04X" % ord(char)).lower()
    quoted = '"\'"' if shown == "'" else "'%s'" % shown
    detail = ": ".join(part for part in (name, why) if part)
    return "%s (%s)" % (quoted, detail) if detail else quoted


def _readers(readers):
    if isinstance(readers, str):
        readers = [readers]
    names = list(dict.fromkeys(to_text(r) for r in readers))
    unknown = [name for name in names if name not in READERS]
    if unknown or not names:
        raise AnsibleFilterError("config_value_problems: unknown reader(s) %s; readers are %s"
                                 % (", ".join(unknown) or "(none given)", ", ".join(READERS)))
    return [(name, READERS[name]) for name in names]


def _conflict(char, readers):
    """The two readers that write char differently, the one that escapes it first."""
    spellings = [(reader, reader.escapes.get(char, char)) for reader in readers]
    escaping = [pair for pair in spellings if pair[1] != char]
    if not escaping:
        return None
    first, spelled = escaping[0]
    for reader, other in spellings:
        if other != spelled:
            return first, reader
    return None


def config_value_problems(value, readers):
    """Problems (each naming the character) that keep value from round-tripping through all readers."""
    value = _text(value, "config_value_problems")
    readers = _readers(readers)
    problems = []

    def add(problem):
        if problem not in problems:
            problems.append(problem)

    sharing = [reader for name, reader in readers if reader.escapes is not None]
    for char in dict.fromkeys(value):
        refused = [reader for name, reader in readers if reader.refused(char)]
        for reader in refused:
            add("%s, which %s cannot hold" % (_named(char), reader.label))
        conflict = None if refused else _conflict(char, sharing)
        if conflict:
            add(_named(char, "%s and %s cannot both read it" % (conflict[0].short, conflict[1].short)))
    if value:
        for name, reader in readers:
            if reader.leading(value[0]) and not reader.refused(value[0]):
                add("leading %s, which %s strips" % (_named(value[0]), reader.label))
            if reader.trailing(value[-1]) and not reader.refused(value[-1]):
                add("trailing %s, which %s strips" % (_named(value[-1]), reader.label))
            if reader.max_bytes and "\0" not in value:
                size = len(_mysql_quote(value).encode("utf-8"))
                if size > reader.max_bytes:
                    add("%d bytes once quoted, more than %s can hold on one line (%d)"
                        % (size, reader.label, reader.max_bytes))
    return problems


def _refuse(value, reader, filter_name):
    problems = config_value_problems(value, [reader])
    if problems:
        raise AnsibleFilterError("%s: the value contains %s" % (filter_name, "; ".join(problems)))


def _mysql_quote(value):
    return '"%s"' % "".join(_MYSQL_ESCAPES.get(char, char) for char in value)


def mysql_option_value(value):
    """The value in double quotes for a MariaDB/MySQL option file."""
    value = _text(value, "mysql_option_value")
    _refuse(value, "mysql_option", "mysql_option_value")
    return _mysql_quote(value)


def keyfile_value(value):
    """The value escaped for a GLib GKeyFile (g_key_file_get_string returns the original)."""
    value = _text(value, "keyfile_value")
    _refuse(value, "keyfile", "keyfile_value")
    escaped = "".join(_KEYFILE_ESCAPES.get(char, char) for char in value)
    return "\\s" + escaped[1:] if escaped.startswith(" ") else escaped


def configparser_value(value):
    """The value for a file that only Python configparser with interpolation reads: '%' doubled."""
    value = _text(value, "configparser_value")
    _refuse(value, "configparser", "configparser_value")
    return value.replace("%", "%%")


class FilterModule(object):
    """Values for configuration files that their applications read back unchanged."""

    def filters(self):
        return {
            "mysql_option_value": mysql_option_value,
            "keyfile_value": keyfile_value,
            "configparser_value": configparser_value,
            "config_value_problems": config_value_problems,
        }
