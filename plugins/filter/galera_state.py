# Copyright: filesync.cluster maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Galera's saved state (grastate.dat), read as Galera writes it."""

import re

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def grastate(text):
    """uuid, seqno and safe_to_bootstrap of a grastate.dat text; a missing file
    (empty text) or a missing field reads as never deployed, position unknown
    (seqno -1), not safe to bootstrap."""
    fields = dict(re.findall(r"(?m)^\s*([a-z_]+):\s*(\S+)\s*$", text or ""))
    try:
        seqno = int(fields.get("seqno", "-1"))
    except ValueError:
        seqno = -1
    return {
        "uuid": fields.get("uuid", ZERO_UUID),
        "seqno": seqno,
        "safe": fields.get("safe_to_bootstrap") == "1",
    }


class FilterModule:
    def filters(self):
        return {"grastate": grastate}
