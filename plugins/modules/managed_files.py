#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories, symbolic links and files of one role phase, in one call."""

from __future__ import annotations

DOCUMENTATION = r"""
module: managed_files
short_description: Directories, links and files of one role phase, checked and written in one call
version_added: 0.1.0
description:
  - Brings a set of directories, symbolic links and files to their state in
    one module call per host, instead of one call (or two, for a template)
    per item, so a re-run that finds everything in place costs one round trip.
  - Directories are created in the order given (a parent before its children).
  - Files are compared by content and written atomically; a file with
    O(files[].validate) is checked on a temporary copy first and left
    untouched when the check fails.
  - Owner, group and mode are set on every entry; links get their owner and
    group (not the target's).
  - Reports C(changed) only when something changed, and per entry in RV(results).
  - The action plugin of the same name renders O(files[].template) on the
    controller (with the task's variables, and C(item) set to that file's
    entry), as M(ansible.builtin.template) does.
options:
  directories:
    description: Directories, created in this order when missing.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: Owner.
        type: str
        required: true
      group:
        description: Group.
        type: str
        required: true
      mode:
        description: Mode, a quoted octal string such as C("0750").
        type: str
        required: true
  links:
    description: Symbolic links, replaced when they point elsewhere.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Path of the link.
        type: path
        required: true
      src:
        description: What the link points to (kept as given, relative or absolute).
        type: str
        required: true
      owner:
        description: Owner of the link itself.
        type: str
        required: true
      group:
        description: Group of the link itself.
        type: str
        required: true
  files:
    description: Regular files and their content.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: Path of the file.
        type: path
        required: true
      template:
        description:
          - A template of the role (its C(templates/) folder), rendered by the action plugin,
            which passes the result as O(files[].content) or O(files[].secret_content).
        type: str
      content:
        description: The file's content (shown in the diff).
        type: str
      secret_content:
        description:
          - The file's content when it holds a secret; never shown in output or diff.
          - The action plugin uses it for entries with O(files[].secret=true).
        type: str
      secret:
        description: The file holds a secret (no diff of its content).
        type: bool
        default: false
      owner:
        description: Owner.
        type: str
        required: true
      group:
        description: Group.
        type: str
        required: true
      mode:
        description: Mode, a quoted octal string such as C("0640").
        type: str
        required: true
      validate:
        description: Command that checks the new content, C(%s) standing for a temporary copy (as in M(ansible.builtin.template)).
        type: str
attributes:
  check_mode:
    support: full
    description: Reports what would change, writes nothing.
  diff_mode:
    support: full
    description: Shows the content before and after of every changed file that holds no secret, and every changed link target.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Write the configuration files
  filesync.cluster.managed_files:
    directories:
      - {path: /opt/seafile/conf, owner: seafile, group: seafile, mode: "0750"}
    links:
      - {dest: /opt/seafile/seafile-server-latest, src: seafile-pro-server-11.0.12, owner: seafile, group: seafile}
    files:
      - {dest: /opt/seafile/conf/seafile.conf, template: ini.j2, secret: true, owner: seafile, group: seafile, mode: "0640"}
      - {dest: /etc/nftables-filesync.nft, template: rules.nft.j2, owner: root, group: root, mode: "0640", validate: nft -c -f %s}
"""

