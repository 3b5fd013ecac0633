"""The seafile_node role's configuration for each supported layout, checked
by the stand-in server's own configuration checks."""

import configparser
import subprocess
import tarfile

import pytest

from render import PROJECT, backend_hosts, render, render_value, role_defaults

LAYOUTS = {"11.0.12": "ccnet.conf and SERVICE_URL", "12.0.14": "conf/.env, no ccnet.conf", "13.0.1": "cache and storage in conf/.env"}


def variables(version, **extra):
    groups, hostvars = backend_hosts(("memcached", 3), ("seafile_nodes", 3), ("seafile_lb", 1))
    hostvars["seafile_nodes1"]["seafile_node_background_tasks"] = True
    # The memcached and Galera tiers' variables, as the role imports them.
    values = dict(role_defaults("memcached"), galera_port=3306, galera_lb_group="haproxy")
    values.update(groups=groups, hostvars=hostvars, seafile_node_version=version,
                  seafile_node_service_url="https://seafile.example.com", seafile_node_db_password="pw",
                  __seafile_node_secret="k" * 40, __seafile_node_jwt_generated="j" * 50, filesync_address="10.0.0.14",
                  seafile_node_db_host="10.0.0.17", inventory_hostname="seafile_nodes1", seafile_node_background_tasks=True)
    if version.startswith("13."):
        # Seafile 13 takes one cache host: the active/standby pair's virtual IP.
        values.update(seafile_node_cache_layout="active_standby", memcached_virtual_ip="10.0.0.250")
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


def test_seafile_11_keeps_ccnet_conf_and_the_service_url(installed):
    top = installed("11.0.12")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(top / "conf/seafile.conf")
    assert "memcached_options" not in parser["cluster"]
    assert parser["memcached"]["memcached_options"] == (
        "--SERVER=10.0.0.11:11211 --SERVER=10.0.0.12:11211 --SERVER=10.0.0.13:11211 --POOL-MIN=10 --POOL-MAX=100")
    assert (top / "conf/ccnet.conf").exists() and not (top / "conf/.env").exists()
    settings = (top / "conf/seahub_settings.py").read_text()
    assert "'BACKEND': 'django_pylibmc.memcached.PyLibMCCache'" in settings
    assert 'SERVICE_URL = "https://seafile.example.com"' in settings
    assert 'FILE_SERVER_ROOT = "https://seafile.example.com/seafhttp"' in settings


def env_of(top):
    return dict(line.split("=", 1) for line in (top / "conf/.env").read_text().splitlines() if line and not line.startswith("#"))


def test_seafile_12_takes_the_address_database_and_token_key_from_env(installed):
    top = installed("12.0.14")
    assert not (top / "conf/ccnet.conf").exists()
    settings = (top / "conf/seahub_settings.py").read_text()
    assert "SERVICE_URL" not in settings and "FILE_SERVER_ROOT" not in settings
    assert "CACHES" in settings and "DATABASES" in settings
    env = env_of(top)
    assert env["SEAFILE_SERVER_PROTOCOL"] == "https" and env["SEAFILE_SERVER_HOSTNAME"] == "seafile.example.com"
    assert env["JWT_PRIVATE_KEY"] == "j" * 50 and env["CLUSTER_MODE"] == "backend"
    assert env["SEAFILE_MYSQL_DB_HOST"] == "10.0.0.17" and env["SEAFILE_MYSQL_DB_PASSWORD"] == "pw"
    assert "CACHE_PROVIDER" not in env


def test_frontends_run_in_cluster_mode_frontend(installed):
    top = installed("12.0.14", inventory_hostname="seafile_nodes2", seafile_node_background_tasks=False)
    assert env_of(top)["CLUSTER_MODE"] == "frontend"
    assert check(top, "12.0.14").returncode == 0


def test_seafile_13_reads_the_cache_from_env(installed):
    top = installed("13.0.1")
    conf = (top / "conf/seafile.conf").read_text()
    assert "memcached" not in conf and "[database]" not in conf
    settings = (top / "conf/seahub_settings.py").read_text()
    assert "CACHES" not in settings and "DATABASES" not in settings
    env = env_of(top)
    assert env["CACHE_PROVIDER"] == "memcached" and env["MEMCACHED_HOST"] == "10.0.0.250"


