"""Free-form options cannot override what a role guards (issue 12): the listen address, the ports,
and the other settings each role writes from its own variables.

memcached_extra_options, galera_config_overrides, seafile_node_config_overrides,
seafile_node_seahub_settings and powerfolder_node_extra_properties: preflight refuses every spelling
the program's own parser reads as a guarded option, naming the entry and what to set instead. The
refusals are checked against the real readers: memcached started by Debian's systemd-memcached-wrapper
on the role's own memcached.conf, and mariadbd reading the role's own galera.cnf. What preflight lets
through leaves every guarded setting as the role wrote it.

`make test` installs memcached and mariadb-server-core (tools/host-deps.sh); without them these tests
fail, they are not skipped.
"""

import os
import pathlib
import re
import shutil
import socket
import subprocess
import time

import pytest
import yaml

from render import PROJECT, render, render_value, role_defaults

ROLES = sorted(p.name for p in (PROJECT / "roles").iterdir() if (p / "defaults" / "main.yml").exists())


def defaults(role):
    return yaml.safe_load((PROJECT / "roles" / role / "defaults" / "main.yml").read_text()) or {}


# Every free-form option list or dict of every role, and the refusals that guard it.
FREE_FORM = {
    "memcached_extra_options": ("memcached", "__memcached_extra_refused"),
    "galera_config_overrides": ("galera", "__galera_checks"),
    "seafile_node_config_overrides": ("seafile_node", "__seafile_node_checks"),
    "seafile_node_seahub_settings": ("seafile_node", "__seafile_node_checks"),
    "powerfolder_node_extra_properties": ("powerfolder_node", "__powerfolder_node_extra_guarded"),
}
# Free-form inputs that set no option of a program: packages to install, routes of bases to servers, the
# names a certificate also holds.
NOT_OPTIONS = {"aegir_web_node_extra_packages", "seatable_route_overrides", "pki_extra_subject_alt_names"}


def test_every_free_form_option_input_is_guarded():
    """A new *_extra_*, *_overrides or *_settings variable must join FREE_FORM (with its guard) or NOT_OPTIONS."""
    found = {name for role in ROLES for name in defaults(role)
             if re.search(r"(^|_)extra_|_overrides$|_settings$|_options$", name) and isinstance(defaults(role)[name], (dict, list))}
    assert found == set(FREE_FORM) | NOT_OPTIONS
    for name, (role, guard) in FREE_FORM.items():
        assert name in (PROJECT / "roles" / role / "vars" / "main.yml").read_text().split(guard + ":", 1)[1], (name, guard)


# memcached: the role's memcached.conf, run by Debian's wrapper.

MEMCACHED_BASE = {"filesync_address": "10.0.0.1", "groups": {"memcached": ["m1"]},
                  "hostvars": {"m1": {"filesync_address": "10.0.0.1"}}, "inventory_hostname": "m1"}


def memcached_refusals(items):
    return render_value("memcached", "__memcached_refusals", memcached_extra_options=items, **MEMCACHED_BASE)


