"""Galera over TLS: the rendered option file and garbd's, the switch between
plain and TLS on a running cluster, preflight's refusals, and the pki role's
names."""

import configparser

from render import render, render_value

MEMBERS = ["db1", "db2", "db3"]
ADDRESSES = {"db1": "10.0.0.1", "db2": "10.0.0.2", "db3": "10.0.0.3"}
GRASTATE = "uuid:    6f1c3a44-0c4e-11f1-8a5e-2f1b4c1a0001\nseqno:   -1\nsafe_to_bootstrap: 0\n"
TLS_OPTIONS = ("socket.ssl_cert=/etc/galera-tls/host.crt;socket.ssl_key=/etc/galera-tls/host.key;"
               "socket.ssl_ca=/etc/galera-tls/ca.crt")
# As SHOW VARIABLES prints them (abridged): plain, TLS, TLS with socket.dynamic, plain with it.
RUNNING = {
    "plain": "base_port = 4567; gcache.size = 128M; socket.checksum = 2; socket.recv_buf_size = auto",
    "tls": "base_port = 4567; socket.checksum = 2; socket.ssl = YES; socket.ssl_ca = /etc/galera-tls/ca.crt; "
           "socket.ssl_cert = /etc/galera-tls/host.crt; socket.ssl_cipher = ; socket.ssl_key = /etc/galera-tls/host.key",
    "bridge": "base_port = 4567; socket.dynamic = YES; socket.ssl = YES; socket.ssl_ca = /etc/galera-tls/ca.crt; "
              "socket.ssl_cert = /etc/galera-tls/host.crt; socket.ssl_key = /etc/galera-tls/host.key",
    "plain_dynamic": "base_port = 4567; socket.checksum = 2; socket.dynamic = YES; socket.recv_buf_size = auto",
}


def cluster(running=None, **host_extra):
    """groups and hostvars of three members; running: {host: plain|tls|bridge} for deployed, running members."""
    hostvars = {}
    for host in MEMBERS:
        hostvars[host] = {"filesync_address": ADDRESSES[host], **host_extra.get(host, {})}
        if running and host in running:
            hostvars[host]["__galera_saved"] = {"files": {"/var/lib/mysql/grastate.dat": GRASTATE}}
            hostvars[host]["__galera_provider_read"] = {"rc": 0, "stdout": RUNNING[running[host]]}
    return {"groups": {"galera": MEMBERS}, "hostvars": hostvars, "inventory_hostname": "db1",
            "filesync_address": "10.0.0.1", "ansible_play_hosts": MEMBERS}


def option_file(**variables):
    config = render("galera", "galera.cnf.j2", __galera_node_addresses=list(ADDRESSES.values()), **variables)
    parser = configparser.ConfigParser(comment_prefixes=("#",))
    parser.read_string(config)
    return parser


def test_a_new_cluster_replicates_and_transfers_state_over_tls():
    parser = option_file(**cluster())
    assert parser["galera"]["wsrep_provider_options"] == '"%s"' % TLS_OPTIONS
    assert "socket.dynamic" not in parser["galera"]["wsrep_provider_options"]
    sst = parser["sst"]
    assert sst["encrypt"] == '"3"' and sst["tca"] == '"/etc/galera-tls/ca.crt"'
    assert sst["tcert"] == '"/etc/galera-tls/host.crt"' and sst["tkey"] == '"/etc/galera-tls/host.key"'
    assert parser["galera"]["wsrep_sst_method"] == '"mariabackup"'


def test_the_overrides_provider_options_are_kept_before_the_tls_ones():
    overrides = {"galera": {"wsrep_provider_options": "gcache.size=1G; gcs.fc_limit=64;"}, "sst": {"compressor": "pigz"}}
    parser = option_file(galera_config_overrides=overrides, **cluster())
    assert parser["galera"]["wsrep_provider_options"] == '"gcache.size=1G;gcs.fc_limit=64;%s"' % TLS_OPTIONS
    assert parser["sst"]["compressor"] == '"pigz"' and parser["sst"]["encrypt"] == '"3"'


def test_without_tls_nothing_of_it_is_written():
    parser = option_file(galera_tls_enabled=False, **cluster())
    assert "wsrep_provider_options" not in parser["galera"] and not parser.has_section("sst")
    overrides = {"galera": {"wsrep_provider_options": "gcache.size=1G"}}
    parser = option_file(galera_tls_enabled=False, galera_config_overrides=overrides, **cluster())
    assert parser["galera"]["wsrep_provider_options"] == '"gcache.size=1G"'


def test_a_plain_running_cluster_is_bridged_with_socket_dynamic_and_every_member_restarts():
    variables = cluster(running={"db1": "plain", "db2": "plain", "db3": "plain"})
    parser = option_file(**variables)
    assert parser["galera"]["wsrep_provider_options"] == '"%s;socket.dynamic=YES"' % TLS_OPTIONS
    # State transfers are encrypted from this run on (both sides read the option file when they start).
    assert parser["sst"]["encrypt"] == '"3"'
    assert render_value("galera", "__galera_tls_switching", **variables) == MEMBERS
    assert render_value("galera", "__galera_tls_outdated", **variables) == MEMBERS
    assert render_value("galera", "__galera_restart_members", **variables) == MEMBERS


