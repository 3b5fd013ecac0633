#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install an application license file under the name the application reads."""

from __future__ import annotations

DOCUMENTATION = r"""
module: license_file
short_description: Install a license file where and how an application reads it
version_added: 0.1.0
description:
  - Writes a license under the file name the application needs, owned by the
    service user, mode 0640 by default. Seafile Professional reads
    C(seafile-license.txt) in its top-level directory and runs in trial mode
    without it.
  - Compares checksums, so a re-run with the same license is C(changed=false).
  - Never shows the license text, a secret of the vendor's customer, neither in its diff nor in its
    logged arguments (O(content) is C(no_log)); the diff names the file and the checksums.
  - Refuses a missing or empty source.
  - For a Seafile license, reads its C(Expiration) date and fails on an
    expired license, naming the date.
options:
  application:
    description:
      - C(seafile) names the file C(seafile-license.txt) and checks its expiry.
      - C(generic) (for example PowerFolder) needs O(filename) and checks nothing in the content.
    type: str
    choices: [seafile, generic]
    default: seafile
  content:
    description:
      - The license text, for example C("{{ lookup('ansible.builtin.file', 'seafile-license.txt') }}").
      - Never logged nor shown.
      - Exactly one of O(content) and O(src).
    type: str
  src:
    description:
      - Path of the license on the managed node.
      - Exactly one of O(content) and O(src).
    type: path
  dest:
    description:
      - Directory the license goes into (Seafile, the top-level directory such as C(/opt/seafile)).
    type: path
    required: true
  filename:
    description:
      - File name; defaults to C(seafile-license.txt) for O(application=seafile).
    type: str
  owner:
    description:
      - Owner of the file (the service user).
    type: str
    required: true
  group:
    description:
      - Group of the file; defaults to the owner's primary group.
    type: str
  mode:
    description:
      - Mode of the file, as a quoted octal string.
    type: str
    default: "0640"
attributes:
  check_mode:
    support: full
    description: Reports what would change.
  diff_mode:
    support: full
    description: Shows the file's SHA-1 checksum and size before and after, never the license text.
author:
  - filesync.cluster maintainers (@filesync)
"""

EXAMPLES = r"""
- name: Install the Seafile license on every node
  filesync.cluster.license_file:
    content: "{{ lookup('ansible.builtin.file', seafile_node_license_file) }}"
    dest: /opt/seafile
    owner: seafile

- name: Install a PowerFolder license
  filesync.cluster.license_file:
    application: generic
    src: /root/powerfolder.license
    dest: /opt/powerfolder
    filename: PowerFolder.license
    owner: powerfolder
"""

RETURN = r"""
path:
  description: Where the license is.
  returned: always
  type: str
  sample: /opt/seafile/seafile-license.txt
checksum:
  description: SHA-1 of the license.
  returned: always
  type: str
  sample: 2aae6c35c94fcfb415dbe95f408b9ce91ee846ed
expiration:
  description: Expiry date of a Seafile license (ISO format), when it has one.
  returned: when O(application=seafile)
  type: str
  sample: "2027-12-31"
"""

import datetime
import grp
import hashlib
import os
import pwd
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

FILENAMES = {"seafile": "seafile-license.txt"}
EXPIRATION = re.compile(r'^\s*Expiration\s*=\s*"?(\d{4}-\d{2}-\d{2})"?\s*$', re.M)


def seafile_expiration(module, text, today=None):
    """The Expiration date of a Seafile license; fail when it is past."""
    match = EXPIRATION.search(text)
    if not match:
        module.fail_json(msg='The Seafile license has no Expiration = "YYYY-MM-DD" line: is it a Seafile '
                             "Professional license file (seafile-license.txt)?")
    try:
        expires = datetime.date.fromisoformat(match.group(1))
    except ValueError:
        module.fail_json(msg="The Seafile license's Expiration %s is not a date." % match.group(1))
    today = today or datetime.date.today()
    if expires < today:
        module.fail_json(msg="The Seafile license expired on %s: Seafile would run in trial mode. "
                             "Get a renewed license and point the play at it." % expires.isoformat(),
                         expiration=expires.isoformat())
    return expires.isoformat()


def summary(data):
    """What a diff shows of a license: its checksum and size, never its text."""
    if data is None:
        return ""
    return "sha1 %s, %d bytes (the license text is not shown)\n" % (hashlib.sha1(data).hexdigest(), len(data))


def read_source(module):
    params = module.params
    if params["src"] is not None:
        if not os.path.isfile(params["src"]):
            module.fail_json(msg="License source %s does not exist on this host." % params["src"])
        with open(params["src"], "rb") as handle:
            data = handle.read()
    else:
        data = to_bytes(params["content"])
    if not data.strip():
        module.fail_json(msg="The license source is empty: check the file you point the play at.")
    return data


def main():
    module = AnsibleModule(
        argument_spec=dict(
            application=dict(type="str", choices=["seafile", "generic"], default="seafile"),
            content=dict(type="str", no_log=True),
            src=dict(type="path"),
            dest=dict(type="path", required=True),
            filename=dict(type="str"),
            owner=dict(type="str", required=True),
            group=dict(type="str"),
            mode=dict(type="str", default="0640"),
        ),
        required_one_of=[("content", "src")],
        mutually_exclusive=[("content", "src")],
        required_if=[("application", "generic", ("filename",))],
        supports_check_mode=True,
    )
    params = module.params
    if not re.fullmatch(r"0?[0-7]{3}", params["mode"]):
        module.fail_json(msg="mode must be an octal string such as '0640'; got %s." % params["mode"])
    data = read_source(module)
    result = dict(changed=False)
    if params["application"] == "seafile":
        result["expiration"] = seafile_expiration(module, to_text(data, errors="surrogate_or_strict"))

    if not os.path.isdir(params["dest"]):
        module.fail_json(msg="Directory %s does not exist: install the application first." % params["dest"])
    try:
        user = pwd.getpwnam(params["owner"])
    except KeyError:
        module.fail_json(msg="User %s does not exist on this host." % params["owner"])
    try:
        gid = grp.getgrnam(params["group"]).gr_gid if params["group"] else user.pw_gid
    except KeyError:
        module.fail_json(msg="Group %s does not exist on this host." % params["group"])
    mode = int(params["mode"], 8)

    path = os.path.join(params["dest"], params["filename"] or FILENAMES[params["application"]])
    result.update(path=path, checksum=hashlib.sha1(data).hexdigest())
    before = b""
    if os.path.exists(path):
        with open(path, "rb") as handle:
            before = handle.read()
    content_changed = before != data
    stat = os.stat(path) if os.path.exists(path) else None
    attrs_changed = stat is None or (stat.st_uid, stat.st_gid, stat.st_mode & 0o7777) != (user.pw_uid, gid, mode)
    result["changed"] = content_changed or attrs_changed
    if module._diff and content_changed:
        result["diff"] = dict(before=summary(before if stat else None), after=summary(data),
                              before_header=path, after_header=path)

    if result["changed"] and not module.check_mode:
        if content_changed:
            handle, tmp = tempfile.mkstemp(dir=params["dest"], prefix=".license-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.chmod(tmp, mode)
            os.chown(tmp, user.pw_uid, gid)
            module.atomic_move(tmp, path)
        os.chown(path, user.pw_uid, gid)
        os.chmod(path, mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
