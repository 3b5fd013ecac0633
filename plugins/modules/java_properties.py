#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys of a Java properties file, set and removed by parsed value."""

from __future__ import annotations

DOCUMENTATION = r"""
module: java_properties
short_description: Set or remove keys of a Java properties file, judged by parsed value
version_added: 0.2.0
description:
  - Sets and removes individual keys of a Java properties file (the format
    C(java.util.Properties) reads, in ISO-8859-1, with C(key=value) lines,
    C(#) and C(!) comments, backslash escapes and continued lines), for files
    an application also rewrites itself, such as PowerFolder's C(PowerFolder.config).
  - Reads the file as C(java.util.Properties.load) does and reports C(changed)
    only when the parsed value of a managed key changes, or the file's owner,
    group or mode; a file the application rewrote (other order, other escapes,
    a new date comment) whose values are the same is left alone.
  - Leaves everything else as it is (other keys, comments, blank lines and
    order). A changed key is rewritten in place (where it last occurred, the
    occurrence Java keeps; earlier duplicates are dropped); a new key is
    appended.
  - Writes keys and values as C(java.util.Properties.store) does, so every
    value, including C(#), C(=), C(:), spaces, backslashes, newlines and
    characters outside ISO-8859-1 (as C(\\uXXXX)), reads back unchanged.
  - Writes atomically. Check and diff mode are supported; values of
    O(secret_properties) are masked in the diff.
options:
  path:
    description: The properties file.
    type: path
    required: true
  properties:
    description:
      - Keys and the values they must have. Values are strings (numbers are
        written as their decimal text); quote YAML booleans, because Java
        reads C(true), not C(True).
    type: dict
    default: {}
  secret_properties:
    description:
      - Like O(properties), for values that must not be shown (passwords),
        which are hidden from logs and masked in the diff.
    type: dict
    default: {}
  remove:
    description: Keys that must be absent (every occurrence is removed).
    type: list
    elements: str
    default: []
  seed:
    description:
      - Base64 of a properties file to start from when O(path) does not exist
        yet (for example another node's file, read with M(ansible.builtin.slurp)).
        Ignored when O(path) exists. It may hold secrets, so it is not logged.
    type: str
  create:
    description: Create O(path) when it is missing (from O(seed) or empty); with V(false) a missing file fails.
    type: bool
    default: true
  read:
    description: Keys whose current values (after the change) are returned in RV(values); never a secret key.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Reports what would change (and RV(changed_keys)), writes nothing.
  diff_mode:
    support: full
    description: Shows the file before and after, values of O(secret_properties) masked.
notes:
  - Keys must not be empty and may not be both set and removed.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Cluster keys of a PowerFolder node (edit only while the server is stopped)
  filesync.cluster.java_properties:
    path: /home/powerfolder/.PowerFolder/PowerFolder.config
    properties:
      folders.mount.dynamic: "true"
      web.base.url: https://cloud.example.com
    secret_properties:
      database.password: "{{ vault_powerfolder_db_password }}"
    owner: powerfolder
    group: powerfolder
    mode: "0640"

- name: Read a node's identity without changing anything
  filesync.cluster.java_properties:
    path: /home/powerfolder/.PowerFolder/PowerFolder.config
    create: false
    read:
      - nodeid
  register: config
"""

RETURN = r"""
changed_keys:
  description: Managed keys whose parsed value changed (set, added or removed).
  returned: always
  type: list
  elements: str
  sample: [web.base.url, nodeid]
created:
  description: Whether the file did not exist before.
  returned: always
  type: bool
values:
  description: Values of the keys in O(read), as Java reads them after the change; a missing key is absent.
  returned: always
  type: dict
  sample: {nodeid: "8KdQx0ZkX3"}
"""

import base64
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

ENCODING = "latin-1"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_WHITESPACE = " \t\f"
MASK = "********"


def _natural_lines(text):
    """Split as java.util.Properties.LineReader does: on \\n, \\r and \\r\\n."""
    lines, start, i = [], 0, 0
    while i < len(text):
        char = text[i]
        if char in "\r\n":
            end = i + 2 if char == "\r" and text[i + 1:i + 2] == "\n" else i + 1
            lines.append(text[start:end])
            start = i = end
            continue
        i += 1
    if start < len(text):
        lines.append(text[start:])
    return lines


def _strip_eol(line):
    return line.rstrip("\r\n")


def _continues(line):
    body = _strip_eol(line)
    count = len(body) - len(body.rstrip("\\"))
    return count % 2 == 1


def parse(text):
    """Entries of a properties text: (raw text, key or None, value or None).

    Comments and blank lines have key None; a logical line with its
    continuation lines is one entry.
    """
    entries, lines, i = [], _natural_lines(text), 0
    while i < len(lines):
        line = lines[i]
        stripped = _strip_eol(line).lstrip(_WHITESPACE)
        if not stripped or stripped[0] in "#!":
            entries.append((line, None, None))
            i += 1
            continue
        raw, logical, natural = line, _strip_eol(line).lstrip(_WHITESPACE), line
        while _continues(natural):
            logical = logical[:-1]
            if i + 1 >= len(lines):
                break
            i += 1
            natural = lines[i]
            logical += _strip_eol(natural).lstrip(_WHITESPACE)
            raw += natural
        key, value = _split(logical)
        entries.append((raw, key, value))
        i += 1
    return entries


def _split(logical):
    """Key and value of one logical line, unescaped."""
    i, length = 0, len(logical)
    while i < length:
        char = logical[i]
        if char == "\\":
            i += 2
            continue
        if char in "=:" or char in _WHITESPACE:
            break
        i += 1
    key_end = min(i, length)
    j = key_end
    while j < length and logical[j] in _WHITESPACE:
        j += 1
    if j < length and logical[j] in "=:":
        j += 1
        while j < length and logical[j] in _WHITESPACE:
            j += 1
    return unescape(logical[:key_end]), unescape(logical[j:])