def test_a_stopped_switch_restarts_only_the_members_not_on_the_bridge():
    variables = cluster(running={"db1": "bridge", "db2": "plain", "db3": "plain"})
    assert render_value("galera", "__galera_tls_bridge", **variables) is True
    assert render_value("galera", "__galera_tls_outdated", **variables) == ["db2", "db3"]
    # Every member on TLS, some still with socket.dynamic: no bridge, those restart without it.
    variables = cluster(running={"db1": "tls", "db2": "bridge", "db3": "tls"})
    assert render_value("galera", "__galera_tls_bridge", **variables) is False
    assert render_value("galera", "__galera_tls_outdated", **variables) == ["db2"]
    assert option_file(**variables)["galera"]["wsrep_provider_options"] == '"%s"' % TLS_OPTIONS


def test_a_tls_cluster_goes_back_to_plain_over_the_same_bridge():
    variables = cluster(running={"db1": "tls", "db2": "tls", "db3": "tls"})
    parser = option_file(galera_tls_enabled=False, **variables)
    assert parser["galera"]["wsrep_provider_options"] == '"%s;socket.dynamic=YES"' % TLS_OPTIONS
    assert not parser.has_section("sst")
    # Second pass (tasks/tls_switch.yml sets the bridge off): plain, keeping socket.dynamic (a plain
    # member without it crashes on the TLS peer addresses still gossiped).
    parser = option_file(galera_tls_enabled=False, __galera_tls_bridge=False, **variables)
    assert parser["galera"]["wsrep_provider_options"] == '"socket.dynamic=YES"'
    garb = render("galera", "garb.j2", __galera_node_addresses=["10.0.0.1"], galera_tls_enabled=False,
                  __galera_tls_bridge=False, **variables)
    assert 'GALERA_OPTIONS="socket.dynamic=YES"' in garb.splitlines()
    # And stays so: members that run plain with socket.dynamic restart no more.
    plain = cluster(running={"db1": "plain_dynamic", "db2": "plain_dynamic", "db3": "plain_dynamic"})
    assert render_value("galera", "__galera_tls_outdated", galera_tls_enabled=False, **plain) == []
    assert option_file(galera_tls_enabled=False, **plain)["galera"]["wsrep_provider_options"] == '"socket.dynamic=YES"'
    # A cluster that never ran TLS has none of it.
    never = cluster(running={"db1": "plain", "db2": "plain", "db3": "plain"})
    assert "wsrep_provider_options" not in option_file(galera_tls_enabled=False, **never)["galera"]
    assert render_value("galera", "__galera_tls_outdated", galera_tls_enabled=False, **never) == []


def test_a_tls_cluster_that_stays_tls_restarts_nothing():
    variables = cluster(running={"db1": "tls", "db2": "tls", "db3": "tls"})
    assert render_value("galera", "__galera_tls_bridge", **variables) is False
    assert render_value("galera", "__galera_tls_outdated", **variables) == []
    assert render_value("galera", "__galera_restart_members", **variables) == []


def test_garbd_gets_the_tls_options_and_the_bridge():
    garb = render("galera", "garb.j2", __galera_node_addresses=["10.0.0.1", "10.0.0.2"], **cluster())
    assert 'GALERA_OPTIONS="%s"' % TLS_OPTIONS in garb.splitlines()
    bridge = render("galera", "garb.j2", __galera_node_addresses=["10.0.0.1"], __galera_tls_bridge=True, **cluster())
    assert 'GALERA_OPTIONS="%s;socket.dynamic=YES"' % TLS_OPTIONS in bridge.splitlines()
    plain = render("galera", "garb.j2", __galera_node_addresses=["10.0.0.1"], galera_tls_enabled=False, **cluster())
    assert "GALERA_OPTIONS" not in plain


def refusals(**variables):
    return render_value("galera", "__galera_tls_input_refusals", **variables)


def test_preflight_refuses_some_tls_files_without_the_others():
    variables = cluster(db2={"galera_tls_cert": "/certs/db2.crt"})
    problems = refusals(**variables)
    assert any("go together: db2 set only some of them" in problem for problem in problems)
    assert refusals(**cluster()) == []


def test_preflight_refuses_own_files_on_some_hosts_and_generated_ones_on_others():
    given = {"galera_tls_ca_cert": "/c/ca.crt", "galera_tls_cert": "/c/db1.crt", "galera_tls_key": "/c/db1.key"}
    problems = refusals(**cluster(db1=given))
    assert any("different CAs" in problem and "(db1)" in problem for problem in problems)
    everyone = cluster(db1=given, db2=given, db3=given)
    assert refusals(**everyone) == []