RETURN = r"""
results:
  description: One entry per directory, link and file, in that order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The entry's path.
      type: str
    changed:
      description: Whether this entry changed (or would, in check mode).
      type: bool
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

OWNED = dict(owner=dict(type="str", required=True), group=dict(type="str", required=True))


def attributes(module, path, entry, changed, diff=None):
    args = module.load_file_common_arguments(
        {"path": path, "owner": entry["owner"], "group": entry["group"], "mode": entry.get("mode")})
    return module.set_fs_attributes_if_different(args, changed, diff, expand=False)


def ensure_directory(module, entry):
    path = entry["path"]
    changed = False
    if not os.path.isdir(path):
        if os.path.lexists(path):
            module.fail_json(msg="%s exists and is not a directory: move it away, then re-run." % path)
        changed = True
        if module.check_mode:
            return changed
        os.mkdir(path)
    return attributes(module, path, entry, changed)


def ensure_link(module, entry, diffs):
    dest, src = entry["dest"], entry["src"]
    current = os.readlink(dest) if os.path.islink(dest) else None
    changed = current != src
    if changed:
        if os.path.lexists(dest) and current is None:
            module.fail_json(msg="%s exists and is not a symbolic link: move it away, then re-run." % dest)
        diffs.append({"before_header": dest, "after_header": dest,
                      "before": "%s\n" % current if current else "", "after": "%s\n" % src})
        if module.check_mode:
            return changed
        tmp = "%s.filesync-tmp" % dest
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(src, tmp)
        os.rename(tmp, dest)
    return attributes(module, dest, dict(entry, mode=None), changed)


def ensure_file(module, entry, diffs):
    dest = entry["dest"]
    secret = entry["secret"] or entry["secret_content"] is not None
    content = entry["secret_content"] if entry["secret_content"] is not None else entry["content"]
    if content is None:
        module.fail_json(msg="%s: give content or secret_content (or template, through the action plugin)." % dest)
    new = to_bytes(content, errors="surrogate_or_strict")
    if os.path.lexists(dest) and not os.path.isfile(dest):
        module.fail_json(msg="%s exists and is not a regular file: move it away, then re-run." % dest)
    old = None
    if os.path.exists(dest):
        with open(dest, "rb") as handle:
            old = handle.read()
    changed = old != new
    if changed:
        if not secret:
            diffs.append({"before_header": dest, "after_header": dest,
                          "before": to_text(old or b"", errors="surrogate_or_replace"),
                          "after": to_text(new, errors="surrogate_or_replace")})
        directory = os.path.dirname(dest) or "."
        if not os.path.isdir(directory):
            module.fail_json(msg="The directory of %s does not exist: create it first." % dest)
        if module.check_mode:
            return changed
        handle, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(dest))
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(new)
            if entry["validate"]:
                if "%s" not in entry["validate"]:
                    module.fail_json(msg="validate for %s must contain %%s (the file to check)." % dest)
                rc, out, err = module.run_command(entry["validate"] % tmp)
                if rc != 0:
                    module.fail_json(msg="The new %s failed its check (%s): %s%s; the old file is untouched."
                                     % (dest, entry["validate"], out, err))
            module.atomic_move(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return attributes(module, dest, entry, changed)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True), mode=dict(type="str", required=True), **OWNED)),
            links=dict(type="list", elements="dict", default=[], options=dict(
                dest=dict(type="path", required=True), src=dict(type="str", required=True), **OWNED)),
            files=dict(type="list", elements="dict", default=[], options=dict(
                dest=dict(type="path", required=True),
                template=dict(type="str"),
                content=dict(type="str"),
                secret_content=dict(type="str", no_log=True),
                secret=dict(type="bool", default=False),
                mode=dict(type="str", required=True),
                validate=dict(type="str"),
                **OWNED)),
        ),
        supports_check_mode=True,
    )
    results, diffs = [], []
    try:
        for entry in module.params["directories"]:
            results.append({"path": entry["path"], "changed": ensure_directory(module, entry)})
        for entry in module.params["links"]:
            results.append({"path": entry["dest"], "changed": ensure_link(module, entry, diffs)})
        for entry in module.params["files"]:
            results.append({"path": entry["dest"], "changed": ensure_file(module, entry, diffs)})
    except (IOError, OSError) as error:
        module.fail_json(msg="Could not write %s: %s" % (getattr(error, "filename", "a file"), to_native(error)),
                         results=results)
    changed = any(result["changed"] for result in results)
    module.exit_json(changed=changed, results=results, diff=diffs)


if __name__ == "__main__":
    main()