def unescape(text):
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            digits = text[i + 2:i + 6]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("malformed \\uxxxx escape: %r" % text[i:i + 6])
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    # Java strings are UTF-16: a pair of \\u escapes is one character beyond the BMP.
    return "".join(out).encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


def escape(text, is_key):
    """As java.util.Properties.store writes a key or a value (ASCII output)."""
    out = []
    for index, char in enumerate(text):
        code = ord(char)
        if char == " ":
            out.append("\\ " if is_key or index == 0 else " ")
        elif char in "\\=:#!":
            out.append("\\" + char)
        elif char == "\t":
            out.append("\\t")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\f":
            out.append("\\f")
        elif code < 0x20 or code > 0x7E:
            # Java writes UTF-16 code units; characters beyond the BMP become a surrogate pair.
            for unit in _utf16_units(char):
                out.append("\\u%04X" % unit)
        else:
            out.append(char)
    return "".join(out)


def _utf16_units(char):
    data = char.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[k:k + 2], "big") for k in range(0, len(data), 2)]


def values_of(entries):
    out = {}
    for _raw, key, value in entries:
        if key is not None:
            out[key] = value
    return out


def render(entries):
    return "".join(raw for raw, _key, _value in entries)


def apply(entries, wanted, remove):
    """Entries with the wanted values set and the removed keys gone."""
    last = {}
    for index, (_raw, key, _value) in enumerate(entries):
        if key is not None:
            last[key] = index
    current = values_of(entries)
    newline = _newline(entries)
    out = []
    for index, entry in enumerate(entries):
        raw, key, value = entry
        if key in remove:
            continue
        if key in wanted:
            if last[key] != index:
                continue
            if current[key] != wanted[key]:
                entry = (escape(key, True) + "=" + escape(wanted[key], False) + newline, key, wanted[key])
        out.append(entry)
    if out and not out[-1][0].endswith(("\n", "\r")):
        raw, key, value = out[-1]
        out[-1] = (raw + newline, key, value)
    for key, value in wanted.items():
        if key not in current:
            out.append((escape(key, True) + "=" + escape(value, False) + newline, key, value))
    return out


def _newline(entries):
    for raw, _key, _value in entries:
        if raw.endswith("\r\n"):
            return "\r\n"
        if raw.endswith(("\n", "\r")):
            return raw[-1]
    return "\n"


def _masked(entries, secrets, changed=()):
    return "".join(escape(key, True) + "=" + MASK + (" (changed)" if key in changed else "") + "\n"
                   if key in secrets else raw for raw, key, _value in entries)


def _as_text(module, name, value):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        module.fail_json(msg="%s must be a string (quote it: Java reads 'true', not 'True'); got %s %r."
                         % (name, type(value).__name__, value))
    return str(value)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            properties=dict(type="dict", default={}),
            secret_properties=dict(type="dict", default={}, no_log=True),
            remove=dict(type="list", elements="str", default=[]),
            seed=dict(type="str", no_log=True),
            create=dict(type="bool", default=True),
            read=dict(type="list", elements="str", default=[]),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    wanted = {}
    for source in ("properties", "secret_properties"):
        for key, value in params[source].items():
            wanted[key] = _as_text(module, "%s[%s]" % (source, key), value)
    secrets = set(params["secret_properties"])
    remove = set(params["remove"])
    clash = sorted(k for k in wanted if k in remove) + sorted(k for k in params["properties"] if k in secrets)
    if "" in wanted or "" in remove or clash:
        module.fail_json(msg="Keys must be non-empty and set once, not also removed or both secret and public: %s"
                         % ", ".join(clash or ["(empty key)"]))
    secret_reads = sorted(secrets.intersection(params["read"]))
    if secret_reads:
        module.fail_json(msg="read may not name a secret key: %s" % ", ".join(secret_reads))

    exists = os.path.exists(path)
    if exists:
        if not os.path.isfile(path):
            module.fail_json(msg="%s exists and is not a regular file." % path)
        with open(path, "rb") as handle:
            before_bytes = handle.read()
    elif not params["create"]:
        module.fail_json(msg="%s does not exist (create is false)." % path)
    elif params["seed"]:
        try:
            before_bytes = base64.b64decode(params["seed"], validate=True)
        except ValueError as exc:
            module.fail_json(msg="seed is not base64: %s" % to_native(exc))
    else:
        before_bytes = b""

    try:
        entries = parse(before_bytes.decode(ENCODING))
    except ValueError as exc:
        module.fail_json(msg="%s cannot be read as Java reads it: %s. Repair the file by hand." % (path, to_native(exc)))
    old_file = [] if not exists else entries
    after = apply(entries, wanted, remove)
    old, new = values_of(old_file), values_of(after)
    changed_keys = sorted(k for k in set(wanted) | remove if old.get(k) != new.get(k))
    content_changed = bool(changed_keys) or not exists

    result = dict(changed=content_changed, changed_keys=changed_keys, created=not exists,
                  values={k: new[k] for k in params["read"] if k in new})
    if module._diff:
        result["diff"] = dict(before=_masked(old_file, secrets), after=_masked(after, secrets, changed_keys),
                              before_header=path, after_header=path)
    if content_changed and not module.check_mode:
        directory = os.path.dirname(path) or "."
        handle, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
        with os.fdopen(handle, "wb") as out:
            out.write(render(after).encode(ENCODING))
        module.atomic_move(tmp, path, unsafe_writes=module.params["unsafe_writes"])
    if exists or not module.check_mode:
        file_args = module.load_file_common_arguments(module.params, path=path)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
