"""The SeaTable roles' node files for each version and cluster mode, read back by
the parsers the applications use (json, Python, YAML, compose's .env, the
dtable_route_check module's parser), and the preflight's refusals."""

import json
import re

import pytest
import yaml
from ansible_collections.filesync.cluster.plugins.modules import dtable_route_check

from render import PROJECT, render, render_value, role_defaults

# (seatable_version, seatable_cluster_mode): etcd up to 6.2, prefix from 5.3.
LAYOUTS = [("3.5.0", "etcd"), ("4.2.0", "etcd"), ("4.4.0", "etcd"), ("5.2.7", "etcd"), ("5.3.0", "etcd"),
           ("5.3.0", "prefix"), ("6.2.3", "prefix")]
HOSTS = ["web1", "ds1"]  # the dtable-web node and a dtable-server node
CASES = [(version, mode, host) for version, mode in LAYOUTS for host in HOSTS]
ADDRESSES = {"web1": "10.0.0.11", "ds1": "10.0.0.21", "ds2": "10.0.0.22", "proxy1": "10.0.0.31",
             "e1": "10.0.0.41", "e2": "10.0.0.42", "e3": "10.0.0.43",
             "g1": "10.0.0.51", "g2": "10.0.0.52", "g3": "10.0.0.53", "lb1": "10.0.0.61"}
JWT, SECRET = "k" * 40, "s" * 50
DB_PASSWORD, REDIS_PASSWORD = "Db-pw.2024@x!", "Rd_pw+2024,y"
MEMCACHED = ["10.0.0.71:11211", "10.0.0.72:11211"]
LICENSE = str(PROJECT / "tests/fixtures/seatable/seatable-license.txt")
OVERRIDE = "4f1c2d3e-0000-4000-8000-000000000001"


def v(version):
    return tuple(int(part) for part in version.split("."))


def variables(version, mode, host="web1", etcd_members=3, hostvars_extra=None, **extra):
    """A host's variables as the SeaTable roles see them after preflight (what it registers supplied)."""
    groups = {"seatable_web": ["web1"], "dtable_servers": ["ds1", "ds2"],
              "dtable_proxy": ["web1"] if mode == "prefix" else ["proxy1"],
              "etcd": ["e1", "e2", "e3"][:etcd_members], "galera": ["g1", "g2", "g3"], "haproxy": ["lb1"]}
    hostvars = {name: {"inventory_hostname": name, "filesync_address": address} for name, address in ADDRESSES.items()}
    for name in groups["dtable_servers"]:
        hostvars[name]["seatable_node_url"] = "https://%s.seatable.example.com/" % name
    for name, values in (hostvars_extra or {}).items():
        hostvars[name].update(values)
        for key in [key for key, value in values.items() if value is None]:
            del hostvars[name][key]
    values = dict(groups=groups, hostvars=hostvars, seatable_version=version, seatable_cluster_mode=mode,
                  __seatable_state={"paths": {}, "files": {}},
                  __seatable_generated={"jwt_private_key": JWT, "secret_key": SECRET},
                  galera_port=3306, galera_lb_group="haproxy", etcd_group="etcd", etcd_tls_enabled=False,
                  etcd_endpoints=["%s:2379" % ADDRESSES[name] for name in groups["etcd"]], memcached_servers=MEMCACHED,
                  seatable_db_password=DB_PASSWORD, seatable_redis_password=REDIS_PASSWORD,
                  seatable_server_hostname="seatable.example.com", seatable_license_file=LICENSE)
    values.update(hostvars[host])  # the host's own inventory variables (and inventory_hostname)
    values.update(extra)
    return values


def etcd_endpoints():
    return ["10.0.0.41:2379", "10.0.0.42:2379", "10.0.0.43:2379"]


def strict_json(text):
    """json.loads, refusing NaN/Infinity and duplicate keys too."""
    def no_duplicates(pairs):
        keys = [pair[0] for pair in pairs]
        assert len(keys) == len(set(keys)), "duplicate keys: %s" % keys
        return dict(pairs)

    def refuse(name):
        raise ValueError("not JSON: %s" % name)

    return json.loads(text, strict=True, object_pairs_hook=no_duplicates, parse_constant=refuse)


