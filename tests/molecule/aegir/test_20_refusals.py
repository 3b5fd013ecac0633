"""Every refusal of the Pack's preflight (and the nfs role's live-client
rule), each before any change, naming what to fix."""

import pytest
from conftest import refused


def test_a_host_in_both_groups_is_refused(groups, playbook):
    master = groups["aegir_master"][0]
    refused(playbook("aegir_pack.yml", extra_inventory={"aegir_web": {"hosts": {master: None}}}),
            "%s is in both 'aegir_master' and 'aegir_web': a host is an Aegir master or a web slave, never both" % master)


def test_an_empty_slave_group_is_refused(playbook):
    refused(playbook("aegir_pack.yml", extra_vars={"aegir_web_node_web_group": "no_such_group"}),
            "Group 'no_such_group' is empty: a Pack needs at least one web slave.")


def test_ids_that_differ_from_the_master_are_refused(groups, playbook):
    refused(playbook("aegir_pack.yml", extra_vars={"aegir_web_node_uid": 2301}),
            "On %s user 'aegir' has UID/GID 2300/2300, but every node must use 2301/2300" % groups["aegir_master"][0])


def test_a_uid_that_belongs_to_another_account_is_refused(groups, node, playbook):
    slave = groups["aegir_web"][-1]
    node(slave).check_output("useradd --uid 2401 --no-create-home intruder")
    try:
        refused(playbook("aegir_pack.yml", extra_vars={"aegir_web_node_uid": 2401}),
                "On %s UID 2401 or GID 2300 already belongs to another account (intruder)" % slave)
    finally:
        node(slave).check_output("userdel intruder")


def test_a_share_owned_by_someone_else_is_refused(groups, node, playbook):
    master = groups["aegir_master"][0]
    node(master).check_output("chown 2999 /var/aegir/platforms")
    try:
        refused(playbook("aegir_pack.yml"), "The share /var/aegir/platforms on the master is owned by 2999:2300, not by the aegir user 2300:2300.")
    finally:
        node(master).check_output("chown 2300 /var/aegir/platforms")


def test_an_export_list_that_drops_a_live_client_is_refused(groups, node, address, playbook):
    master, kept, dropped = groups["aegir_master"][0], groups["aegir_web"][0], groups["aegir_web"][-1]
    # A client that holds a connection to the NFS port (as a mounted client does).
    node(dropped).check_output(
        "systemd-run --unit nfs-holder python3 -c \"import socket, time; s = socket.create_connection(('%s', 2049)); time.sleep(300)\""
        % address(master))
    try:
        exports = [{"path": "/var/aegir/platforms", "clients": [address(kept)], "squash": "root_squash", "mode": "0755"}]
        refused(playbook("aegir_pack.yml", extra_vars={"nfs_exports": exports}),
                "The new exports would drop %s, which has the share mounted now (a live NFS connection to %s)"
                % (address(dropped), master))
    finally:
        node(dropped).run("systemctl stop nfs-holder")


@pytest.mark.parametrize("server", ["lighttpd"])
def test_an_unknown_web_server_is_refused(playbook, server):
    refused(playbook("aegir_pack.yml", extra_vars={"aegir_web_node_server": server}), "aegir_web_node_server must be apache or nginx")


@pytest.mark.parametrize("user", ["aegir ALL=(ALL) ALL #", "Aegir", "ae:gir"])
def test_a_user_name_sudoers_or_useradd_would_read_differently_is_refused(playbook, user):
    refused(playbook("aegir_pack.yml", extra_vars={"aegir_web_node_user": user}),
            "aegir_web_node_user and aegir_web_node_group must be names useradd, sudoers and systemd accept")


def test_a_master_that_is_also_an_nfs_server_is_refused(playbook, groups):
    master = groups["aegir_master"][0]
    refused(playbook("aegir_pack.yml", extra_inventory={"nfs_server": {"hosts": {master: None}}}),
            "The Aegir master %s is also in group 'nfs_server': its exports would replace each other." % master)
