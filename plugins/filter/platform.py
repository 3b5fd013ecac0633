# Copyright: filesync.cluster maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systems a role supports are the platforms of its meta/main.yml: the
filter every role's preflight uses to refuse any other system, naming what
the role supports."""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# Debian's code names and release numbers, for messages an operator reads.
DEBIAN_RELEASES = {"bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14"}


def _supported(meta):
    if not isinstance(meta, Mapping):
        raise AnsibleFilterError("platform_problems: the role's metadata must be a mapping (meta/main.yml)")
    info = meta.get("galaxy_info", meta)
    platforms = info.get("platforms") if isinstance(info, Mapping) else None
    if not platforms:
        raise AnsibleFilterError("platform_problems: the role's meta/main.yml lists no platforms")
    return [(str(p["name"]), str(version)) for p in platforms for version in p.get("versions") or []]


def _label(name, release):
    number = DEBIAN_RELEASES.get(release) if name == "Debian" else None
    return "%s %s (%s)" % (name, number, release) if number else "%s %s" % (name, release)


def platform_problems(facts, meta, host, role):
    """[] when the host's distribution and release are among the role's
    platforms, else one message naming the host, its system and what the role
    supports."""
    supported = _supported(meta)
    wanted = ", ".join(_label(name, release) for name, release in supported)
    facts = facts if isinstance(facts, Mapping) else {}
    name = facts.get("distribution")
    release = facts.get("distribution_release")
    if not name or not release:
        return ["No distribution facts for %s: gather them (ansible.builtin.setup, gather_subset distribution) "
                "before the %s role, as the collection's playbooks do. It supports %s." % (host, role, wanted)]
    if (str(name), str(release)) in supported:
        return []
    running = _label(str(name), str(release))
    if name != "Debian" or release not in DEBIAN_RELEASES:
        running = "%s %s (%s)" % (name, facts.get("distribution_version", "?"), release)
    return ["%s runs %s; the %s role supports %s. Run it on one of those; nothing was changed."
            % (host, running, role, wanted)]


class FilterModule:
    def filters(self):
        return {"platform_problems": platform_problems}
