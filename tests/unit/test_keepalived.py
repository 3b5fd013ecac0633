"""The keepalived role (one virtual IP that follows one TCP service) and the
memcached role's active/standby layout behind it: the rendered files, what
preflight refuses, and the configuration checked by keepalived itself
(keepalived -t, through the role's own configuration test).

`make test` installs keepalived (tools/host-deps.sh, the service is not
started); without it the keepalived -t tests fail, they are not skipped.
"""

import os
import shutil
import socket
import subprocess
import threading

import pytest
import yaml

from render import PROJECT, backend_hosts, render, render_value

PASSWORD = "Vr9p-x_Z"
VIP = "10.0.0.50"


def facts(address, prefix=24, device="eth0"):
    """The network facts ansible.builtin.setup gathers on a host holding address on device."""
    return {"interfaces": ["lo", device], "all_ipv4_addresses": [address],
            device: {"device": device, "ipv4": {"address": address, "prefix": str(prefix), "netmask": "255.255.255.0"}},
            "lo": {"device": "lo", "ipv4": {"address": "127.0.0.1", "prefix": "8"}},
            "default_ipv4": {"address": address, "interface": device}}


def pair(host="memcached1", members=2, **extra):
    """Variables of the keepalived role on host, as playbooks/memcached.yml runs it on the memcached group."""
    groups, hostvars = backend_hosts(("memcached", members), ("seafile_nodes", 1))
    groups["all"] = sorted(hostvars)
    address = hostvars[host]["filesync_address"]
    values = dict(groups=groups, hostvars=hostvars, inventory_hostname=host, filesync_address=address,
                  ansible_facts=facts(address), keepalived_group="memcached", keepalived_virtual_ip=VIP,
                  keepalived_auth_password=PASSWORD, keepalived_check_address=address, keepalived_check_port=11211)
    values.update(extra)
    return values


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def refusals(**extra):
    return render_value("keepalived", "__keepalived_refusals", **pair(**extra))


# keepalived.conf


def test_both_hosts_speak_unicast_vrrp_to_each_other_for_one_address():
    first = lines(render("keepalived", "keepalived.conf.j2", **pair("memcached1")))
    second = lines(render("keepalived", "keepalived.conf.j2", **pair("memcached2")))
    for config, me, peer in ((first, "10.0.0.11", "10.0.0.12"), (second, "10.0.0.12", "10.0.0.11")):
        assert "state BACKUP" in config and "interface eth0" in config and "virtual_router_id 51" in config
        assert "unicast_src_ip %s" % me in config
        peers = config[config.index("unicast_peer {") + 1:config.index("unicast_peer {") + 3]
        assert peers == [peer, "}"]
        assert "%s/24 dev eth0" % VIP in config
        assert 'auth_type PASS' in config and 'auth_pass "%s"' % PASSWORD in config
        assert not any("mcast" in line for line in config)
    # The first host of the group holds the address when both start.
    assert "priority 150" in first and "priority 100" in second


def test_no_fail_back_unless_asked():
    config = lines(render("keepalived", "keepalived.conf.j2", **pair()))
    assert "nopreempt" in config
    preempting = lines(render("keepalived", "keepalived.conf.j2", **pair(keepalived_preempt=True)))
    assert "nopreempt" not in preempting and "state BACKUP" in preempting


def test_the_check_runs_unprivileged_and_a_failure_means_fault():
    config = lines(render("keepalived", "keepalived.conf.j2", **pair()))
    assert "enable_script_security" in config and "script_user keepalived_script" in config
    script = config[config.index("vrrp_script filesync_check_service {") + 1:]
    script = script[:script.index("}")]
    assert script == ['script "/bin/bash /etc/keepalived/filesync-check-service"', "interval 2", "timeout 2", "fall 2", "rise 2"]
    track = config[config.index("track_script {") + 1:]
    # Tracked without a weight: a failing check is FAULT, not a lower priority.
    assert track[:2] == ["filesync_check_service", "}"]
    assert not any(line.startswith("weight") for line in config)


def test_explicit_interface_and_prefix():
    config = lines(render("keepalived", "keepalived.conf.j2",
                          **pair(keepalived_interface="ens3", keepalived_prefix=16,
                                 ansible_facts=dict(facts("10.0.0.11"), interfaces=["lo", "eth0", "ens3"]))))
    assert "interface ens3" in config and "%s/16 dev ens3" % VIP in config