def test_preflight_refuses_tls_set_through_the_overrides():
    overrides = {"galera": {"wsrep_provider_options": "gcache.size=1G; socket.ssl_cipher=AES128-SHA"}}
    assert any("socket.ssl or socket.dynamic" in problem for problem in refusals(galera_config_overrides=overrides, **cluster()))
    overrides = {"sst": {"encrypt": 0}}
    assert any("encrypt, tca, tcert and tkey" in problem for problem in refusals(galera_config_overrides=overrides, **cluster()))
    assert refusals(galera_config_overrides={"sst": {"compressor": "pigz"}}, **cluster()) == []


def file_problems(certificate, key=None, ca=None, **variables):
    """Preflight's file checks with db1's certificate, key and CA as the controller read them."""
    cert_read = {"item": {"path": "/c/db1.crt"}, **certificate}
    ca_read = {"item": {"path": "/c/ca.crt"}, **(ca or {"public_key": "CA", "basic_constraints": ["CA:TRUE"]})}
    key_read = {"item": {"path": "/c/db1.key"}, **(key or {"public_key": certificate.get("public_key", "")})}
    base = cluster(db1={"__galera_tls_read": {"results": [cert_read, ca_read]}, "__galera_tls_key_read": {"results": [key_read]}})
    base["ansible_play_hosts"] = ["db1"]
    base.update(variables)
    return render_value("galera", "__galera_tls_file_problems", **base)


def test_preflight_refuses_a_certificate_without_the_members_address():
    good = {"public_key": "K1", "subject_alt_name": ["IP:10.0.0.1", "DNS:db1"], "expired": False}
    assert file_problems(good) == []
    problems = file_problems(dict(good, subject_alt_name=["DNS:db1"]))
    assert len(problems) == 1 and "does not name its address 10.0.0.1" in problems[0]


def test_preflight_refuses_unreadable_files_a_foreign_key_and_a_non_ca():
    good = {"public_key": "K1", "subject_alt_name": ["IP:10.0.0.1"], "expired": False}
    assert "cannot be read (no such file)" in file_problems({"msg": "no such file"})[0]
    assert "does not belong to the certificate" in file_problems(good, key={"public_key": "K2"})[0]
    assert "is not a CA certificate" in file_problems(good, ca={"public_key": "C", "basic_constraints": ["CA:FALSE"]})[0]
    assert "expired on" in file_problems(dict(good, expired=True, not_after="20240101000000Z"))[0]


def test_pki_names_each_host_by_its_address_and_inventory_name():
    hostvars = {"a": {"filesync_address": "10.0.0.1"}, "b": {"filesync_address": "db.example.test"},
                "c": {"filesync_address": "fd00::3"}}
    names = render_value("pki", "__pki_subject_alt_names", pki_hosts=["a", "b", "c"], hostvars=hostvars, pki_dir="/p")
    assert names == {"a": ["IP:10.0.0.1", "IP:127.0.0.1", "DNS:a"], "b": ["DNS:db.example.test", "IP:127.0.0.1", "DNS:b"],
                     "c": ["IP:fd00::3", "IP:127.0.0.1", "DNS:c"]}
    files = render_value("pki", "__pki_certificates", pki_hosts=["a"], pki_dir="/p")
    assert files == {"ca": "/p/ca.crt", "hosts": {"a": {"cert": "/p/a.crt", "key": "/p/a.key"}}}


def pem(body):
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % body


def test_preflight_refuses_a_ca_file_without_any_ca_the_running_members_use(tmp_path):
    good = {"public_key": "K1", "subject_alt_name": ["IP:10.0.0.1"], "expired": False}
    installed = pem("T0xEQ0E=")
    running = {"__galera_saved": {"files": {"/var/lib/mysql/grastate.dat": GRASTATE, "/etc/galera-tls/ca.crt": installed}},
               "__galera_provider_read": {"rc": 0, "stdout": RUNNING["tls"]}}
    new = tmp_path / "new.crt"
    new.write_text(pem("TkVXQ0E="))
    ca = {"item": {"path": str(new)}, "public_key": "C", "basic_constraints": ["CA:TRUE"]}

    def problems():
        cert_read = {"item": {"path": "/c/db1.crt"}, **good}
        key_read = {"item": {"path": "/k"}, "public_key": "K1"}
        db1 = {"__galera_tls_read": {"results": [cert_read, ca]}, "__galera_tls_key_read": {"results": [key_read]}, **running}
        variables = cluster(db1=db1)
        variables["ansible_play_hosts"] = ["db1"]
        return render_value("galera", "__galera_tls_file_problems", **variables)

    assert any("holds none of the CAs the member runs with" in problem for problem in problems())
    # The old and the new CA in one file (a CA change, first step): accepted.
    new.write_text(pem("TkVXQ0E=") + pem("T0xE\nQ0E="))
    assert problems() == []
