#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, in one call, the state a role's preflight judges on a host."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_state
short_description: Read paths, users, groups and small files of a host in one call (changes nothing)
version_added: 0.1.0
description:
  - What a role's preflight judges before it changes anything, read in one
    task instead of one C(stat), C(getent) and C(slurp) each. It reports whether paths
    exist and who owns them, the IDs of users and groups, and the text of
    small files (a configuration that holds a cluster-wide secret, a saved
    cluster state).
  - Never changes anything, so it runs the same in check mode and always
    returns C(changed=false).
  - A path, user, group or file that does not exist is reported as such, never
    an error. A file that exists but cannot be read as UTF-8 text, or is larger
    than O(max_size), fails the task, naming it.
  - File contents may hold secrets; set C(no_log) on the task that reads them.
options:
  paths:
    description:
      - Paths to look at (like M(ansible.builtin.stat), without checksums; links are not followed, a link reports its C(target)).
    type: list
    elements: path
    default: []
  users:
    description:
      - User names to look up in the system's user database.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Group names to look up in the system's group database.
    type: list
    elements: str
    default: []
  files:
    description:
      - Text files to read whole (UTF-8).
    type: list
    elements: path
    default: []
  max_size:
    description:
      - Largest file, in bytes, that O(files) reads.
    type: int
    default: 1048576
attributes:
  check_mode:
    support: full
    description: Reads the same as in a normal run; there is nothing to change.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Look at the shared folder, the service user and the node's settings
  filesync.cluster.host_state:
    paths:
      - /srv/filesync/seafile
    users:
      - seafile
    groups:
      - seafile
    files:
      - /opt/seafile/conf/seahub_settings.py
  register: state
  no_log: true

- name: Show the owner of the shared folder
  ansible.builtin.debug:
    msg: "{{ state.paths['/srv/filesync/seafile'].uid }}"
"""

RETURN = r"""
paths:
  description: Per path given, what is there (a link also its target, as written).
  returned: always
  type: dict
  sample:
    /srv/filesync/seafile: {exists: true, isdir: true, islnk: false, uid: 2000, gid: 2000, mode: "0770"}
    /opt/seafile/.missing: {exists: false}
    /opt/seafile/seafile-server-latest: {exists: true, isdir: false, islnk: true, target: seafile-pro-server-11.0.12, uid: 2000, gid: 2000,
                                         mode: "0777"}
users:
  description: Per user name given, its IDs, home and shell, or null where the user does not exist.
  returned: always
  type: dict
  sample:
    seafile: {uid: 2000, gid: 2000, home: /opt/seafile, shell: /usr/sbin/nologin}
groups:
  description: Per group name given, its ID, or null where the group does not exist.
  returned: always
  type: dict
  sample:
    seafile: {gid: 2000}
files:
  description: Per file given, its text, or null where the file does not exist.
  returned: always
  type: dict
  sample:
    /var/lib/mysql/grastate.dat: "# GALERA saved state\nversion: 2.1\n"
"""

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule


def look(path):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    found = {"exists": True, "isdir": stat.S_ISDIR(info.st_mode), "islnk": stat.S_ISLNK(info.st_mode),
             "uid": info.st_uid, "gid": info.st_gid, "mode": "%04o" % stat.S_IMODE(info.st_mode)}
    if found["islnk"]:
        found["target"] = os.readlink(path)
    return found


def user(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {"uid": entry.pw_uid, "gid": entry.pw_gid, "home": entry.pw_dir, "shell": entry.pw_shell}


def group(name):
    try:
        return {"gid": grp.getgrnam(name).gr_gid}
    except KeyError:
        return None


def read(module, path):
    try:
        with open(path, "rb") as handle:
            data = handle.read(module.params["max_size"] + 1)
    except FileNotFoundError:
        return None
    except OSError as error:
        module.fail_json(msg="Cannot read %s: %s. Check its permissions (the task runs as %s)." % (path, error.strerror, pwd.getpwuid(os.getuid()).pw_name))
    if len(data) > module.params["max_size"]:
        module.fail_json(msg="%s is larger than max_size (%d bytes): it is not the small text file expected there." % (path, module.params["max_size"]))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        module.fail_json(msg="%s is not UTF-8 text: it is not the file expected there." % path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="path", default=[]),
            users=dict(type="list", elements="str", default=[]),
            groups=dict(type="list", elements="str", default=[]),
            files=dict(type="list", elements="path", default=[]),
            max_size=dict(type="int", default=1048576),
        ),
        supports_check_mode=True,
    )
    params = module.params
    module.exit_json(
        changed=False,
        paths={path: look(path) for path in params["paths"]},
        users={name: user(name) for name in params["users"]},
        groups={name: group(name) for name in params["groups"]},
        files={path: read(module, path) for path in params["files"]},
    )


if __name__ == "__main__":
    main()