def test_the_password_is_only_in_keepalived_conf_written_as_a_secret():
    values = pair()
    for template in ("filesync-check-service.j2", "keepalived-config-test.j2"):
        assert PASSWORD not in render("keepalived", template, **values)
    config = render("keepalived", "keepalived.conf.j2", **values)
    assert [line for line in config.splitlines() if PASSWORD in line] == ['        auth_pass "%s"' % PASSWORD]
    tasks = yaml.safe_load((PROJECT / "roles/keepalived/tasks/configure.yml").read_text())
    entry = next(item for item in tasks[0]["filesync.cluster.managed_files"]["files"] if item["template"] == "keepalived.conf.j2")
    assert entry["secret"] is True and entry["mode"] == "0640" and entry["validate"].startswith("sh ")


# What preflight refuses


def test_preflight_accepts_the_pair():
    assert refusals() == []
    assert refusals(host="memcached2") == []


def test_preflight_refuses_three_hosts():
    assert refusals(members=3) == [
        "keepalived_group 'memcached' has 3 host(s) (memcached1, memcached2, memcached3): one virtual IP moves between "
        "exactly 2 hosts (the first holds it when both start, the other takes it over when the check fails). Put exactly "
        "2 hosts in the group."]


@pytest.mark.parametrize("vip", ["10.0.0.256", "10.0.0", "10.0.0.50/24", "vip.example.com", "010.0.0.50", " 10.0.0.50"])
def test_preflight_refuses_a_malformed_virtual_ip(vip):
    assert refusals(keepalived_virtual_ip=vip) == [
        "keepalived_virtual_ip '%s' is not an IPv4 address (four numbers 0 to 255, without a prefix: keepalived_prefix "
        "sets that)." % vip]


def test_preflight_refuses_a_missing_virtual_ip():
    assert refusals(keepalived_virtual_ip="") == [
        "keepalived_virtual_ip is empty: set the virtual IP the clients connect to, an unused IPv4 address of the hosts' subnet."]


@pytest.mark.parametrize("vip, owner", [("10.0.0.12", "memcached2"), ("10.0.0.11", "memcached1"), ("10.0.0.13", "seafile_nodes1")])
def test_preflight_refuses_a_virtual_ip_that_is_a_hosts_address(vip, owner):
    assert ("keepalived_virtual_ip %s is the filesync_address of %s: the virtual IP must be an address no host has. "
            "Choose an unused one." % (vip, owner)) in refusals(keepalived_virtual_ip=vip)


@pytest.mark.parametrize("vip", ["10.0.1.50", "192.0.2.10", "10.0.0.0", "10.0.0.255"])
def test_preflight_refuses_a_virtual_ip_outside_the_hosts_subnet(vip):
    assert refusals(keepalived_virtual_ip=vip) == [
        "keepalived_virtual_ip %s is not a host address of memcached1's subnet, 10.0.0.11/24 (the prefix of its "
        "filesync_address on eth0): the virtual IP can only move between hosts of one subnet. Choose an unused address "
        "in it, or set keepalived_prefix." % vip]


def test_the_subnet_follows_the_interface_or_keepalived_prefix():
    assert refusals(keepalived_virtual_ip="10.0.1.50", ansible_facts=facts("10.0.0.11", prefix=16)) == []
    assert refusals(keepalived_virtual_ip="10.0.1.50", keepalived_prefix=16) == []
    assert "10.0.0.11/25 (keepalived_prefix)" in refusals(keepalived_virtual_ip="10.0.0.200", keepalived_prefix=25)[0]


@pytest.mark.parametrize("password, named", [
    ("Vrrp#1", '"#" (starts a comment)'),
    ("Vrrp!1", '"!" (starts a comment)'),
    ('Vr"p', '"\\"" (double quote, which ends the quoted value)'),
    ("Vr\\p", '"\\\\" (backslash, an escape in keepalived\'s quoted strings)'),
    ("Vr'p", '"\'" (single quote, a quote in keepalived\'s quoted strings)'),
    ("Vr p", '" " (space)'),
    ("Vr\tp", '"\\t" (tab)'),
    ("Vr\np", '"\\n" (newline)'),
    ("Vrépp", '"é" (non-ASCII)'),
    ("Vr\x01p", '"\\u0001" (control character)'),
])
def test_preflight_refuses_password_characters_keepalived_reads_otherwise(password, named):
    assert refusals(keepalived_auth_password=password) == [
        "keepalived_auth_password contains %s: choose a password of printable ASCII characters other than \" # ! \\ ' "
        "(keepalived.conf reads those as quotes, comments or escapes)." % named]


