"""Every preflight refusal: the exact message, and no host changed."""

import pytest

from conftest import galera_status, refused, wait_until

WATCHED = [
    "/etc/mysql/mariadb.conf.d/99-filesync-galera.cnf",
    "/etc/memcached.conf",
    "/etc/default/etcd",
    "/etc/etcd/bootstrap.env",
    "/etc/haproxy/haproxy.cfg",
    "/etc/ganesha/ganesha.conf",
    "/etc/passwd",
    "/etc/group",
]


@pytest.fixture
def unchanged(groups, node):
    """Asserts after the test that no watched file changed on any host."""

    def snapshot():
        return {
            name: node(name).run("md5sum %s 2>/dev/null" % " ".join(WATCHED)).stdout
            for name in groups["all"]
        }

    before = snapshot()
    yield
    assert snapshot() == before


def test_galera_refuses_an_even_member_count_without_arbitrator(playbook, groups, unchanged):
    extra = {"galera": {"hosts": {groups["haproxy"][0]: None}}}
    refused(playbook("galera.yml", extra_inventory=extra, tags="galera_preflight"),
            "Galera needs an odd number of voters to keep quorum: group 'galera' has 4 member(s) "
            "and group 'galera_arbitrator' 0 arbitrator(s).")


def test_galera_refuses_missing_passwords(playbook, unchanged):
    refused(playbook("galera.yml", extra_vars={"galera_sst_password": ""}, tags="galera_preflight"),
            "galera_sst_password and galera_clustercheck_password must be set in the inventory or a vault")


def test_galera_refuses_to_touch_an_unhealthy_cluster(playbook, groups, node, unchanged):
    last = groups["galera"][-1]
    node(last).check_output("systemctl stop mariadb")
    try:
        refused(playbook("galera.yml", tags="galera_preflight"),
                "Galera cluster 'filesync' is deployed but not healthy, so nothing was changed: "
                "%s is not running (no cluster) (%d of %d members Synced)." % (last, len(groups["galera"]) - 1, len(groups["galera"])))
    finally:
        node(last).check_output("systemctl start mariadb")
    assert wait_until(lambda: galera_status(node(last))["wsrep_local_state_comment"] == "Synced")


def test_memcached_refuses_to_listen_everywhere(playbook, unchanged):
    refused(playbook("memcached.yml", extra_vars={"memcached_listen_address": "0.0.0.0"}, tags="memcached_preflight"),
            "memcached_listen_address is '0.0.0.0': memcached has no authentication")


def test_memcached_refuses_a_tiny_memory_cap(playbook, unchanged):
    refused(playbook("memcached.yml", extra_vars={"memcached_memory_mb": 16}, tags="memcached_preflight"),
            "memcached_memory_mb must be at least 64 (the vendor recommends 256)")


def test_haproxy_refuses_a_stats_page_without_password(playbook, unchanged):
    refused(playbook("haproxy.yml", extra_vars={"haproxy_stats_password": ""}, tags="haproxy_preflight"),
            "haproxy_stats_enabled is true but haproxy_stats_password is empty")


@pytest.mark.parametrize("stickiness", [{"sticky_cookie": "SERVERID"}, {"sticky_url_param": "rpcid"}])
def test_haproxy_refuses_http_stickiness_on_a_tcp_service(playbook, unchanged, stickiness):
    service = dict({"name": "bad", "mode": "tcp", "bind": ["*:9999"], "port": 9999, "servers_group": "galera"}, **stickiness)
    refused(playbook("haproxy.yml", extra_vars={"haproxy_services": [service]}, tags="haproxy_preflight"),
            "haproxy_services item 'bad' is not usable")


@pytest.mark.parametrize("field, value", [("sticky_cookie", "SRV insert #x"), ("name", "web one"), ("balance", "first\nmode tcp"),
                                          ("sticky_url_param", "rpc'id")])
def test_haproxy_refuses_a_word_it_would_split_or_read_differently(playbook, unchanged, field, value):
    service = dict({"name": "web", "mode": "http", "bind": ["*:9999"], "port": 9999, "servers_group": "galera"}, **{field: value})
    refused(playbook("haproxy.yml", extra_vars={"haproxy_services": [service]}, tags="haproxy_preflight"),
            "These values are written as one word into haproxy.cfg")


def test_haproxy_refuses_an_option_that_opens_a_listener_of_its_own(playbook, unchanged):
    service = {"name": "web", "mode": "tcp", "bind": ["*:9999"], "port": 9999, "servers_group": "galera",
               "options": ["timeout client 1m", "bind *:3307"]}
    result = playbook("haproxy.yml", extra_vars={"haproxy_services": [service]}, tags="haproxy_preflight")
    refused(result, "bind *:3307")
    refused(result, "which the role writes itself: use the service")


def test_haproxy_refuses_a_certificate_name_that_is_not_a_file_name(playbook, unchanged):
    refused(playbook("haproxy.yml", extra_vars={"haproxy_tls_certificates": [{"name": "../site", "content": "x"}]},
                     tags="haproxy_preflight"), 'These values are written as one word into haproxy.cfg')