def test_seafile_13_with_redis(installed):
    top = installed("13.0.1", seafile_node_cache_provider="redis", seafile_node_redis_host="redis.example.com",
                    seafile_node_redis_password="redis-pw")
    env = env_of(top)
    assert env["CACHE_PROVIDER"] == "redis" and env["REDIS_HOST"] == "redis.example.com" and env["REDIS_PASSWORD"] == "redis-pw"
    assert check(top, "13.0.1").returncode == 0


@pytest.mark.parametrize("written, running", [(w, r) for w in LAYOUTS for r in LAYOUTS if w.split(".")[0] != r.split(".")[0]])
def test_each_version_refuses_the_files_of_another(installed, tmp_path, written, running):
    """The files the role writes for one version make another version's stand-in refuse to start."""
    top = installed(written)
    subprocess.run([str(PROJECT / "tests/fixtures/seafile-pro/build.sh"), running, str(tmp_path / "other")],
                   check=True, capture_output=True)
    with tarfile.open(tmp_path / "other" / ("seafile-pro-server_%s_x86-64.tar.gz" % running)) as archive:
        archive.extractall(top, filter="data")
    result = check(top, running)
    assert result.returncode == 1 and "refusing to start" in result.stderr, result


def test_the_active_standby_layout_names_the_virtual_ip_only(installed):
    top = installed("11.0.12", seafile_node_cache_layout="active_standby", memcached_virtual_ip="10.0.0.250")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(top / "conf/seafile.conf")
    assert parser["memcached"]["memcached_options"] == "--SERVER=10.0.0.250:11211 --POOL-MIN=10 --POOL-MAX=100"
    assert "'LOCATION': [\"10.0.0.250:11211\"]" in (top / "conf/seahub_settings.py").read_text()
    assert check(top, "11.0.12").returncode == 0


def test_common_settings_of_every_layout(installed):
    for version in LAYOUTS:
        settings = render("seafile_node", "seahub_settings.py.j2", **variables(
            version, seafile_node_thumbnails_enabled=True, seafile_node_thumbnail_root="/srv/filesync/thumbnails"))
        assert "AVATAR_FILE_STORAGE = 'seahub.base.database_storage.DatabaseStorage'" in settings
        assert 'THUMBNAIL_ROOT = "/srv/filesync/thumbnails"' in settings
        compile(settings, "seahub_settings.py", "exec")
        events = ini("seafevents.conf", **variables(version))
        assert "[INDEX FILES]" in events and "external_es_server = true" in events
        # The search server runs on the background node.
        assert "es_host = 10.0.0.14" in events and "es_port = 9200" in events


def test_the_stand_in_refuses_malformed_memcached_options(installed):
    top = installed("11.0.12")
    conf = top / "conf/seafile.conf"
    conf.write_text(conf.read_text().replace("--POOL-MAX=100", "--POOL-MAX"))
    result = check(top, "11.0.12")
    assert result.returncode == 1 and "memcached_options is malformed" in result.stderr


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


def cluster_state(running, recorded=None, env=None):
    """Preflight's view of a one-node cluster that runs `running`, its database recorded at `recorded`."""
    state = node_state({"uid": 2000, "gid": 2000, "home": "/opt/seafile", "shell": "/usr/sbin/nologin"}, {"gid": 2000})
    state["paths"]["/opt/seafile/seafile-server-latest"] = {"exists": True, "isdir": False, "islnk": True,
                                                            "target": "seafile-pro-server-%s" % running}
    if recorded:
        state["files"]["/opt/seafile/.filesync-database-release"] = recorded + "\n"
    if env:
        state["files"]["/opt/seafile/conf/.env"] = env
    return {"__seafile_node_state": state, "groups": {"seafile_nodes": ["node1"]}, "hostvars": {"node1": {"__seafile_node_state": state}},
            "ansible_play_hosts_all": ["node1"]}


@pytest.mark.parametrize("running, recorded, version, upgrading", [
    ("11.0.12", "11.0", "11.0.13", ""),  # a patch release: a rolling restart
    ("11.0.12", "11.0", "12.0.14", "11.0"),
    ("11.0.12", None, "12.0.14", "11.0"),  # deployed before the record: what the nodes run
    ("12.0.14", "12.0", "12.0.14", ""),
])
def test_an_upgrade_is_a_new_release_of_the_database(running, recorded, version, upgrading):
    values = cluster_state(running, recorded)
    assert render_value("seafile_node", "__seafile_node_upgrade_from", seafile_node_version=version, **values) == upgrading
    assert render_value("seafile_node", "__seafile_node_state_refusals", seafile_node_version=version, **values) == []


