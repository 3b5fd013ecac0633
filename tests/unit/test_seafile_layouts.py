"""The seafile_node role's configuration for each supported layout, checked
by the stand-in server's own configuration checks."""

import configparser
import subprocess
import tarfile

import pytest

from render import PROJECT, backend_hosts, render, render_value, role_defaults

LAYOUTS = {"6.0.1": "seed", "11.0.12": "memcached-section", "13.0.1": "env"}


def variables(version, **extra):
    groups, hostvars = backend_hosts(("memcached", 3), ("seafile_nodes", 3), ("seafile_lb", 1))
    # The memcached and Galera tiers' variables, as the role imports them.
    values = dict(role_defaults("memcached"), galera_port=3306, galera_lb_group="haproxy")
    values.update(groups=groups, hostvars=hostvars, seafile_node_version=version,
                  seafile_node_service_url="https://seafile.example.com", seafile_node_db_password="pw",
                  __seafile_node_secret="k" * 40, filesync_address="10.0.0.14", seafile_node_db_host="10.0.0.17",
                  inventory_hostname="seafile_nodes1")
    values.update(extra)
    return values


@pytest.fixture
def installed(tmp_path):
    """Unpack the stand-in archive of a version and write the role's configuration."""

    def install(version, **extra):
        subprocess.run([str(PROJECT / "tests/fixtures/seafile-pro/build.sh"), version, str(tmp_path)],
                       check=True, capture_output=True)
        with tarfile.open(tmp_path / ("seafile-pro-server_%s_x86-64.tar.gz" % version)) as archive:
            archive.extractall(tmp_path, filter="data")
        values = variables(version, seafile_node_top_dir=str(tmp_path), **extra)
        # Every file under the top-level directory the role's configure task
        # writes, from its own list (the systemd units are not the stand-in's).
        for item in render_value("seafile_node", "__seafile_node_config_files", **values):
            if not item["dest"].startswith(str(tmp_path)):
                continue
            path = tmp_path / item["dest"]
            path.parent.mkdir(exist_ok=True)
            path.write_text(render("seafile_node", item["template"], item=item, **values))
        return tmp_path

    return install


def ini(name, **values):
    """One INI file as the role writes it: its sections merged with the overrides."""
    return render("seafile_node", "ini.j2", item={"name": name}, **values)