# Each spelling getopt_long reads as a guarded option: (item, option letter, the variable the message names).
MEMCACHED_REFUSED = [
    ("-U 11211", "U", "UDP stays off"), ("-U11211", "U", "UDP stays off"), ("--udp-port=11211", "U", "UDP stays off"),
    ("--udp-port 11211", "U", "UDP stays off"), ("--udp=11211", "U", "UDP stays off"), ("-vU 11211", "U", "UDP stays off"),
    ("-vvU11211", "U", "UDP stays off"), ("-I 2m -U 11211", "U", "UDP stays off"), ("-U 00", "U", "UDP stays off"),
    ("-l 0.0.0.0", "l", "memcached_listen_address"), ("-l0.0.0.0", "l", "memcached_listen_address"),
    ("--listen=0.0.0.0", "l", "memcached_listen_address"), ("--listen 0.0.0.0", "l", "memcached_listen_address"),
    ("-dl 0.0.0.0", "l", "memcached_listen_address"), ("-p 11212", "p", "memcached_port"), ("-p11212", "p", "memcached_port"),
    ("--port=11212", "p", "memcached_port"), ("--po 11212", "p", "memcached_port"), ("-port", "p", "memcached_port"),
    ("-s /run/memcached.sock", "s", "memcached_listen_address"), ("--unix-socket=/run/m.sock", "s", "memcached_listen_address"),
    ("-m 32", "m", "memcached_memory_mb"), ("--memory-limit=32", "m", "memcached_memory_mb"), ("-c 1", "c", "memcached_max_connections"),
    ("--conn=1", "c", "memcached_max_connections"), ("-t 1", "t", "memcached_threads"), ("--threads 1", "t", "memcached_threads"),
    ("-u root", "u", "the memcache user"), ("--user=root", "u", "the memcache user"), ("-lock-memory", "l", "memcached_listen_address"),
    # Ambiguous prefixes (memcached refuses them too): refused as what they may set.
    ("--list 0.0.0.0", "l", "memcached_listen_address"),
]
MEMCACHED_ALLOWED = ["-I 2m", "-U 0", "-U0", "--udp-port=0", "--udp=0", "-o modern,slab_reassign", "-vv", "-B ascii",
                     "--max-item-size=2m", "-R 40", "-b 2048", "-I -U", "--disable-cas", "-o ext_path=/var/cache/m:64m"]
# What memcached also starts with (-I -U is an item size of "-U"; extstore needs its file).
MEMCACHED_STARTS = [item for item in MEMCACHED_ALLOWED if item not in ("-I -U", "-o ext_path=/var/cache/m:64m")]


@pytest.mark.parametrize("item, option, instead", MEMCACHED_REFUSED)
def test_memcached_refuses_each_spelling_of_a_guarded_option(item, option, instead):
    refusals = memcached_refusals(["-I 2m", item])
    assert len(refusals) == 1, refusals
    assert "memcached_extra_options[1] ('%s') " % item in refusals[0] and " -%s (--" % option in refusals[0], refusals
    assert instead in refusals[0] and "remove them from memcached_extra_options" in refusals[0]


@pytest.mark.parametrize("item", MEMCACHED_ALLOWED)
def test_memcached_lets_other_options_through(item):
    assert memcached_refusals([item]) == []


@pytest.mark.parametrize("item, shown", [("-I 2m; rm -rf /", '";"'), ("-I 2m # -U 11211", '"#"'), ("-I '2m'", '"\'"'),
                                         ("-I $(id)", '"$" "(" ")"'), ("-I 2m\n-U 11211", '"\\n"'), ("--udp\\-port=1", '"\\\\"'),
                                         ("-I\t2m", '"\\t"')])
def test_memcached_refuses_characters_the_wrapper_or_its_shell_reads(item, shown):
    refusals = memcached_refusals([item])
    assert refusals[0].startswith("memcached_extra_options[0] contains %s: Debian's memcached wrapper" % shown), refusals


WRAPPER = "/usr/share/memcached/scripts/systemd-memcached-wrapper"