def compose_env(text):
    """A .env file as docker compose reads single-quoted values: KEY='value' -> value, literally."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)='([^']*)'(?:\s+#.*)?", line)
        assert match, "not a single-quoted KEY='value' line: %r" % line
        assert match.group(1) not in out, "%s set twice" % match.group(1)
        out[match.group(1)] = match.group(2)
    return out


@pytest.mark.parametrize("version, mode, host", CASES)
def test_each_version_writes_the_files_it_reads(version, mode, host):
    files = render_value("seatable", "__seatable_files", **variables(version, mode, host))
    expected = {"seatable-server.yml.j2", "dtable_web_settings.py.j2"}
    if v(version) < (4, 0):
        expected.add("seatable-controller.conf.j2")
    if v(version) >= (4, 3):
        expected.add("env.j2")
    if v(version) < (6, 2):
        expected |= {"dtable_server_config.json.j2", "dtable-db.conf.j2"}
        if v(version) >= (4, 4) and mode == "etcd" and host == "web1":
            expected.add("dtable-api-gateway.conf.j2")
    assert sorted(item["src"] for item in files) == sorted(expected)
    dests = [item["dest"] for item in files]
    assert len(set(dests)) == len(dests) and all(dest.startswith("/opt/") for dest in dests)
    root = "/opt/seatable-compose" if v(version) >= (4, 3) else "/opt/seatable"
    compose = [item["dest"] for item in files if item["src"] == "seatable-server.yml.j2"]
    assert compose == [root + ("/seatable-server.yml" if v(version) >= (4, 3) else "/docker-compose.yml")]
    # Every file that holds a secret is not world-readable.
    assert all(item["mode"] in ("0600", "0640") for item in files if item["secret"])


@pytest.mark.parametrize("version, mode, host", [case for case in CASES if v(case[0]) < (6, 2)])
def test_dtable_server_config_is_strict_json_with_the_versions_keys(version, mode, host):
    config = strict_json(render("seatable", "dtable_server_config.json.j2", **variables(version, mode, host)))
    assert config["private_key"] == JWT and config["password"] == DB_PASSWORD
    assert config["host"] == ADDRESSES["lb1"] and config["port"] == 3306 and config["database"] == "dtable_db"
    if v(version) >= (5, 2):
        assert (config["redis_host"], config["redis_port"], config["redis_password"]) == (ADDRESSES["web1"], 6379, REDIS_PASSWORD)
    else:
        assert not [key for key in config if key.startswith("redis")]
    if mode == "etcd" and host != "web1":
        cluster = config["cluster_config"]
        if v(version) < (4, 0):
            assert cluster["etcd_host"] == etcd_endpoints()[0] and isinstance(cluster["etcd_host"], str)
            assert "etcd_host_list" not in cluster
        else:
            assert cluster["etcd_host_list"] == etcd_endpoints() and "etcd_host" not in cluster
        assert cluster["node_id"] == "ds1" and cluster["node_url"] == "https://ds1.seatable.example.com/"
        assert cluster["local_node_url"] == "http://10.0.0.21:5000/"
    else:
        assert "cluster_config" not in config


@pytest.mark.parametrize("version", [version for version, mode in LAYOUTS if mode == "etcd"])
def test_the_proxys_dtable_server_config_names_etcd_by_version(version):
    values = dict(role_defaults("seatable"), **variables(version, "etcd", "proxy1"))
    config = strict_json(render("dtable_proxy", "dtable_server_config.json.j2", **values))
    if v(version) < (4, 0):
        assert config == {"cluster_config": {"etcd_host": etcd_endpoints()[0]}}
    else:
        assert config == {"cluster_config": {"etcd_host_list": etcd_endpoints()}}


@pytest.mark.parametrize("version, mode, host", CASES)
def test_dtable_web_settings_run_as_python(version, mode, host):
    text = render("seatable", "dtable_web_settings.py.j2", **variables(version, mode, host))
    settings = {}
    exec(compile(text, "dtable_web_settings.py", "exec"), settings)  # noqa: S102 - the file SeaTable imports
    assert settings["SECRET_KEY"] == SECRET
    assert settings["DTABLE_WEB_SERVICE_URL"] == "https://seatable.example.com/"
    if v(version) < (5, 3):
        assert settings["DTABLE_PRIVATE_KEY"] == JWT
        assert settings["DATABASES"]["default"] == {"ENGINE": "django.db.backends.mysql", "NAME": "dtable_db", "USER": "seatable",
                                                    "PASSWORD": DB_PASSWORD, "HOST": ADDRESSES["lb1"], "PORT": 3306}
        cache = settings["CACHES"]["default"]
        if v(version) >= (5, 2):
            assert cache["BACKEND"] == "django_redis.cache.RedisCache"
            assert cache["LOCATION"] == "redis://10.0.0.11:6379" and cache["OPTIONS"]["PASSWORD"] == REDIS_PASSWORD
        else:
            assert "memcached" in cache["BACKEND"] and cache["LOCATION"] == MEMCACHED
    else:
        assert not {"DTABLE_PRIVATE_KEY", "DATABASES", "CACHES"} & set(settings)
    etcd = {name: settings[name] for name in ("ETCD_SERVER_HOST", "ETCD_SERVER_HOST_LIST") if name in settings}
    if mode == "prefix":
        assert etcd == {} and "ENABLE_DTABLE_SERVER_CLUSTER" not in settings
    elif v(version) < (4, 0):
        assert etcd == {"ETCD_SERVER_HOST": "10.0.0.41"}
    else:
        assert etcd == {"ETCD_SERVER_HOST_LIST": ["10.0.0.41", "10.0.0.42", "10.0.0.43"]}
    if mode == "etcd":
        assert settings["ENABLE_DTABLE_SERVER_CLUSTER"] is True and settings["DTABLE_PROXY_SERVER_URL"] == "http://10.0.0.31:5550/"


def compose_environment(version, mode, host):
    text = render("seatable", "seatable-server.yml.j2", **variables(version, mode, host))
    service = yaml.safe_load(text)["services"]["seatable-server"]
    assert service["image"] == "seatable/seatable-enterprise:%s" % version and service["network_mode"] == "host"
    return service["environment"]


@pytest.mark.parametrize("version, mode, host", CASES)
def test_compose_environment_by_version_and_tier(version, mode, host):
    env = compose_environment(version, mode, host)
    assert all(isinstance(value, str) for value in env.values()), env  # compose wants strings, not YAML booleans
    web = host == "web1"
    switches = {name: value for name, value in env.items() if name.startswith("ENABLE_")}
    if v(version) < (4, 0):
        assert switches == {} and "SEATABLE_START_MODE" not in env
    else:
        assert switches["ENABLE_DTABLE_WEB"] == switches["ENABLE_SEAFILE_SERVER"] == str(web).lower()
        assert switches["ENABLE_DTABLE_SERVER"] == str(not web).lower()
        assert env.get("SEATABLE_START_MODE") == (None if web else "cluster")
        assert not [name for name in switches if "SERTVER" in name]
    references = {name: value for name, value in env.items() if "${" in value}
    sources = {"DB_HOST": "MARIADB_HOST", "DB_PORT": "MARIADB_PORT", "DB_USER": "MARIADB_USER", "DB_ROOT_PASSWD": "MARIADB_PASSWORD",
               "REDIS_HOST": "REDIS_HOST", "REDIS_PORT": "REDIS_PORT", "REDIS_PASSWORD": "REDIS_PASSWORD",
               "JWT_PRIVATE_KEY": "JWT_PRIVATE_KEY"}
    if v(version) >= (5, 3):
        assert references == {name: "${%s:?Variable is not set or empty}" % source for name, source in sources.items()}
        # Each reference is set, not empty, in the .env beside it.
        dotenv = compose_env(render("seatable", "env.j2", **variables(version, mode, host)))
        assert all(dotenv[source] for source in sources.values())
    else:
        assert references == {}


@pytest.mark.parametrize("version, mode, host", CASES)
def test_the_api_gateway_switch_only_from_4_4(version, mode, host):
    env = compose_environment(version, mode, host)
    if v(version) >= (4, 4):
        assert env["ENABLE_API_GATEWAY"] == str(host == "web1").lower()
    else:
        assert "ENABLE_API_GATEWAY" not in env


@pytest.mark.parametrize("version, mode, host", [case for case in CASES if v(case[0]) >= (4, 3)])
def test_env_file_gives_back_the_secrets_unchanged(version, mode, host):
    env = compose_env(render("seatable", "env.j2", **variables(version, mode, host)))
    assert env["COMPOSE_FILE"] == "seatable-server.yml" and env["SEATABLE_SERVER_HOSTNAME"] == "seatable.example.com"
    settings = {name: value for name, value in env.items() if re.match(r"(MARIADB|REDIS|JWT)_", name)}
    if v(version) >= (5, 3):
        assert settings == {"MARIADB_HOST": ADDRESSES["lb1"], "MARIADB_PORT": "3306", "MARIADB_USER": "seatable",
                            "MARIADB_PASSWORD": DB_PASSWORD, "REDIS_HOST": ADDRESSES["web1"], "REDIS_PORT": "6379",
                            "REDIS_PASSWORD": REDIS_PASSWORD, "JWT_PRIVATE_KEY": JWT}
    else:
        assert settings == {}


def test_the_inventorys_jwt_key_wins_over_a_generated_one():
    values = variables("6.2.3", "prefix", "ds1", seatable_jwt_private_key="Vault-Jwt-Key-0123456789")
    assert compose_env(render("seatable", "env.j2", **values))["JWT_PRIVATE_KEY"] == "Vault-Jwt-Key-0123456789"
    values = variables("5.2.7", "etcd", "ds1", seatable_jwt_private_key="Vault-Jwt-Key-0123456789")
    assert strict_json(render("seatable", "dtable_server_config.json.j2", **values))["private_key"] == "Vault-Jwt-Key-0123456789"


@pytest.mark.parametrize("host", HOSTS)
def test_the_controller_file_uses_the_vendors_spelling(host):
    text = render("seatable", "seatable-controller.conf.j2", **variables("3.5.0", "etcd", host))
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    conf = dict(line.split("=", 1) for line in lines)
    assert len(conf) == len(lines)
    web = str(host == "web1").lower()
    assert conf["ENABLE_CCNET_SERTVER"] == conf["ENABLE_SEAFILE_SERTVER"] == conf["ENABLE_DTABLE_WEB"] == web
    assert conf["ENABLE_DTABLE_SERVER"] == str(host != "web1").lower()
    assert "ENABLE_SEAFILE_SERVER" not in conf and "ENABLE_CCNET_SERVER" not in conf


def routing_file(version, **extra):
    values = dict(role_defaults("seatable"), **variables(version, "prefix", "web1", **extra))
    return render("dtable_proxy", "nginx.conf.j2", **values)


def map_lines(text):
    block = text.split("map $dtable_uuid $dtable_server_upstream {", 1)[1].split("}", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("version", ["5.3.0", "6.2.3"])
@pytest.mark.parametrize("routes, expected", [
    ({}, {c: "ds1" if i < 8 else "ds2" for i, c in enumerate("0123456789abcdef")}),
    ({"02468ace": "ds2", "13579bdf": "ds1"}, {c: "ds2" if i % 2 == 0 else "ds1" for i, c in enumerate("0123456789abcdef")}),
])
def test_the_routing_map_routes_every_first_character_once(version, routes, expected):
    text = routing_file(version, seatable_prefix_routes=routes, seatable_route_overrides={OVERRIDE: "ds2"})
    lines = map_lines(text)
    for char in "0123456789abcdef":
        assert len([line for line in lines if line.startswith('"~^%s"' % char)]) == 1, char
    assert '"%s" ds2;' % OVERRIDE in lines
    servers, found, overrides, problems = dtable_route_check.parse(text.splitlines())
    assert problems == []
    assert servers == {"ds1": "10.0.0.21:5000", "ds2": "10.0.0.22:5000"} and overrides == {OVERRIDE: "ds2"}
    by_character = dtable_route_check.check_routes(servers, found, overrides, problems)
    assert problems == [] and by_character == expected


def refusals(values):
    return (render_value("seatable", "__seatable_input_refusals", **values)
            + render_value("seatable", "__seatable_tier_refusals", **values))


@pytest.mark.parametrize("version, mode, host", CASES)
def test_good_inputs_are_not_refused(version, mode, host):
    assert refusals(variables(version, mode, host)) == []


BACKGROUND = {"ds1": {"seatable_events_task_mode": "background"}, "ds2": {"seatable_events_task_mode": "background"},
              "web1": {"seatable_events_task_mode": "foreground"}}
NODE_IDS = {"ds1": {"seatable_node_id": "dtable-server"}, "ds2": {"seatable_node_id": "dtable-server"}}


@pytest.mark.parametrize("version, mode, extra, message", [
    ("5.2.7", "prefix", {}, "seatable_cluster_mode prefix needs SeaTable 5.3 or later (seatable_version is 5.2.7)"),
    ("4.4.0", "prefix", {}, "seatable_cluster_mode prefix needs SeaTable 5.3 or later (seatable_version is 4.4.0)"),
    ("6.2.3", "etcd", {}, "seatable_cluster_mode etcd needs dtable_server_config.json, which SeaTable 6.2.3 no longer reads"),
    ("5.2.7", "etcd", {"etcd_members": 2}, "etcd mode needs an odd number of etcd members in group 'etcd' (it has 2)"),
    ("5.2.7", "etcd", {"etcd_tls_enabled": True}, "etcd mode: SeaTable's etcd client (etcd_host, etcd_host_list) has no TLS settings"),
    ("5.2.7", "etcd", {"hostvars_extra": BACKGROUND}, "Only one host may run dtable-events in background mode; ds1, ds2 do"),
    ("6.2.3", "prefix", {"hostvars_extra": BACKGROUND}, "Only one host may run dtable-events in background mode; ds1, ds2 do"),
    ("5.2.7", "etcd", {"seatable_redis_password": ""}, "seatable_redis_password is empty: SeaTable 5.2.7"),
    ("6.2.3", "prefix", {"seatable_redis_password": ""}, "seatable_redis_password is empty: SeaTable 6.2.3"),
    ("6.2.3", "prefix", {"seatable_prefix_routes": {"01234567": "ds1", "789abcde": "ds2"}},
     "seatable_prefix_routes must route every first character 0-9, a-f exactly once to a dtable-server (ds1, ds2): "
     "no route for f; more than one route for 7."),
    ("5.2.7", "etcd", {"hostvars_extra": NODE_IDS}, "Two dtable-servers share a seatable_node_id (dtable-server, dtable-server)"),
    ("6.2.3", "prefix", {"hostvars_extra": NODE_IDS}, "Two dtable-servers share a seatable_node_id (dtable-server, dtable-server)"),
    ("5.2.7", "etcd", {"hostvars_extra": {"ds2": {"seatable_node_url": None}}}, "ds2: set seatable_node_url"),
    ("3.5.0", "etcd", {"hostvars_extra": {"ds1": {"seatable_node_url": "https://ds1.example.com"}}}, "ds1: set seatable_node_url"),
])
def test_bad_inputs_are_refused(version, mode, extra, message):
    for host in HOSTS:  # every host of the play judges the whole cluster alike
        found = refusals(variables(version, mode, host, **extra))
        assert [text for text in found if message in text], found


@pytest.mark.parametrize("version", ["3.5.0", "5.2.7"])
def test_background_events_on_one_server_and_foreground_on_web_are_accepted(version):
    extra = {"ds1": {"seatable_events_task_mode": "background"}, "web1": {"seatable_events_task_mode": "foreground"}}
    assert refusals(variables(version, "etcd", "ds1", hostvars_extra=extra)) == []


def test_an_empty_redis_password_is_accepted_before_5_2():
    assert refusals(variables("5.1.0", "etcd", "web1", seatable_redis_password="")) == []


def test_memcached_servers_are_known_before_5_2():
    preflight = yaml.safe_load((PROJECT / "roles/seatable/tasks/preflight.yml").read_text())
    imported = [task.get("ansible.builtin.import_role", {}) for task in preflight]
    assert "memcached_servers" in role_defaults("seatable") or any(
        role.get("name") == "filesync.cluster.memcached" and role.get("tasks_from") == "endpoints" for role in imported)
