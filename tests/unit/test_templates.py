"""Role templates rendered with Ansible's templating."""

import configparser
import json

from render import backend_hosts, layouts, render, render_value


def haproxy(services, *groups_and_counts, **extra):
    groups, hostvars = backend_hosts(*groups_and_counts)
    return render("haproxy", "haproxy.cfg.j2", haproxy_services=services, groups=groups, hostvars=hostvars, **extra)


def section(config, name):
    block = config.split("\nlisten %s\n" % name)[1].split("\nlisten ")[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_seafile_layout_is_the_vendors_current_one():
    config = haproxy(layouts()["seafile"], ("seafile_nodes", 2))
    seahub = section(config, "seahub")
    assert "bind *:80" in seahub and "bind *:443 ssl crt /etc/haproxy/certs/seafile.pem" in seahub and "mode http" in seahub
    assert "cookie SEAFILE_NODE insert indirect nocache" in seahub
    assert "server seafile_nodes1 10.0.0.11:8000 check port 11001 cookie seafile_nodes1" in seahub
    assert "use_backend seafile-fileserver if { path_beg /seafhttp }" in seahub
    fileserver = section(config, "seafile-fileserver")
    assert not [line for line in fileserver if line.startswith("bind")]
    assert "http-request replace-path ^/seafhttp(/.*) \\1" in fileserver and "balance leastconn" in fileserver
    assert "server seafile_nodes2 10.0.0.12:8082 check port 11001" in fileserver
    # Seed 000's obsolete ports are gone.
    assert ":10001" not in config and ":12001" not in config


def test_a_held_backend_is_written_disabled():
    groups, hostvars = backend_hosts(("seafile_nodes", 2))
    hostvars["seafile_nodes2"]["haproxy_backend_held"] = ["seafile_nodes"]
    config = render("haproxy", "haproxy.cfg.j2", haproxy_services=layouts()["seafile"], groups=groups, hostvars=hostvars)
    assert "server seafile_nodes2 10.0.0.12:8000 check port 11001 cookie seafile_nodes2 disabled" in section(config, "seahub")
    assert "server seafile_nodes1 10.0.0.11:8000 check port 11001 cookie seafile_nodes1" in section(config, "seahub")
    # Held in the services of that group only: a Seafile node that is also a Galera member keeps serving Galera.
    groups["galera"] = groups["seafile_nodes"]
    config = render("haproxy", "haproxy.cfg.j2", haproxy_services=layouts()["galera"], groups=groups, hostvars=hostvars,
                    filesync_address="10.0.0.9")
    assert not [line for line in section(config, "galera") if line.endswith("disabled")]


def test_powerfolder_layout_sticks_browsers_and_the_tunnel_for_more_than_five_minutes():
    config = haproxy(layouts()["powerfolder"], ("powerfolder_nodes", 2))
    lines = section(config, "powerfolder")
    assert "bind *:80" in lines and "bind *:443 ssl crt /etc/haproxy/certs/powerfolder.pem" in lines
    assert "cookie PFSERVERID insert indirect nocache" in lines
    assert "stick-table type string len 128 size 200k expire 30m" in lines and "stick on url_param(rpcid)" in lines
    assert "option httpchk GET /" in lines and "http-check expect rstatus ^(200|302)$" in lines
    assert "server powerfolder_nodes2 10.0.0.12:8080 check cookie powerfolder_nodes2" in lines


def test_galera_layout_has_one_writer_and_backups_checked_on_9200():
    config = haproxy(layouts()["galera"], ("galera", 3))
    lines = section(config, "galera")
    assert "option httpchk GET /" in lines and "http-check expect status 200" in lines
    servers = [line for line in lines if line.startswith("server ")]
    assert servers[0] == ("server galera1 10.0.0.11:3306 check port 9200 on-marked-down shutdown-sessions"
                          " on-marked-up shutdown-backup-sessions")
    assert all(line.endswith(" backup") for line in servers[1:]) and len(servers) == 3


def test_stats_page_only_with_credentials():
    assert "listen stats" not in haproxy([])
    config = haproxy([], haproxy_stats_enabled=True, haproxy_stats_password="s3cret")
    assert "http-request auth realm stats unless { http_auth(filesync_stats) }" in section(config, "stats")
    assert "s3cret" not in config and "user 'admin' password '$6$" in config


def test_backends_are_each_hosts_one_address_or_explicit_servers():
    groups, hostvars = backend_hosts(("nodes", 2))
    config = render("haproxy", "haproxy.cfg.j2", groups=groups, hostvars=hostvars, haproxy_services=[
        {"name": "a", "mode": "tcp", "bind": ["*:1"], "port": 1, "servers_group": "nodes"},
        {"name": "b", "mode": "tcp", "bind": ["*:2"], "port": 2, "servers": [{"name": "x", "address": "192.0.2.9"}]},
    ])
    assert "server nodes2 10.0.0.12:1 check" in section(config, "a")
    assert "server x 192.0.2.9:2 check" in section(config, "b")


def test_galera_config_lists_the_other_members_and_keeps_the_password_out():
    config = render("galera", "galera.cnf.j2", __galera_node_addresses=["10.0.0.1", "10.0.0.2", "10.0.0.3"],
                    filesync_address="10.0.0.2", galera_sst_password="hidden")
    parser = configparser.ConfigParser(comment_prefixes=("#",))
    parser.read_string(config)
    # Not itself (Galera 26.4.2x with socket.dynamic refuses its own address as another node).
    assert parser["galera"]["wsrep_cluster_address"] == '"gcomm://10.0.0.1,10.0.0.3"'
    alone = render("galera", "galera.cnf.j2", __galera_node_addresses=["10.0.0.1"], filesync_address="10.0.0.1")
    assert 'wsrep_cluster_address = "gcomm://10.0.0.1"' in alone
    assert parser["galera"]["wsrep_sst_method"] == '"mariabackup"'
    assert parser["mysqld"]["binlog_format"] == '"ROW"'


def test_galera_overrides_merge_into_the_option_file():
    config = render("galera", "galera.cnf.j2", __galera_node_addresses=["10.0.0.1"], filesync_address="10.0.0.1",
                    galera_config_overrides={"mysqld": {"innodb_log_file_size": "512M", "max_connections": 9},
                                             "sst": {"compressor": "pigz"}})
    parser = configparser.ConfigParser(comment_prefixes=("#",))
    parser.read_string(config)
    assert parser["mysqld"]["innodb_log_file_size"] == '"512M"' and parser["mysqld"]["max_connections"] == '"9"'
    assert parser["sst"]["compressor"] == '"pigz"' and parser["galera"]["wsrep_on"] == '"ON"'
    assert "hidden" not in config
    sst = render("galera", "galera-sst.cnf.j2", galera_sst_password="hidden")
    assert 'wsrep_sst_auth = "mariabackup:hidden"' in sst


def test_clustercheck_allows_only_the_listed_addresses():
    script = render("galera", "galera-clustercheck.j2", __galera_clustercheck_addresses=["127.0.0.1", "::1", "10.0.0.9"])
    assert 'allowed=" 127.0.0.1 ::1 10.0.0.9 "' in script
    assert "503 Service Unavailable" in script and "403 Forbidden" in script


def test_memcached_config_disables_udp_and_caps_memory():
    config = render("memcached", "memcached.conf.j2", filesync_address="10.0.0.5")
    lines = config.splitlines()
    assert "-l 10.0.0.5" in lines and "-U 0" in lines and "-m 256" in lines and "-c 1024" in lines


def test_etcd_config_uses_tls_urls_by_default_and_plain_only_when_disabled():
    member = dict(filesync_address="10.0.0.5", groups={"etcd": ["node1"]}, hostvars={"node1": {"filesync_address": "10.0.0.5"}})
    plain = render("etcd", "etcd.env.j2", etcd_tls_enabled=False, **member)
    assert 'ETCD_ADVERTISE_CLIENT_URLS="http://10.0.0.5:2379"' in plain
    assert "CERT" not in plain
    assert 'ETCD_NAME="node1"' in plain
    tls = render("etcd", "etcd.env.j2", **member)
    assert 'ETCD_ADVERTISE_CLIENT_URLS="https://10.0.0.5:2379"' in tls
    assert 'ETCD_PEER_CLIENT_CERT_AUTH="true"' in tls and 'ETCD_CLIENT_CERT_AUTH="true"' in tls


def test_etcd_switch_from_plain_goes_over_a_plain_bridge_with_peer_certificates_then_tls_only():
    members = ["node1", "node2", "node3"]
    hostvars = {name: {"filesync_address": "10.0.0.%d" % i} for i, name in enumerate(members, 1)}
    listed = {"members": [{"ID": 100 + i, "name": name, "peerURLs": ["%s://10.0.0.%d:2380" % ("https" if i == 1 else "http", i)]}
                          for i, name in enumerate(members, 1)]}
    member = dict(filesync_address="10.0.0.2", inventory_hostname="node2", groups={"etcd": members}, hostvars=hostvars,
                  __etcd_member_list_pre={"rc": 0, "stdout": json.dumps(listed)})
    assert render_value("etcd", "__etcd_tls_switching", **member) == [{"host": "node2", "id": "66"}, {"host": "node3", "id": "67"}]
    # The bridge: plain for clients and peers, with the peer certificate it
    # reaches peers that moved to TLS with.
    bridge = render("etcd", "etcd.env.j2", **member)
    assert 'ETCD_LISTEN_PEER_URLS="http://10.0.0.2:2380"' in bridge
    assert 'ETCD_LISTEN_CLIENT_URLS="http://10.0.0.2:2379,http://127.0.0.1:2379"' in bridge
    assert 'ETCD_PEER_CERT_FILE="/etc/etcd/pki/member.crt"' in bridge and "ETCD_CLIENT_CERT_AUTH" not in bridge
    past = render("etcd", "etcd.env.j2", __etcd_tls_pass2=True, **member)
    assert 'ETCD_LISTEN_PEER_URLS="https://10.0.0.2:2380"' in past and "http://" not in past
    # Plain (SeaTable's etcd) has nothing to switch; TLS back to plain is refused, not switched.
    assert render_value("etcd", "__etcd_tls_switching", etcd_tls_enabled=False, **member) == []


def test_nfs_exports_name_clients_and_squash_root():
    exports = render("nfs", "exports.j2", __nfs_default_clients=["10.0.0.2", "10.0.0.3"])
    assert ("/srv/nfs/filesync 10.0.0.2(rw,root_squash,sync,no_subtree_check) "
            "10.0.0.3(rw,root_squash,sync,no_subtree_check)") in exports
    ganesha = render("nfs", "ganesha.conf.j2", __nfs_default_clients=["10.0.0.2"])
    assert "Squash = Root_Squash;" in ganesha and "Clients = 10.0.0.2;" in ganesha
    assert "Access_Type = None;" in ganesha
    assert "allow_set_io_flusher_fail" not in ganesha


def test_ganesha_runs_without_cap_sys_resource_only_where_asked_and_known():
    def core(release, allow):
        text = render("nfs", "ganesha.conf.j2", __nfs_default_clients=["10.0.0.2"],
                      nfs_ganesha_allow_set_io_flusher_fail=allow,
                      ansible_facts={"distribution_major_version": release})
        return text.split("NFS_CORE_PARAM {", 1)[1].split("}", 1)[0]
    assert "allow_set_io_flusher_fail = true;" in core("13", True)
    # NFS-Ganesha 4 (Debian 12) does not know the option; nobody asked on Debian 13.
    assert "allow_set_io_flusher_fail" not in core("12", True)
    assert "allow_set_io_flusher_fail" not in core("13", False)


def test_nfs_mount_unit_mounts_the_export_at_the_same_path():
    unit = render("nfs", "nfs.mount.j2", nfs_server_address="10.0.0.1",
                  item={"export": "/srv/nfs/filesync", "path": "/srv/filesync", "options": ["rw", "hard"]})
    assert "What=10.0.0.1:/srv/nfs/filesync" in unit and "Where=/srv/filesync" in unit
    assert "Options=rw,hard" in unit and "Type=nfs" in unit


def test_grastate_reads_what_galera_writes():
    from ansible_collections.filesync.cluster.plugins.filter.galera_state import grastate
    text = ("# GALERA saved state\nversion: 2.1\nuuid:    5ee99582-bb8d-11e2-b8e3-23de375c1d30\n"
            "seqno:   8204503945773\nsafe_to_bootstrap: 1\n")
    assert grastate(text) == {"uuid": "5ee99582-bb8d-11e2-b8e3-23de375c1d30", "seqno": 8204503945773, "safe": True}
    assert grastate(text.replace("8204503945773", "-1").replace("bootstrap: 1", "bootstrap: 0"))["seqno"] == -1
    assert grastate("") == {"uuid": "00000000-0000-0000-0000-000000000000", "seqno": -1, "safe": False}
