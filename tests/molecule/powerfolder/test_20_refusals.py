"""Every refusal: preflight's (before any change, naming what to fix) and the
stand-in server's (what PowerFolder itself refuses)."""

import json

import pytest
from conftest import refused

CONFIG = "/var/lib/powerfolder/.PowerFolder/PowerFolder.config"
SERVER = "/opt/powerfolder/current/bin/powerfolder-server"


@pytest.mark.parametrize("extra_vars, message", [
    ({"powerfolder_node_db_password": ""}, "powerfolder_node_db_password is empty: put the database password in a vault."),
    ({"powerfolder_node_url": "cloud.example.com"}, "powerfolder_node_url must be the load balancer's http(s) URL"),
    ({"powerfolder_node_start_command": ""}, "Set powerfolder_node_version, powerfolder_node_archive"),
    ({"powerfolder_node_archive": "/nonexistent/pf.tar.gz"}, "a path must exist on the controller"),
    ({"powerfolder_node_nick": "same"}, "Two nodes have the same powerfolder_node_nick (same, same, same)"),
    ({"powerfolder_node_data_port": 8080}, "must be two different ports"),
    ({"powerfolder_node_uid": 2999}, "The share /srv/filesync is owned by 2000:2000, but the PowerFolder user is 2999:2000"),
    ({"powerfolder_node_storage_path": "/nonexistent/powerfolder"}, "/nonexistent (the parent of powerfolder_node_storage_path) does not exist"),
    # Values written into powerfolder.service that systemd would read differently.
    ({"powerfolder_node_nick": "node 100% \\ up"}, "powerfolder_node_nick contains '%', which a systemd unit's text setting cannot hold"),
    ({"powerfolder_node_start_command": "bin/start --opt $HOME"},
     "powerfolder_node_start_command contains ' ' (space), which a systemd unit setting (one word) cannot hold; '$'"),
])
def test_preflight_refuses_before_any_change(playbook, extra_vars, message):
    refused(playbook("powerfolder_nodes.yml", extra_vars=extra_vars), message)


def test_preflight_refuses_two_nodes_with_one_nodeid(groups, node, playbook):
    first, second = groups["powerfolder_nodes"][:2]
    config = node(second).file(CONFIG).content_string
    nodeid = [line for line in node(first).file(CONFIG).content_string.splitlines() if line.startswith("nodeid=")][0]
    node(second).check_output("systemctl stop powerfolder")
    try:
        node(second).check_output("sed -i 's/^nodeid=.*/%s/' %s" % (nodeid, CONFIG))
        refused(playbook("powerfolder_nodes.yml"), "These nodes share a nodeid (%s, %s)" % (first, second))
    finally:
        node(second).check_output("cat > %s <<'EOF'\n%sEOF" % (CONFIG, config))
        node(second).check_output("systemctl start powerfolder")


def standin(node, name, edit):
    """Run the server as the service user from a copy of the node's file,
    edited by `edit` (lines appended, or keys removed with a leading '-')."""
    home = "/tmp/pf-refusal"
    host = node(name)
    host.check_output("rm -rf {0} && mkdir -p {0}/.PowerFolder && cp {1} {0}/.PowerFolder/ && chown -R powerfolder {0}"
                      .format(home, CONFIG))
    for line in edit:
        if line.startswith("-"):
            host.check_output("sed -i '/^%s=/d' %s/.PowerFolder/PowerFolder.config" % (line[1:].replace(".", "\\."), home))
        else:
            host.check_output("echo %s >> %s/.PowerFolder/PowerFolder.config" % (json.dumps(line), home))
    return host.run("runuser -u powerfolder -- env HOME=%s timeout 60 %s" % (home, SERVER))


@pytest.mark.parametrize("edit, message", [
    (["-hostname"], "hostname is not set"),
    (["-nick"], "nick is not set"),
    (["-database.url"], "database.url is missing or not a jdbc:mysql:// URL"),
    (["hostname=intruder"], "is already used by node"),
])
def test_the_server_refuses_what_powerfolder_refuses(groups, node, edit, message):
    result = standin(node, groups["powerfolder_nodes"][-1], edit)
    assert result.rc == 2, (result.rc, result.stderr)
    assert "PowerFolder refuses to start: " in result.stderr and message in result.stderr