def test_preflight_refuses_an_empty_or_long_password_without_showing_it():
    assert refusals(keepalived_auth_password="") == [
        "keepalived_auth_password is empty: set it in the inventory or a vault (for example group_vars/memcached/vault.yml), "
        "the same on both hosts, up to 8 characters; it has no default."]
    long = refusals(keepalived_auth_password="Vrrp-2026x")
    assert long == ["keepalived_auth_password has 10 characters: VRRP's simple password (auth_type PASS) holds 8, and "
                    "keepalived would cut it to 8. Choose one of up to 8."]


@pytest.mark.parametrize("router_id", [0, 256, -1])
def test_preflight_refuses_a_router_id_out_of_range(router_id):
    assert refusals(keepalived_router_id=router_id) == [
        "keepalived_router_id is %d: VRRP router IDs are 1 to 255, the same on both hosts and unique per virtual IP on "
        "the network." % router_id]


def test_preflight_refuses_peers_that_disagree():
    values = pair()
    values["hostvars"]["memcached2"]["keepalived_auth_password"] = "other"
    values["hostvars"]["memcached2"]["keepalived_router_id"] = 52
    assert render_value("keepalived", "__keepalived_refusals", **values) == [
        "%s differs between memcached1 and memcached2: both peers of one virtual IP need the same (set it once, for the "
        "group)." % name for name in ("keepalived_router_id", "keepalived_auth_password")]


def test_preflight_refuses_a_host_that_does_not_hold_its_address():
    found = refusals(ansible_facts=dict(facts("10.0.0.99"), all_ipv4_addresses=["10.0.0.99"]))
    assert found == ["No interface of memcached1 holds its filesync_address 10.0.0.11 (its IPv4 addresses: 10.0.0.99): the "
                     "VRRP packets leave from that address, so it must be one of the host's own. Set filesync_address to "
                     "it in the inventory."]


def test_a_secondary_address_is_found_too():
    nic = {"device": "bond0", "ipv4": {"address": "10.0.0.200", "prefix": "24"},
           "ipv4_secondaries": [{"address": "10.0.0.11", "prefix": "24"}]}
    values = pair(ansible_facts={"interfaces": ["lo", "bond0"], "bond0": nic, "all_ipv4_addresses": ["10.0.0.200", "10.0.0.11"]})
    assert render_value("keepalived", "__keepalived_refusals", **values) == []
    assert "interface bond0" in lines(render("keepalived", "keepalived.conf.j2", **values))


def test_preflight_refuses_an_unknown_interface_and_a_host_outside_the_group():
    assert refusals(keepalived_interface="eth9") == [
        "keepalived_interface 'eth9' does not exist on memcached1 (its interfaces: lo, eth0). Name one of them, or leave "
        "it empty for the one that holds filesync_address."]
    assert "seafile_nodes1 is not in keepalived_group 'memcached': run the role on that group's hosts." in refusals(
        host="seafile_nodes1")


def test_defaults_check_memcached():
    values = render_value("keepalived", "[keepalived_check_port, keepalived_check_send, keepalived_check_expect]",
                          filesync_address="10.0.0.11")
    assert values == [11211, "version\\r\\n", "VERSION"]


# The check script, against a TCP service on this machine


class Service:
    """A TCP service on 127.0.0.1 that records what it receives and answers one line (or nothing)."""

    def __init__(self, answer):
        self.answer, self.received = answer, b""
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        connection = self.listener.accept()[0]
        with connection:
            connection.settimeout(5)
            try:
                while not self.received.endswith(b"\n"):
                    chunk = connection.recv(100)
                    if not chunk:
                        break
                    self.received += chunk
            except OSError:
                pass
            if self.answer is None:
                threading.Event().wait(4)  # silent for longer than the check waits
            else:
                connection.sendall(self.answer)

    def close(self):
        self.listener.close()


def run_check(tmp_path, port, **extra):
    script = tmp_path / "filesync-check-service"
    script.write_text(render("keepalived", "filesync-check-service.j2",
                             **pair(keepalived_check_address="127.0.0.1", keepalived_check_port=port, **extra)))
    return subprocess.run(["/bin/bash", str(script)], capture_output=True, text=True, timeout=20, check=False)


def test_the_check_asks_memcached_for_its_version(tmp_path):
    service = Service(b"VERSION 1.6.18\r\n")
    assert run_check(tmp_path, service.port).returncode == 0
    service.thread.join(5)
    assert service.received == b"version\r\n"
    service.close()


