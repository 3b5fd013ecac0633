"""One restart pattern: a node that fails to come back stops the rollout,
naming it; the next run resumes. And one SECRET_KEY, whatever is rebuilt."""

import re

from conftest import accepted_everywhere, backends, http, login, secret_keys, wait_until

ONLY_SEAFILE = "seafile_node_preflight,seafile_node_configure,seafile_node_restart"


def started(node, name):
    return node(name).check_output("systemctl show -P ActiveEnterTimestampMonotonic seafile.service")


def test_a_node_that_fails_to_start_stops_the_rollout(groups, node, playbook, py):
    first, rest = groups["seafile_nodes"][0], groups["seafile_nodes"][1:]
    before = {name: started(node, name) for name in rest}
    broken = {"seafile_node_config_overrides": {"seafile.conf": {"cluster": {"enabled": "false"}}}}
    rc, output, recap = playbook("seafile.yml", extra_vars=broken, tags=ONLY_SEAFILE)
    assert rc != 0, output
    # It stopped at the first node, naming it.
    assert re.search(r"^(fatal|failed): \[%s\]" % first, output, re.M), output
    assert "Restart seafile and seahub on %s" % first in output
    assert "Restart seafile and seahub on %s" % rest[0] not in output
    # The others were not restarted and still serve, through the load balancer too.
    assert {name: started(node, name) for name in rest} == before
    assert http(py, groups["seafile_lb"][0], "print(json.dumps(call('GET', 'http://127.0.0.1/api2/ping/')[0]))") == 200
    # Their new (broken) files wait for a restart: the next run resumes it.
    for name in rest:
        assert node(name).file("/opt/seafile/.filesync-restart-pending").exists
    rc, output, recap = playbook("seafile.yml", tags=ONLY_SEAFILE)
    assert rc == 0, output
    for name in groups["seafile_nodes"]:
        assert not node(name).file("/opt/seafile/.filesync-restart-pending").exists
        assert node(name).run("systemctl is-active seafile.service").stdout.strip() == "active"
    # Drained for their restart, every node is back in every backend.
    assert wait_until(lambda: {state for (_backend, server), state in backends(py, groups["seafile_lb"][0]).items()
                               if server in groups["seafile_nodes"]} == {"UP"}, timeout=60)


def test_rebuilding_the_setup_node_keeps_the_one_secret_key(groups, node, address, playbook, py):
    keys = secret_keys(groups, node)
    assert len(keys) == 1
    user, session = login(py, groups["seafile_lb"][0])
    first = groups["seafile_nodes"][0]
    node(first).check_output("rm -rf /opt/seafile/conf")
    rc, output, _recap = playbook("seafile.yml")
    assert rc == 0, output
    assert secret_keys(groups, node) == keys
    assert wait_until(lambda: accepted_everywhere(groups, address, py, user, session), timeout=60)


def test_a_new_node_listed_first_receives_the_existing_configuration(groups, node, address, playbook, py):
    keys = secret_keys(groups, node)
    user, session = login(py, groups["seafile_lb"][0])
    last = groups["seafile_nodes"][-1]
    # A host without any configuration that comes first: setup must not run again.
    node(last).check_output("rm -rf /opt/seafile/conf")
    rc, output, _recap = playbook("seafile.yml", extra_vars={"seafile_node_setup_host": last})
    assert rc == 0, output
    setup = re.search(r"TASK \[filesync.cluster.seafile_node : Run setup[^\n]*\n(\w+):", output)
    assert setup and setup.group(1) == "skipping", output
    assert secret_keys(groups, node) == keys
    assert wait_until(lambda: accepted_everywhere(groups, address, py, user, session), timeout=60)