def test_haproxy_refuses_an_unknown_backend_group(playbook, unchanged):
    service = {"name": "nowhere", "mode": "tcp", "bind": ["*:9999"], "port": 9999, "servers_group": "missing"}
    refused(playbook("haproxy.yml", extra_vars={"haproxy_services": [service]}, tags="haproxy_preflight"),
            "'missing' is not a non-empty inventory group")


def test_etcd_refuses_an_even_member_count(playbook, groups, unchanged):
    extra = {"etcd": {"hosts": {groups["haproxy"][0]: None}}}
    refused(playbook("etcd.yml", extra_inventory=extra, tags="etcd_preflight"),
            "etcd needs 3 or 5 members (an odd number, at least 3) in group 'etcd'; it has 4.")


def test_etcd_refuses_to_touch_an_unhealthy_cluster(playbook, groups, node, unchanged):
    last = groups["etcd"][-1]
    node(last).check_output("systemctl stop etcd")
    try:
        refused(playbook("etcd.yml", tags="etcd_preflight"),
                "etcd cluster is not healthy, so nothing was changed: %s did not answer 'endpoint health'." % last)
    finally:
        node(last).check_output("systemctl start etcd")


def test_etcd_refuses_some_of_the_tls_files_only(playbook, unchanged):
    refused(playbook("etcd.yml", extra_vars={"etcd_tls_enabled": True, "etcd_tls_cert": ""}, tags="etcd_preflight"),
            "etcd_tls_ca_cert, etcd_tls_cert and etcd_tls_key are set for some of the three files only")


def test_etcd_refuses_to_switch_a_tls_cluster_back_to_plain(playbook, groups, unchanged):
    refused(playbook("etcd.yml", extra_vars={"etcd_tls_enabled": False}),
            "etcd_tls_enabled is false, but %s run etcd with TLS" % ", ".join(groups["etcd"]))


def test_nfs_refuses_an_export_open_to_everyone(playbook, unchanged):
    exports = [{"path": "/srv/nfs/filesync", "clients": ["*"]}]
    refused(playbook("nfs.yml", extra_vars={"nfs_exports": exports}, tags="nfs_preflight"),
            "Export /srv/nfs/filesync must name its clients explicitly")


def test_nfs_refuses_a_service_user_with_another_uid(playbook, groups, unchanged):
    refused(playbook("nfs.yml", extra_vars={"nfs_service_uid": 2001}, tags="nfs_preflight"),
            "user 'seafile' has UID 2000 and group 'seafile' GID 2000, but every node must use UID 2001")


def test_galera_refuses_a_bootstrap_host_outside_the_cluster(playbook, groups, unchanged):
    lb = groups["haproxy"][0]
    refused(playbook("galera.yml", extra_vars={"galera_bootstrap_host": lb}, tags="galera_preflight"),
            "galera_bootstrap_host '%s' is not in group 'galera'." % lb)


def test_haproxy_refuses_duplicate_service_names(playbook, unchanged):
    service = {"name": "twice", "mode": "tcp", "bind": ["*:9999"], "port": 9999, "servers_group": "galera"}
    refused(playbook("haproxy.yml", extra_vars={"haproxy_services": [service, dict(service, bind=["*:9998"])]}, tags="haproxy_preflight"),
            "haproxy_services names must be unique")


def test_a_host_whose_address_cannot_be_known_stops_the_run(playbook, unchanged):
    # A backend that cannot be reached has no facts and no filesync_address.
    extra = {"ghosts": {"hosts": {"ghost-backend": {"ansible_connection": "community.docker.docker"}}}}
    service = {"name": "ghost", "mode": "tcp", "bind": ["*:9999"], "port": 9999, "servers_group": "ghosts"}
    refused(playbook("haproxy.yml", extra_vars={"haproxy_services": [service]}, extra_inventory=extra, tags="haproxy_preflight"),
            "ghost-backend")


def test_an_unreachable_load_balancer_stops_the_galera_run_instead_of_leaving_the_allow_list(playbook, unchanged):
    # Before: the health endpoint's allow-list silently dropped a load balancer
    # without facts, so every member answered it 403.
    extra = {"haproxy": {"hosts": {"ghost-lb": {"ansible_connection": "community.docker.docker"}}}}
    refused(playbook("galera.yml", extra_inventory=extra), "ghost-lb")


def test_an_unreachable_nfs_client_stops_the_run_instead_of_losing_its_export(playbook, unchanged):
    extra = {"nfs_clients": {"hosts": {"ghost-client": {"ansible_connection": "community.docker.docker"}}}}
    refused(playbook("nfs.yml", extra_inventory=extra), "ghost-client")


def test_limit_keeps_every_load_balancer_in_the_health_endpoints_allow_list(playbook, groups, address, node, unchanged):
    rc, output, recap = playbook("galera.yml", limit="galera")
    assert rc == 0, output
    assert set(recap) == set(groups["galera"]), recap
    for name in groups["galera"]:
        script = node(name).file("/usr/local/sbin/galera-clustercheck").content_string
        for lb in groups["haproxy"]:
            assert " %s " % address(lb) in script
