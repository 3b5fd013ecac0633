"""The firewall role's rules, rendered from each role's own rule list and
loaded by the real nft into a throw-away network namespace."""

import shutil
import subprocess

import pytest

from render import backend_hosts, render, render_value

NFT = shutil.which("nft") or "/usr/sbin/nft"


def galera_inventory():
    groups, hostvars = backend_hosts(("galera", 3), ("haproxy", 1), ("galera_arbitrator", 1), ("seafile_nodes", 2))
    hostvars["haproxy1"]["filesync_address"] = "fd00::5"
    return groups, hostvars


def rules_of(role, name, groups, hostvars, **extra):
    return render_value(role, name, groups=groups, hostvars=hostvars, **extra)


def table(service, rules, groups, hostvars, **extra):
    return render("firewall", "service.nft.j2", firewall_service=service, firewall_rules=rules, groups=groups,
                  hostvars=hostvars, **extra)


def nft(text, *argv):
    """Load text with the real nft into a new network namespace, then run nft argv there."""
    script = "%s -f - && %s %s" % (NFT, NFT, " ".join(argv)) if argv else "%s -f -" % NFT
    return subprocess.run(["unshare", "--net", "sh", "-c", script], input=text, capture_output=True, text=True,
                          check=False)


pytestmark = pytest.mark.skipif(subprocess.run(["unshare", "--net", "true"], check=False).returncode != 0,
                                reason="needs unshare --net (root)")


def test_galera_ports_answer_the_hosts_that_need_them_only():
    groups, hostvars = galera_inventory()
    rules = rules_of("galera", "__galera_firewall_rules", groups, hostvars, galera_group="galera",
                     galera_client_groups=["seafile_nodes"])
    text = table("galera", rules, groups, hostvars)
    assert "tcp th dport { 3306 } ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.13, 10.0.0.16, 10.0.0.17 } accept" in text
    assert "tcp th dport { 3306 } ip6 saddr { fd00::5 } accept" in text
    assert "tcp th dport { 4567 } ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.13, 10.0.0.15 } accept" in text
    assert "tcp th dport { 4444, 4568 } ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.13 } accept" in text
    assert "tcp th dport { 9200 } ip6 saddr { fd00::5 } accept" in text and "tcp th dport { 9200 } drop" in text
    loaded = nft(text, "list table inet filesync_galera")
    assert loaded.returncode == 0, loaded.stderr
    assert "hook prerouting" in loaded.stdout and "10.0.0.15" in loaded.stdout


def test_a_table_is_replaced_at_once_and_removed_when_disabled():
    groups, hostvars = galera_inventory()
    rules = [{"ports": [11211], "from_hosts": ["galera1"], "comment": "memcached"}]
    first = table("memcached", rules, groups, hostvars)
    second = table("memcached", rules, groups, hostvars, firewall_enabled=False)
    assert "delete table inet filesync_memcached" in second and "chain" not in second
    both = nft(first + first, "list tables")
    assert both.returncode == 0, both.stderr
    assert both.stdout.count("filesync_memcached") == 1
    gone = nft(first + second, "list tables")
    assert gone.returncode == 0, gone.stderr
    assert "filesync_memcached" not in gone.stdout


def test_every_role_s_rules_load():
    groups, hostvars = backend_hosts(("galera", 3), ("haproxy", 1), ("etcd", 3), ("memcached", 2), ("redis", 1),
                                     ("seafile_nodes", 2), ("seafile_lb", 1), ("nfs_server", 1), ("nfs_clients", 2),
                                     ("powerfolder_nodes", 2), ("powerfolder_lb", 1), ("seatable_web", 1),
                                     ("dtable_servers", 2), ("dtable_proxy", 1))
    for role, name, service, extra in [
            ("etcd", "__etcd_firewall_rules", "etcd", {}),
            ("memcached", "__memcached_firewall_rules", "memcached", {}),
            ("redis", "__redis_firewall_rules", "redis", {}),
            ("nfs", "__nfs_firewall_rules", "nfs", {"inventory_hostname": "nfs_server1"}),
            ("seafile_node", "__seafile_node_firewall_rules", "seafile", {"inventory_hostname": "seafile_nodes1"}),
            ("powerfolder_node", "__powerfolder_node_firewall_rules", "powerfolder",
             {"inventory_hostname": "powerfolder_nodes1"}),
            ("seatable", "__seatable_firewall_rules", "seatable", {"inventory_hostname": "seatable_web1"}),
            ("haproxy", "__haproxy_firewall_rules", "haproxy", {"haproxy_services": [HAPROXY_GALERA]})]:
        rules = rules_of(role, name, groups, hostvars, **extra)
        assert rules and all(rule["from_hosts"] for rule in rules), (role, rules)
        loaded = nft(table(service, rules, groups, hostvars), "list table inet filesync_" + service)
        assert loaded.returncode == 0, (role, loaded.stderr)


def test_preflight_refuses_a_host_without_an_address():
    groups, hostvars = galera_inventory()
    del hostvars["galera_arbitrator1"]["filesync_address"]
    rules = rules_of("galera", "__galera_firewall_rules", groups, hostvars, galera_group="galera")
    with pytest.raises(Exception, match="No address is known for galera_arbitrator1"):
        render_value("firewall", "__firewall_rendered", firewall_rules=rules, groups=groups, hostvars=hostvars)


def test_seafile_health_check_answers_the_load_balancers_only():
    groups, hostvars = backend_hosts(("seafile_nodes", 2), ("seafile_lb", 1))
    rules = rules_of("seafile_node", "__seafile_node_firewall_rules", groups, hostvars,
                     inventory_hostname="seafile_nodes1")
    text = table("seafile", rules, groups, hostvars)
    assert "tcp th dport { 8000, 8082 } ip saddr { 10.0.0.13, 10.0.0.11, 10.0.0.12 } accept" in text
    assert "tcp th dport { 11001 } ip saddr { 10.0.0.13 } accept" in text and "tcp th dport { 11001 } drop" in text


HAPROXY_GALERA = {"name": "galera", "mode": "tcp", "bind": ["10.0.0.20:3306"], "port": 3306, "servers_group": "galera",
                  "clients_groups": ["seafile_nodes", "powerfolder_nodes", "no_such_group"]}


def test_haproxy_internal_services_answer_their_clients_only_and_public_ones_everyone():
    groups, hostvars = backend_hosts(("galera", 3), ("seafile_nodes", 2), ("powerfolder_nodes", 1))
    public = {"name": "web", "mode": "http", "bind": ["*:80", "[::]:443 ssl crt /etc/haproxy/certs/site.pem"],
              "port": 8000, "servers_group": "seafile_nodes"}
    rules = rules_of("haproxy", "__haproxy_firewall_rules", groups, hostvars, haproxy_services=[HAPROXY_GALERA, public])
    assert rules == [{"comment": "galera, for seafile_nodes, powerfolder_nodes, no_such_group", "ports": ["3306"],
                      "from_hosts": ["seafile_nodes1", "seafile_nodes2", "powerfolder_nodes1"]}]
    internal = dict(public, clients_groups=["galera"])
    rules = rules_of("haproxy", "__haproxy_firewall_rules", groups, hostvars, haproxy_services=[internal])
    assert rules[0]["ports"] == ["80", "443"], rules
