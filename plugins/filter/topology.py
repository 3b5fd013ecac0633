# Copyright: filesync.cluster maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One address per host, read everywhere: the filters every role uses to turn
inventory groups into the address lists and endpoint lists of a cluster."""

from ansible.errors import AnsibleFilterError

ADDRESS_VAR = "filesync_address"


def _address(hostvars, host):
    try:
        host_vars = hostvars[host]
    except KeyError:
        return None
    try:
        value = host_vars[ADDRESS_VAR]
    except (KeyError, AnsibleFilterError):
        return None
    if value is None or not isinstance(value, str) or not value.strip():
        return None
    return value


def addresses(hosts, hostvars):
    """The filesync_address of every host, in order; fails naming each host whose address is unknown."""
    if isinstance(hosts, str):
        hosts = [hosts]
    hosts = list(hosts or [])
    found = [(host, _address(hostvars, host)) for host in hosts]
    missing = [host for host, value in found if value is None]
    if missing:
        raise AnsibleFilterError(
            "No address is known for %s: set %s for %s in the inventory, or run the collection's "
            "facts playbook first (filesync.cluster.facts, imported by every playbook of the "
            "collection), which takes it from the host's facts; nothing was changed."
            % (", ".join(missing), ADDRESS_VAR, "it" if len(missing) == 1 else "them"))
    return [value for _host, value in found]


def endpoints(hosts, hostvars, port):
    """host:port for every host, in order (IPv6 addresses in brackets)."""
    return ["%s:%s" % ("[%s]" % value if ":" in value else value, port) for value in addresses(hosts, hostvars)]


class FilterModule:
    def filters(self):
        return {"addresses": addresses, "endpoints": endpoints}