def check(top, version):
    return subprocess.run(["python3", str(top / ("seafile-pro-server-%s/seafile/bin/seaf-server" % version)), "--check"],
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_the_stand_in_accepts_the_role_configuration(installed, version):
    top = installed(version)
    result = check(top, version)
    assert result.returncode == 0, result.stderr


def test_seed_layout_puts_memcached_options_under_cluster(installed):
    top = installed("6.0.1")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(top / "conf/seafile.conf")
    assert parser["cluster"]["enabled"] == "true" and parser["cluster"]["health_check_port"] == "11001"
    assert parser["cluster"]["memcached_options"] == (
        "--SERVER=10.0.0.11:11211 --SERVER=10.0.0.12:11211 --SERVER=10.0.0.13:11211 --POOL-MIN=10 --POOL-MAX=100")
    settings = (top / "conf/seahub_settings.py").read_text()
    assert "'BACKEND': 'django.core.cache.backends.memcached.MemcachedCache'" in settings
    assert "'LOCATION': [\"10.0.0.11:11211\", \"10.0.0.12:11211\", \"10.0.0.13:11211\"]" in settings


def test_seafile_10_to_12_use_a_memcached_section(installed):
    top = installed("11.0.12")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(top / "conf/seafile.conf")
    assert "memcached_options" not in parser["cluster"]
    assert parser["memcached"]["memcached_options"].startswith("--SERVER=10.0.0.11:11211 --SERVER=10.0.0.12:11211")
    settings = (top / "conf/seahub_settings.py").read_text()
    assert "'BACKEND': 'django_pylibmc.memcached.PyLibMCCache'" in settings
    assert "COMPRESS_CACHE_BACKEND = 'locmem'" in settings


def test_seafile_13_reads_the_cache_from_env(installed):
    top = installed("13.0.1")
    assert "memcached_options" not in (top / "conf/seafile.conf").read_text()
    assert "CACHES" not in (top / "conf/seahub_settings.py").read_text()
    env = (top / ".env").read_text()
    assert "CACHE_PROVIDER=memcached\n" in env and "MEMCACHED_HOST=10.0.0.11\n" in env


def test_seafile_13_with_redis(installed):
    top = installed("13.0.1", seafile_node_cache_provider="redis", seafile_node_redis_host="redis.example.com")
    env = (top / ".env").read_text()
    assert "CACHE_PROVIDER=redis\n" in env and "REDIS_HOST=redis.example.com\n" in env
    assert check(top, "13.0.1").returncode == 0


def test_common_settings_of_every_layout(installed):
    for version in LAYOUTS:
        settings = render("seafile_node", "seahub_settings.py.j2", **variables(
            version, seafile_node_thumbnails_enabled=True, seafile_node_thumbnail_root="/srv/filesync/thumbnails"))
        assert "AVATAR_FILE_STORAGE = 'seahub.base.database_storage.DatabaseStorage'" in settings
        assert 'SERVICE_URL = "https://seafile.example.com"' in settings
        assert 'FILE_SERVER_ROOT = "https://seafile.example.com/seafhttp"' in settings
        assert 'THUMBNAIL_ROOT = "/srv/filesync/thumbnails"' in settings
        compile(settings, "seahub_settings.py", "exec")
        events = ini("seafevents.conf", **variables(version))
        assert "[INDEX FILES]" in events and "external_es_server = true" in events


def test_the_stand_in_refuses_malformed_memcached_options(installed):
    top = installed("11.0.12")
    conf = top / "conf/seafile.conf"
    conf.write_text(conf.read_text().replace("--POOL-MAX=100", "--POOL-MAX"))
    result = check(top, "11.0.12")
    assert result.returncode == 1 and "memcached_options is malformed" in result.stderr


def test_firewall_rules_open_ports_to_their_clients_only():
    rules = render("seafile_node", "filesync-seafile.nft.j2", **variables("11.0.12", inventory_hostname="memcached1"))
    assert "tcp dport 11001 ip saddr { 10.0.0.17, 10.0.0.14, 127.0.0.1 } accept" in rules
    assert "tcp dport 11211 ip saddr { 10.0.0.14, 10.0.0.15, 10.0.0.16, 127.0.0.1 } accept" in rules
    assert "tcp dport 11001 drop" in rules and "tcp dport 11211 drop" in rules


def node_state(user, group, share_owner=(2000, 2000)):
    """What host_state returns to Seafile's preflight on a node (the share of the default storage path)."""
    share = {"exists": True, "isdir": True, "islnk": False, "uid": share_owner[0], "gid": share_owner[1], "mode": "0770"}
    return {"paths": {"/srv/filesync": share}, "users": {"seafile": user}, "groups": {"seafile": group}, "files": {}}


@pytest.mark.parametrize("user, group", [
    ({"uid": 2001, "gid": 2000, "home": "/opt/seafile", "shell": "/usr/sbin/nologin"}, {"gid": 2000}),
    ({"uid": 2000, "gid": 2001, "home": "/opt/seafile", "shell": "/usr/sbin/nologin"}, {"gid": 2000}),
    ({"uid": 2000, "gid": 2000, "home": "/opt/seafile", "shell": "/usr/sbin/nologin"}, {"gid": 2001}),
])
def test_preflight_refuses_a_service_user_or_group_with_other_ids(user, group):
    refusals = render_value("seafile_node", "__seafile_node_state_refusals", __seafile_node_state=node_state(user, group),
                            seafile_node_uid=2000, seafile_node_gid=2000)
    assert refusals == ["On node1: user seafile has UID %s / GID %s, group seafile GID %s. Every node must see the same shared "
                        "folder, owned by UID 2000 / GID 2000 (seafile_node_uid/gid, the Seafile user on every node): mount the "
                        "share there (nfs role) and chown it, or set seafile_node_uid/gid to its owner."
                        % (user["uid"], user["gid"], group["gid"])]


@pytest.mark.parametrize("user, group", [
    ({"uid": 2000, "gid": 2000, "home": "/srv/filesync", "shell": "/bin/sh"}, {"gid": 2000}),  # made by the nfs role
    (None, None),  # not there yet: the role creates them
])
def test_preflight_accepts_a_missing_service_user_or_one_with_the_right_ids(user, group):
    assert render_value("seafile_node", "__seafile_node_state_refusals", __seafile_node_state=node_state(user, group),
                        seafile_node_uid=2000, seafile_node_gid=2000) == []