@pytest.mark.parametrize("running, recorded, version, refusal", [
    ("12.0.14", "12.0", "11.0.12", "seafile_node_version 11.0.12 is older than what the cluster runs (12.0.14, database at 12.0)"),
    ("11.0.13", "11.0", "11.0.12", "seafile_node_version 11.0.12 is older than what the cluster runs (11.0.13, database at 11.0)"),
    ("11.0.12", "11.0", "13.0.1", "The database is at Seafile 11.0: upgrading to 13.0.1 skips a major version"),
])
def test_preflight_refuses_a_downgrade_and_a_skipped_major_version(running, recorded, version, refusal):
    refusals = render_value("seafile_node", "__seafile_node_state_refusals", seafile_node_version=version,
                            **cluster_state(running, recorded))
    assert len(refusals) == 1 and refusals[0].startswith(refusal), refusals


def test_preflight_refuses_an_upgrade_under_limit():
    values = dict(cluster_state("11.0.12", "11.0"), ansible_play_hosts_all=[])
    refusals = render_value("seafile_node", "__seafile_node_state_refusals", seafile_node_version="12.0.14", **values)
    assert refusals == ["Upgrading to 12.0.14 stops and starts every Seafile node in turn: run it without --limit (missing: node1)."]


def test_the_cluster_keeps_its_jwt_private_key_and_refuses_two():
    values = cluster_state("12.0.14", "12.0", env="# managed\nJWT_PRIVATE_KEY=abc123\nCLUSTER_MODE=frontend\n")
    assert render_value("seafile_node", "__seafile_node_jwt", seafile_node_version="12.0.14", **values) == "abc123"
    other = cluster_state("12.0.14", "12.0", env="JWT_PRIVATE_KEY=zzz\n")["__seafile_node_state"]
    values["groups"] = {"seafile_nodes": ["node1", "node2"]}
    values["hostvars"]["node2"] = {"__seafile_node_state": other}
    values["ansible_play_hosts_all"] = ["node1", "node2"]
    refusals = render_value("seafile_node", "__seafile_node_state_refusals", seafile_node_version="12.0.14", **values)
    assert [r for r in refusals if "different JWT_PRIVATE_KEYs" in r], refusals


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_preflight_accepts_the_lab_inputs_of_every_version(version):
    values = variables(version, seafile_node_archive=__file__, seafile_node_db_admin_host="galera1",
                       memcached_servers=["10.0.0.11:11211", "10.0.0.12:11211"])
    assert render_value("seafile_node", "__seafile_node_refusals", **values) == []


@pytest.mark.parametrize("extra, refusal", [
    ({"seafile_node_cache_layout": "active_standby", "memcached_virtual_ip": ""},
     "seafile_node_cache_layout is 'active_standby' with 2 memcached nodes and memcached_virtual_ip ''"),
    ({"seafile_node_version": "13.0.1", "seafile_node_cache_layout": "all_nodes"}, "Seafile 13 takes one cache host"),
    ({"seafile_node_version": "12.0.14", "seafile_node_service_url": "https://example.com/seafile"},
     "and from Seafile 12 without a path (SEAFILE_SERVER_HOSTNAME is a host name); got 'https://example.com/seafile'."),
    ({"seafile_node_version": "13.0.1", "seafile_node_cache_provider": "redis", "seafile_node_redis_host": "10.0.0.30",
      "seafile_node_redis_password": ""}, "set seafile_node_cache_provider: redis, seafile_node_redis_host and seafile_node_redis_password"),
])
def test_preflight_refuses_a_cache_or_address_the_version_cannot_use(extra, refusal):
    values = variables(extra.get("seafile_node_version", "11.0.12"), seafile_node_archive=__file__, seafile_node_db_admin_host="galera1",
                       memcached_servers=["10.0.0.11:11211", "10.0.0.12:11211"])
    values.update(extra)
    refusals = render_value("seafile_node", "__seafile_node_refusals", **values)
    assert [r for r in refusals if refusal in r], refusals