@pytest.mark.parametrize("answer", [b"ERROR\r\n", b"", None])
def test_the_check_fails_on_a_wrong_answer_or_none(tmp_path, answer):
    service = Service(answer)
    assert run_check(tmp_path, service.port).returncode != 0
    service.close()


def test_the_check_fails_when_nothing_listens(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert run_check(tmp_path, port).returncode != 0


def test_the_check_can_be_a_plain_connect_or_another_protocol(tmp_path):
    service = Service(b"")
    assert run_check(tmp_path, service.port, keepalived_check_send="", keepalived_check_expect="").returncode == 0
    service.close()
    service = Service(b"+PONG\r\n")
    assert run_check(tmp_path, service.port, keepalived_check_send="PING\\r\\n", keepalived_check_expect="+PONG").returncode == 0
    service.thread.join(5)
    assert service.received == b"PING\r\n"
    service.close()


# keepalived -t, through the role's configuration test (the validate of keepalived.conf)


def keepalived_binary():
    binary = shutil.which("keepalived") or "/usr/sbin/keepalived"
    assert os.path.exists(binary), "keepalived is missing: apt-get install keepalived (tools/host-deps.sh does)"
    return binary


def config_test(tmp_path, config):
    """The rendered keepalived-config-test run with sh on config, as the role's validate runs it (its temporary
    copy in tmp_path/tmp)."""
    keepalived_binary()
    test = tmp_path / "keepalived-config-test"
    test.write_text(render("keepalived", "keepalived-config-test.j2", **pair()))
    path = tmp_path / "keepalived.conf"
    path.write_text(config)
    path.chmod(0o640)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin", TMPDIR=str(tmp_path / "tmp"))
    return subprocess.run(["sh", str(test), str(path)], capture_output=True, text=True, timeout=60, env=env, check=False)


def host_interface():
    """An interface of this machine other than lo (keepalived -t wants the one it names to exist)."""
    names = sorted(name for name in os.listdir("/sys/class/net") if name != "lo")
    assert names, "keepalived -t needs an interface other than lo on this machine"
    return names[0]


def host_config(**extra):
    """The role's keepalived.conf for this machine's interface; the check runs as 'nobody' (the role's user does
    not exist here), which keepalived 2.2.7's test trips over just as it does over keepalived_script."""
    interface = host_interface()
    values = pair(keepalived_interface=interface, __keepalived_script_user="nobody",
                  ansible_facts=dict(facts("10.0.0.11"), interfaces=["lo", interface]), **extra)
    return render("keepalived", "keepalived.conf.j2", **values)


@pytest.mark.parametrize("host", ["memcached1", "memcached2"])
def test_keepalived_accepts_the_configuration(tmp_path, host):
    result = config_test(tmp_path, host_config(host=host))
    assert result.returncode == 0, result.stderr


def test_keepalived_accepts_fail_back_too(tmp_path):
    result = config_test(tmp_path, host_config(keepalived_preempt=True))
    assert result.returncode == 0, result.stderr


def test_the_configuration_test_fails_on_what_keepalived_refuses(tmp_path):
    config = host_config().replace("advert_int 1", "advert_intervall 1")
    result = config_test(tmp_path, config)
    assert result.returncode != 0 and "Unknown keyword 'advert_intervall'" in result.stderr
    config = host_config().replace("virtual_router_id 51", "virtual_router_id 300")
    result = config_test(tmp_path, config)
    assert result.returncode != 0 and "300" in result.stderr


def test_the_configuration_test_leaves_no_copy_behind(tmp_path):
    assert config_test(tmp_path, host_config()).returncode == 0
    assert list((tmp_path / "tmp").iterdir()) == []


# memcached's active/standby layout


def memcached(members=2, **extra):
    groups, hostvars = backend_hosts(("memcached", members))
    values = dict(groups=groups, hostvars=hostvars, inventory_hostname="memcached1", filesync_address="10.0.0.11")
    values.update(extra)
    return values


def test_memcached_listens_on_its_address_and_the_virtual_ip():
    config = render("memcached", "memcached.conf.j2", **memcached(memcached_virtual_ip=VIP))
    assert "-l 10.0.0.11,%s" % VIP in config.splitlines()
    assert "active/standby pair" in config and "client-sharded" not in config
    sharded = render("memcached", "memcached.conf.j2", **memcached())
    assert "-l 10.0.0.11" in sharded.splitlines() and "client-sharded cluster" in sharded and VIP not in sharded


def test_memcached_on_every_address_does_not_bind_the_virtual_ip_twice():
    config = render("memcached", "memcached.conf.j2",
                    **memcached(memcached_virtual_ip=VIP, memcached_listen_address="0.0.0.0", memcached_allow_any_address=True))
    assert "-l 0.0.0.0" in config.splitlines()


def test_clients_use_the_virtual_ip_or_every_node():
    assert render_value("memcached", "memcached_client_servers", **memcached(memcached_virtual_ip=VIP)) == ["%s:11211" % VIP]
    assert render_value("memcached", "memcached_client_servers", **memcached(members=3)) == [
        "10.0.0.11:11211", "10.0.0.12:11211", "10.0.0.13:11211"]
    # memcached_servers stays every node (the client-sharded layout's list).
    assert render_value("memcached", "memcached_servers", **memcached(memcached_virtual_ip=VIP)) == [
        "10.0.0.11:11211", "10.0.0.12:11211"]


def test_memcached_preflight_wants_a_pair_with_one_virtual_ip():
    assert render_value("memcached", "__memcached_refusals", **memcached(memcached_virtual_ip=VIP)) == []
    assert render_value("memcached", "__memcached_refusals", **memcached(members=3)) == []
    assert render_value("memcached", "__memcached_refusals", **memcached(members=3, memcached_virtual_ip=VIP)) == [
        "memcached_virtual_ip is set (%s): that is the active/standby layout, exactly 2 memcached nodes (one active, one "
        "standby) behind a keepalived virtual IP, but group 'memcached' has 3 (memcached1, memcached2, memcached3). Put "
        "exactly 2 hosts in it, or leave memcached_virtual_ip empty for the client-sharded layout (every client lists "
        "every node)." % VIP]
    assert render_value("memcached", "__memcached_refusals", **memcached(memcached_virtual_ip="10.0.0.50/24")) == [
        "memcached_virtual_ip '10.0.0.50/24' is not an IPv4 address (four numbers 0 to 255, no prefix): set it to an "
        "unused address of the cluster network, or leave it empty."]
    values = memcached(memcached_virtual_ip=VIP)
    values["hostvars"]["memcached2"]["memcached_virtual_ip"] = "10.0.0.51"
    assert render_value("memcached", "__memcached_refusals", **values) == [
        "memcached_virtual_ip differs between the nodes of group 'memcached': both nodes of the pair listen on the one "
        "address their clients use. Set it once, for the group (group_vars)."]


def sysctl_task():
    tasks = yaml.safe_load((PROJECT / "roles/memcached/tasks/configure.yml").read_text())
    return next(task for task in tasks if "ansible.posix.sysctl" in task)


@pytest.mark.parametrize("running, sets", [("1\n", False), ("0\n", True)])
def test_ip_nonlocal_bind_is_set_only_where_it_is_not_1(running, sets):
    task = sysctl_task()
    assert task["ansible.posix.sysctl"]["reload"] is False  # never sysctl -p (a read-only /proc/sys refuses it)
    state = {"files": {"/proc/sys/net/ipv4/ip_nonlocal_bind": running}}
    assert render_value("memcached", task["when"], __memcached_nonlocal_bind=state,
                        **memcached(memcached_virtual_ip=VIP)) is sets
    assert render_value("memcached", task["when"], __memcached_nonlocal_bind={"skipped": True}, **memcached()) is False


def test_the_playbook_checks_keepalived_first_and_starts_it_after_memcached():
    plays = yaml.safe_load((PROJECT / "playbooks/memcached.yml").read_text())
    assert plays[0]["ansible.builtin.import_playbook"] == "facts.yml"
    preflight = plays[1]["pre_tasks"][0]
    assert preflight["ansible.builtin.include_role"]["tasks_from"] == "preflight"
    assert preflight["when"] == "memcached_virtual_ip | length > 0"
    assert [role["role"] for role in plays[1]["roles"]] == ["filesync.cluster.memcached"]
    tasks = plays[2]["tasks"]
    assert tasks[1]["ansible.builtin.meta"] == "end_play" and tasks[1]["when"] == "memcached_virtual_ip | length == 0"
    assert tasks[2]["ansible.builtin.import_role"]["name"] == "filesync.cluster.keepalived"
    assert tasks[2]["vars"] == preflight["vars"] == {
        "keepalived_group": "{{ memcached_group }}", "keepalived_virtual_ip": "{{ memcached_virtual_ip }}",
        "keepalived_check_address": "{{ filesync_address }}", "keepalived_check_port": "{{ memcached_port }}"}