def _free_port(kind):
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sockets(pid):
    """What process pid listens on: TCP listeners, UDP sockets and Unix sockets, from /proc."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for line in pathlib.Path("/proc/net/%s" % proto).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes and (proto.startswith("udp") or fields[3] == "0A"):
                address, port = fields[1].split(":")
                found.add((proto[:3], address, int(port, 16)))
    for line in pathlib.Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[6] in inodes and len(fields) > 7:
            found.add(("unix", fields[7], 0))
    return found


def memcached_serves(tmp_path, items):
    """memcached started the way the role's unit starts it (Debian's wrapper on the role's memcached.conf, here on
    127.0.0.1 and a free port): the sockets it listens on, its user and its limits; None if it does not start."""
    assert os.path.exists(WRAPPER), "memcached is missing: apt-get install memcached (make test does)"
    assert os.geteuid() == 0, "Debian's memcached wrapper runs as root only"
    port, udp = _free_port(socket.SOCK_STREAM), _free_port(socket.SOCK_DGRAM)
    # memcached creates a Unix socket as the memcache user: in a directory that user may write to.
    sockets = tmp_path / "sockets"
    sockets.mkdir(exist_ok=True)
    os.chmod(sockets, 0o1777)
    for parent in [tmp_path] + list(tmp_path.parents):
        os.chmod(parent, os.stat(parent).st_mode | 0o011)
    items = [item.replace("11211", str(udp)).replace("11212", str(port + 1)).replace("/run/", str(sockets) + "/") for item in items]
    config = tmp_path / "memcached.conf"
    config.write_text(render("memcached", "memcached.conf.j2", memcached_listen_address="127.0.0.1", filesync_address="127.0.0.1",
                             memcached_port=port, memcached_extra_options=items))
    process = subprocess.Popen(["perl", WRAPPER, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, found = time.time() + 10, set()
        while time.time() < deadline and process.poll() is None:
            found = _sockets(process.pid)
            if found:
                time.sleep(0.3)  # every listener is open
                found = _sockets(process.pid)
                break
            time.sleep(0.05)
        if process.poll() is not None:
            return None
        uid = [line.split()[1] for line in pathlib.Path("/proc/%d/status" % process.pid).read_text().splitlines()
               if line.startswith("Uid:")][0]
        tcp = sorted(entry for entry in found if entry[0] == "tcp")
        if tcp:
            connection = socket.create_connection(("127.0.0.1" if tcp[0][1] in ("0100007F", "00000000") else "127.0.0.2", tcp[0][2]))
        else:
            connection = socket.socket(socket.AF_UNIX)
            connection.connect(sorted(entry for entry in found if entry[0] == "unix")[0][1])
        with connection:
            connection.sendall(b"stats settings\r\n")
            reply = b""
            while not reply.endswith(b"END\r\n"):
                reply += connection.recv(65536)
        stats = dict(line.split()[1:3] for line in reply.decode().splitlines() if line.startswith("STAT "))
        # The ports relative to the test's own, so that two runs compare.
        ports = {(kind, address, "port" if number == port else "udp" if number == udp else number) for kind, address, number in found}
        return {"sockets": ports, "uid": uid, "limits": (stats["maxbytes"], stats["maxconns"], stats["num_threads"])}
    finally:
        process.terminate()
        process.wait(10)


def test_memcached_serves_only_what_the_role_says(tmp_path):
    served = memcached_serves(tmp_path, [])
    assert served["sockets"] == {("tcp", "0100007F", "port")}, served  # 127.0.0.1, TCP only
    assert served["uid"] == str(__import__("pwd").getpwnam("memcache").pw_uid)
    assert served["limits"] == (str(256 * 1024 * 1024), "1024", "4")


# The refused spellings memcached starts with (in the real unit too), on loopback addresses and the test's ports.
MEMCACHED_REALLY_OVERRIDES = ["-U 11211", "-vU11211", "--udp=11211", "--udp-port 11211", "-l127.0.0.2", "--listen=127.0.0.2",
                              "-vl 127.0.0.2", "-p 11212", "--po=11212", "-s /run/m.sock", "-m 128", "--memory-limit=128",
                              "-c 100", "--conn 100", "-t 2", "--threads=2", "-u root"]


def test_what_memcached_reads_from_each_refused_option_overrides_the_role(tmp_path):
    """The refusals are needed: memcached really listens elsewhere, on UDP, or with other limits or user."""
    baseline = memcached_serves(tmp_path, [])
    for item in MEMCACHED_REALLY_OVERRIDES:
        assert memcached_refusals([item]), item
        served = memcached_serves(tmp_path, ["-I 2m", item])
        assert served is not None and served != baseline, (item, served)


def test_what_preflight_lets_through_leaves_the_role_settings(tmp_path):
    baseline = memcached_serves(tmp_path, [])
    assert memcached_refusals(MEMCACHED_STARTS) == []
    assert memcached_serves(tmp_path, MEMCACHED_STARTS) == baseline


# Galera: the role's galera.cnf, read by mariadbd.

GALERA_VARS = {"filesync_address": "10.0.0.1", "__galera_node_addresses": ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
               "groups": {"galera": ["node1", "node2", "node3"]}, "galera_bootstrap_host": "node1",
               "galera_sst_password": "sst", "galera_clustercheck_password": "check"}
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
# What the role writes (mariadbd --help --verbose names) and must keep.
GALERA_GUARDED_VARIABLES = ["bind-address", "port", "socket", "wsrep-cluster-address", "wsrep-node-address", "wsrep-node-name",
                            "wsrep-cluster-name", "wsrep-on", "wsrep-provider", "wsrep-sst-method", "binlog-format",
                            "default-storage-engine", "innodb-autoinc-lock-mode"]


def galera_refusals(overrides):
    checks = render_value("galera", "__galera_checks", galera_config_overrides=overrides, **GALERA_VARS)
    return {check["name"]: check["msg"] for check in checks if not check["ok"]}


def mariadbd_reads(tmp_path, overrides):
    """The guarded variables as mariadbd reads the role's galera.cnf with the overrides; None if it refuses the file."""
    assert os.path.exists(MARIADBD), "mariadbd is missing: apt-get install mariadb-server-core (make test does)"
    path = tmp_path / "galera.cnf"
    path.write_text(render("galera", "galera.cnf.j2", galera_config_overrides=overrides, **GALERA_VARS))
    os.chmod(path, 0o640)  # mariadbd ignores world-writable option files
    user = ["--user=root"] if os.geteuid() == 0 else []
    result = subprocess.run([MARIADBD, "--defaults-file=%s" % path] + user + ["--help", "--verbose"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    table = result.stdout.split("\n---", 1)[1]
    values = dict(line.split(None, 1) for line in table.splitlines() if len(line.split(None, 1)) == 2)
    return {name: values.get(name, "").strip() for name in GALERA_GUARDED_VARIABLES}


# Each (section, option) MariaDB reads as a guarded setting, the value, and the variable the message names.
GALERA_REFUSED = [
    ("mysqld", "bind-address", "0.0.0.0", "galera_bind_address"), ("mysqld", "bind_address", "0.0.0.0", "galera_bind_address"),
    ("server", "loose-bind-address", "0.0.0.0", "galera_bind_address"), ("mariadbd", "bind", "0.0.0.0", "galera_bind_address"),
    ("client-server", "port", "3307", "galera_port"), ("mysqld", "loose_port", "3307", "galera_port"),
    ("mariadb-10.11", "socket", "/tmp/other.sock", "Unix socket"), ("galera", "wsrep_node_address", "10.9.9.9", "filesync_address"),
    ("galera", "wsrep-cluster-address", "gcomm://", "galera_group"), ("mariadbd", "wsrep_cluster_addr", "gcomm://", "galera_group"),
    ("galera", "wsrep_node_name", "other", "inventory name"), ("galera", "wsrep_cluster_name", "other", "galera_cluster_name"),
    ("mariadbd", "skip-wsrep_on", "1", "always on"), ("galera", "disable-wsrep-on", "1", "always on"),
    ("galera", "wsrep_on", "OFF", "always on"), ("galera", "wsrep_provider", "none", "galera-4"),
    ("galera", "wsrep_sst_method", "rsync", "mariabackup"), ("mysqld", "binlog_format", "STATEMENT", "ROW"),
    ("mysqld", "default-storage-engine", "MyISAM", "InnoDB"), ("mysqld", "innodb_autoinc_lock_mode", "1", "requires 2"),
]


@pytest.mark.parametrize("section, option, value, instead", GALERA_REFUSED)
def test_galera_refuses_each_spelling_of_a_guarded_option(section, option, value, instead):
    name = "galera_config_overrides[%s][%s]" % (section, option)
    refusals = galera_refusals({section: {option: value}})
    assert list(refusals) == [name + " guarded"], refusals
    assert refusals[name + " guarded"].startswith(name + " sets ") and instead in refusals[name + " guarded"]
    assert value not in refusals[name + " guarded"].replace(name, "")  # names, never the value


def test_galera_refuses_the_sst_credentials_too():
    refusals = galera_refusals({"galera": {"wsrep_sst_auth": "root:hunter2"}})
    assert "galera_sst_user and galera_sst_password" in refusals["galera_config_overrides[galera][wsrep_sst_auth] guarded"]
    assert "hunter2" not in str(refusals)


def test_what_mariadb_reads_from_each_refused_override_overrides_the_role(tmp_path):
    """The refusals are needed: mariadbd reads each refused override as the guarded setting, in any section it reads."""
    baseline = mariadbd_reads(tmp_path, {})
    assert baseline["bind-address"] == "10.0.0.1" and baseline["wsrep-node-name"] == "node1" and baseline["wsrep-on"] == "TRUE"
    for section, option, value, _instead in GALERA_REFUSED:
        read = mariadbd_reads(tmp_path, {section: {option: value}})
        if option == "binlog_format":
            assert read is None  # mariadbd refuses it with Galera on: preflight only says so first
            continue
        assert read is not None and read != baseline, (section, option, read)


GALERA_ALLOWED = {"mysqld": {"innodb_log_file_size": "512M", "max_connections": "900", "innodb": "ON",
                             "innodb_buffer_pool_size": "1G", "port_open_timeout": "10"},
                  "galera": {"wsrep_provider_options": "gcache.size=1G", "wsrep_slave_threads": "4"},
                  "sst": {"compressor": "pigz"}}


def test_what_galera_preflight_lets_through_leaves_the_role_settings(tmp_path):
    assert galera_refusals(GALERA_ALLOWED) == {}
    assert mariadbd_reads(tmp_path, GALERA_ALLOWED) == mariadbd_reads(tmp_path, {})


def test_option_name_rules():
    from ansible_collections.filesync.cluster.plugins.filter.option_names import mysql_option_targets
    guarded = ["bind-address", "port", "wsrep_provider", "innodb_autoinc_lock_mode"]
    assert mysql_option_targets("loose-skip-BIND_ADDRESS", guarded) == ["bind-address"]
    assert mysql_option_targets("po", guarded) == ["port"]
    assert mysql_option_targets("wsrep_provider_options", guarded) == []
    assert mysql_option_targets("innodb", guarded) == ["innodb_autoinc_lock_mode"]
    assert mysql_option_targets("innodb", guarded, ["innodb"]) == []
    assert mysql_option_targets("innodb_auto", guarded, ["innodb"]) == ["innodb_autoinc_lock_mode"]


# Seafile: the INI files and seahub_settings.py.

def seafile_refusals(version="11.0.12", **extra):
    from test_seafile_layouts import variables
    values = variables(version, seafile_node_archive="https://example.com/seafile.tar.gz", seafile_node_archive_checksum="sha256:0",
                       seafile_node_db_admin_host="galera1", **extra)
    return {check["name"]: check["msg"] for check in render_value("seafile_node", "__seafile_node_checks", **values) if not check["ok"]}


@pytest.mark.parametrize("file, section, key, instead", [
    ("seafile.conf", "fileserver", "port", "seafile_node_fileserver_port"),
    ("seafile.conf", "fileserver", "PORT", "seafile_node_fileserver_port"),
    ("seafile.conf", "cluster", "health_check_port", "seafile_node_health_check_port"),
    ("seafile.conf", "database", "host", "seafile_node_db_host"), ("seafile.conf", "Database", "password", "seafile_node_db_password"),
    ("seafile.conf", "memcached", "memcached_options", "seafile_node_cache_layout"),
    ("seafile.conf", "block_backend", "name", "seafile_node_storage"), ("seafile.conf", "fs_object_backend", "bucket", "seafile_node_s3_"),
    ("seafevents.conf", "DATABASE", "username", "seafile_node_db_user"), ("seafevents.conf", "INDEX FILES", "es_host", "seafile_node_es_host"),
    ("ccnet.conf", "Database", "PORT", "galera_port"),
])
def test_seafile_refuses_the_keys_the_role_writes(file, section, key, instead):
    name = "seafile_node_config_overrides[%s][%s][%s]" % (file, section, key)
    refusals = seafile_refusals(seafile_node_config_overrides={file: {section: {key: "x"}}})
    assert list(refusals) == [name + " guarded"], refusals
    assert refusals[name + " guarded"].startswith(name + " is a key the role writes itself: ") and instead in refusals[name + " guarded"]


def test_seafile_lets_other_keys_through():
    overrides = {"seafile.conf": {"fileserver": {"max_upload_size": "2000", "host": "0.0.0.0"}, "database": {"max_connections": "200"},
                                  "cluster": {"enabled": "true"}, "block_backend": {"memcached_options": "--SERVER=10.0.0.5"}},
                 "seafevents.conf": {"INDEX FILES": {"interval": "10m"}, "AUDIT": {"enabled": "true"}},
                 "seafdav.conf": {"WEBDAV": {"enabled": "true"}}}
    assert seafile_refusals(seafile_node_config_overrides=overrides,
                            seafile_node_seahub_settings={"TIME_ZONE": "Europe/Berlin", "ENABLE_SIGNUP": False}) == {}


def test_seafile_refuses_names_that_would_write_other_sections_and_files_it_does_not_write():
    refusals = seafile_refusals("12.0.14", seafile_node_config_overrides={
        "seafile.conf": {"x]\n[fileserver": {"port": "1"}, "fileserver": {"port = 1\nx": "1"}}, "ccnet.conf": {"Database": {"x": "1"}}})
    assert "seafile_node_config_overrides[seafile.conf][x]\n[fileserver][port] name" in refusals
    assert "seafile_node_config_overrides[seafile.conf][fileserver][port = 1\nx] name" in refusals
    assert refusals["seafile_node_config_overrides[ccnet.conf]"] == (
        "seafile_node_config_overrides names ccnet.conf, which the role does not write for Seafile 12.0.14: it writes seafile.conf, "
        "seafevents.conf, seafdav.conf.")


@pytest.mark.parametrize("setting, instead", [("SECRET_KEY", "seafile_node_secret_key"), ("SERVICE_URL", "seafile_node_service_url"),
                                              ("FILE_SERVER_ROOT", "seafile_node_file_server_root"), ("DATABASES", "seafile_node_db_host"),
                                              ("CACHES", "seafile_node_cache_layout"), ("AVATAR_FILE_STORAGE", "in the database"),
                                              ("ENABLE_THUMBNAIL", "seafile_node_thumbnails_enabled"),
                                              ("THUMBNAIL_ROOT", "seafile_node_thumbnail_root")])
def test_seafile_refuses_the_seahub_settings_the_role_writes(setting, instead):
    refusals = seafile_refusals(seafile_node_seahub_settings={setting: "secret-value"})
    name = "seafile_node_seahub_settings[%s] guarded" % setting
    assert list(refusals) == [name] and instead in refusals[name] and "secret-value" not in refusals[name]


def test_seafile_refuses_a_setting_name_that_is_no_python_name():
    refusals = seafile_refusals(seafile_node_seahub_settings={"X = 1\nSECRET_KEY": "k"})
    assert list(refusals) == ["seafile_node_seahub_settings[X = 1\nSECRET_KEY] name"]


# PowerFolder: PowerFolder.config keys.

@pytest.mark.parametrize("key, instead", [("net.bindaddress", "powerfolder_node_bind_address"), ("net.port", "powerfolder_node_data_port"),
                                          ("plugin.webinterface.port", "powerfolder_node_web_port"), ("ssl.port", "powerfolder_node_ssl_port"),
                                          ("database.password", "powerfolder_node_db_password"), ("license.key", "powerfolder_node_license_key"),
                                          ("nodeid", "its own"), ("web.base.url", "powerfolder_node_url")])
def test_powerfolder_refuses_the_keys_the_role_writes(key, instead):
    guarded = render_value("powerfolder_node", "__powerfolder_node_extra_guarded",
                           powerfolder_node_extra_properties={"upload.limit": "0", key: "secret-value"})
    assert len(guarded) == 1 and guarded[0].startswith(key + " (") and instead in guarded[0] and "secret-value" not in guarded[0]


def test_powerfolder_preflight_names_them():
    checks = role_defaults("powerfolder_node")["__powerfolder_node_checks"]
    assert "__powerfolder_node_extra_guarded | length == 0" in checks
    assert "powerfolder_node_extra_properties sets keys the role writes itself" in checks


def test_powerfolder_license_key_goes_only_where_it_is_masked():
    """license.key reaches PowerFolder.config through java_properties' secret_properties (no_log, masked in the diff)."""
    values = dict(powerfolder_node_license_key="KEY-4711", powerfolder_node_license_email="ops@example.com",
                  powerfolder_node_db_password="pw", powerfolder_node_db_host="10.0.0.9", powerfolder_node_url="https://pf.example.com",
                  filesync_address="10.0.0.1", inventory_hostname_short="node1", galera_port=3306, galera_lb_group="haproxy")
    public = render_value("powerfolder_node", "__powerfolder_node_properties", **values)
    secret = render_value("powerfolder_node", "__powerfolder_node_secret_properties", **values)
    assert secret == {"database.password": "pw", "license.key": "KEY-4711"}
    assert public["license.email"] == "ops@example.com" and "KEY-4711" not in str(public)
    keys = yaml.safe_load((PROJECT / "roles/powerfolder_node/tasks/keys.yml").read_text())[0]["filesync.cluster.java_properties"]
    assert keys["secret_properties"] == "{{ __powerfolder_node_secret_properties }}"
    java_properties = (PROJECT / "plugins/modules/java_properties.py").read_text()
    assert 'secret_properties=dict(type="dict", default={}, no_log=True)' in java_properties


# HAProxy: a service's free-form options (lines of haproxy.cfg).

HAPROXY_SERVICE = {"name": "galera", "mode": "tcp", "bind": ["10.0.0.1:3306"], "port": 3306, "servers_group": "galera"}


def haproxy_refusals(options):
    return render_value("haproxy", "__haproxy_option_refusals", haproxy_services=[dict(HAPROXY_SERVICE, options=options)])


@pytest.mark.parametrize("line, keyword, instead", [
    ("bind 0.0.0.0:3307", "bind", "the service's bind list"),
    ("  server extra 10.0.0.9:3306 check", "server", "servers or servers_group"),
    ("default-server on-marked-down shutdown-sessions", "default-server", "the role's server settings"),
    ("stats enable", "stats", "haproxy_stats_enabled"),
    ("listen open", "listen", "another haproxy_services item"),
    ("frontend sneaky", "frontend", "another haproxy_services item"),
    ("use_backend other if TRUE", "use_backend", "routes"),
])
def test_haproxy_refuses_options_that_set_what_the_role_writes(line, keyword, instead):
    found = haproxy_refusals(["timeout client 8h", line])
    assert len(found) == 1 and "sets '%s'" % keyword in found[0] and instead in found[0], found


@pytest.mark.parametrize("line", ["timeout client 8h\nbind *:3307", "timeout client 8h\rbind *:3307"])
def test_haproxy_refuses_a_line_break_in_an_option(line):
    found = haproxy_refusals([line])
    assert len(found) == 1 and "holds a line break" in found[0], found


def test_haproxy_lets_other_options_through():
    options = ["timeout client 8h", "timeout server 8h", "option tcpka", "# a comment", "http-reuse safe"]
    assert haproxy_refusals(options) == []
