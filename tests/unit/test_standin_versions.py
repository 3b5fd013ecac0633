"""The stand-in Seafile server's configuration contract per version (11, 12,
13), its database schema version and its upgrade scripts, run on the
controller without containers (the schema tests against the throw-away
MariaDB of conftest's mariadb fixture)."""

import importlib.util
import os
import pathlib
import socket
import subprocess
import sys
import tarfile
import time
import uuid

import pymysql
import pytest

PROJECT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = PROJECT / "tests/fixtures/seafile-pro"
VERSIONS = {11: "11.0.12", 12: "12.0.14", 13: "13.0.1"}
UNSUPPORTED = ("10.0.18", "14.0.0")
TIMEOUT = 30
AVATARS = "seahub.base.database_storage.DatabaseStorage"


# A minimal valid configuration of each version, as {file under conf/: content}:
# the INI files as {section: {key: value}}, .env as {key: value},
# seahub_settings.py as {name: Python value}.

def configuration(major, fileserver=8082, health=11001, database=None):
    """database: the seafile database's login as seafile.conf's [database] keys (host, port, user, password,
    db_name, unix_socket), over the defaults; .env gets the same (no unix_socket there)."""
    db = dict(host="127.0.0.1", port="3306", user="seafile", password="pw", db_name="seafile_db")
    db.update(database or {})
    files = {
        "seafile.conf": {"fileserver": {"port": fileserver}, "cluster": {"enabled": "true", "health_check_port": health}},
        "seafevents.conf": {"INDEX FILES": {"enabled": "false"}},
        "seahub_settings.py": {"SECRET_KEY": "s" * 50, "AVATAR_FILE_STORAGE": AVATARS},
    }
    if major < 13:
        files["seafile.conf"]["memcached"] = {"memcached_options": "--SERVER=127.0.0.1:11211 --POOL-MIN=10 --POOL-MAX=100"}
        files["seafile.conf"]["database"] = dict(type="mysql", **db)
        files["seahub_settings.py"]["DATABASES"] = {"default": {
            "ENGINE": "django.db.backends.mysql", "NAME": "seahub_db", "USER": db["user"], "PASSWORD": db["password"],
            "HOST": db["host"], "PORT": db["port"]}}
        files["seahub_settings.py"]["CACHES"] = {"default": {"BACKEND": "django_pylibmc.memcached.PyLibMCCache",
                                                             "LOCATION": ["127.0.0.1:11211"]}}
    if major < 12:
        files["ccnet.conf"] = {"Database": {"ENGINE": "mysql", "HOST": db["host"], "PORT": db["port"], "USER": db["user"],
                                            "PASSWD": db["password"], "DB": "ccnet_db"}}
        files["seahub_settings.py"].update(SERVICE_URL="https://seafile.example.com",
                                           FILE_SERVER_ROOT="https://seafile.example.com/seafhttp")
    else:
        files[".env"] = dict(
            JWT_PRIVATE_KEY="j" * 40, SEAFILE_SERVER_PROTOCOL="https", SEAFILE_SERVER_HOSTNAME="seafile.example.com",
            SEAFILE_MYSQL_DB_HOST=db["host"], SEAFILE_MYSQL_DB_PORT=db["port"], SEAFILE_MYSQL_DB_USER=db["user"],
            SEAFILE_MYSQL_DB_PASSWORD=db["password"], SEAFILE_MYSQL_DB_CCNET_DB_NAME="ccnet_db",
            SEAFILE_MYSQL_DB_SEAFILE_DB_NAME=db["db_name"], SEAFILE_MYSQL_DB_SEAHUB_DB_NAME="seahub_db",
            CLUSTER_MODE="frontend")
    if major >= 13:
        files[".env"].update(CACHE_PROVIDER="memcached", MEMCACHED_HOST="127.0.0.1", MEMCACHED_PORT="11211")
    return files


def write_configuration(conf, files):
    conf.mkdir(exist_ok=True)
    for name, content in files.items():
        if name == ".env":
            text = "".join("%s=%s\n" % item for item in content.items())
        elif name.endswith(".py"):
            text = "".join("%s = %r\n" % item for item in content.items())
        else:
            text = "\n".join("[%s]\n" % section + "".join("%s = %s\n" % item for item in keys.items())
                             for section, keys in content.items())
        (conf / name).write_text(text)


def clean_env(database=False, **extra):
    """The test's environment without a SEAFILE_CENTRAL_CONF_DIR that would point elsewhere; without a
    database (the stand-in then skips its login) unless database; this Python's directory first on PATH
    (the scripts run python3, which needs PyMySQL)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("SEAFILE_CENTRAL_CONF_DIR", "SEAFILE_STANDIN_NO_DATABASE")}
    if not database:
        env["SEAFILE_STANDIN_NO_DATABASE"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    out = tmp_path_factory.mktemp("archives")
    for version in list(VERSIONS.values()) + list(UNSUPPORTED):
        subprocess.run([str(FIXTURE / "build.sh"), version, str(out)], check=True, capture_output=True, timeout=60)
    return out


class Install:
    """One unpacked stand-in (top/seafile-pro-server-VERSION) and its conf/."""

    def __init__(self, top, version):
        self.top, self.version, self.major = top, version, int(version.split(".")[0])
        self.dir = top / ("seafile-pro-server-%s" % version)
        self.conf = top / "conf"

    def write(self, files):
        write_configuration(self.conf, files)
        return self

    def run(self, program, *args, database=False, **env):
        """program (a path below the installation's directory) with args: a .sh file with bash, else with this Python."""
        path = str(self.dir / program)
        argv = ["bash", path] if program.endswith(".sh") else [sys.executable, path]
        return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=TIMEOUT, check=False,
                              env=clean_env(database, **env))

    def check(self, *args):
        return self.run("seafile/bin/seaf-server", *(args or ("--check",)))


@pytest.fixture
def install(tmp_path, archives):
    """install(version) -> an unpacked Install with an empty conf/ and seafile-data/."""
    def make(version, name=None):
        top = tmp_path / (name or version)
        top.mkdir()
        with tarfile.open(archives / ("seafile-pro-server_%s_x86-64.tar.gz" % version)) as archive:
            archive.extractall(top, filter="data")
        (top / "conf").mkdir()
        (top / "seafile-data").mkdir()
        return Install(top, version)

    return make


def refused(result, message, prefix="[seafile] refusing to start: "):
    assert result.returncode != 0, result
    assert prefix in result.stderr and message in result.stderr, result.stderr


# Each version accepts its own minimal configuration ...

@pytest.mark.parametrize("major", sorted(VERSIONS))
def test_each_version_accepts_its_configuration(install, major):
    node = install(VERSIONS[major]).write(configuration(major))
    for args in (("--check",), ("--check-server",)):
        result = node.check(*args)
        assert result.returncode == 0, (args, result.stderr)


def test_the_archive_holds_every_upgrade_script(install):
    node = install(VERSIONS[11])
    assert sorted(path.name for path in (node.dir / "upgrade").iterdir()) == [
        "upgrade.py", "upgrade_11.0_12.0.sh", "upgrade_12.0_13.0.sh"]
    assert not (node.dir / "upgrade/minor-upgrade.sh").exists()


# ... and refuses the others'.

@pytest.mark.parametrize("files_of, runs, message", [
    (11, 12, "Seafile 12.0.14 reads its settings from conf/.env"),
    (12, 11, "Seafile 11.0.12 reads the ccnet database login from conf/ccnet.conf"),
    (12, 13, "Seafile 13 reads the cache from CACHE_PROVIDER in conf/.env, not [memcached] in seafile.conf"),
    (13, 12, "memcached_options is missing from [memcached] in seafile.conf"),
    (11, 13, "not [memcached] in seafile.conf"),
    (13, 11, "memcached_options is missing from [memcached] in seafile.conf"),
], ids=["11-on-12", "12-on-11", "12-on-13", "13-on-12", "11-on-13", "13-on-11"])
def test_each_version_refuses_the_other_versions_files(install, files_of, runs, message):
    node = install(VERSIONS[runs]).write(configuration(files_of))
    refused(node.check(), message)
    refused(node.check("--check-server"), message)


def edit(files, name, section=None, **changes):
    """Set (or with None delete) keys of one file (of one section of an INI file)."""
    target = files[name] if section is None else files[name].setdefault(section, {})
    for key, value in changes.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return files


REMOVED_12 = "removed in Seafile 12: the address comes from SEAFILE_SERVER_PROTOCOL and SEAFILE_SERVER_HOSTNAME in conf/.env"


REFUSAL_IDS = [
    "service-url-12", "file-server-root-12", "no-jwt-key-12", "short-jwt-key-12", "quoted-short-jwt-key-12",
    "no-cluster-mode-12", "bad-cluster-mode-12", "bad-protocol-12", "no-hostname-12", "hostname-with-scheme-12",
    "hostname-with-path-12", "bad-hostname-12", "no-seahub-db-12", "bad-db-port-12", "no-db-name-12", "caches-13",
    "databases-13", "database-section-13", "no-cache-provider-13", "redis-without-password-13",
    "no-memcached-port-13", "no-cluster-mode-13", "ccnet-no-passwd-11", "no-service-url-11", "no-caches-11",
    "no-secret-key-11", "no-avatar-storage-12",
]


@pytest.mark.parametrize("major, change, message", [
    (12, dict(name="seahub_settings.py", SERVICE_URL="https://seafile.example.com"),
     "seahub_settings.py defines SERVICE_URL, " + REMOVED_12),
    (12, dict(name="seahub_settings.py", FILE_SERVER_ROOT="https://seafile.example.com/seafhttp"),
     "seahub_settings.py defines FILE_SERVER_ROOT, " + REMOVED_12),
    (12, dict(name=".env", JWT_PRIVATE_KEY=None), "JWT_PRIVATE_KEY is missing from conf/.env"),
    (12, dict(name=".env", JWT_PRIVATE_KEY="k" * 31), "JWT_PRIVATE_KEY in conf/.env has 31 characters: it needs at least 32"),
    # The reader drops the surrounding double quotes before counting.
    (12, dict(name=".env", JWT_PRIVATE_KEY='"%s"' % ("k" * 31)), "JWT_PRIVATE_KEY in conf/.env has 31 characters"),
    (12, dict(name=".env", CLUSTER_MODE=None), "CLUSTER_MODE is missing from conf/.env"),
    (12, dict(name=".env", CLUSTER_MODE="all"), "CLUSTER_MODE in conf/.env must be frontend or backend, not 'all'"),
    (12, dict(name=".env", SEAFILE_SERVER_PROTOCOL="ftp"), "SEAFILE_SERVER_PROTOCOL in conf/.env must be http or https"),
    (12, dict(name=".env", SEAFILE_SERVER_HOSTNAME=None), "SEAFILE_SERVER_HOSTNAME is missing from conf/.env"),
    (12, dict(name=".env", SEAFILE_SERVER_HOSTNAME="https://seafile.example.com"),
     "the scheme goes in SEAFILE_SERVER_PROTOCOL"),
    (12, dict(name=".env", SEAFILE_SERVER_HOSTNAME="seafile.example.com/seafile"), "with an optional :port, not a path"),
    (12, dict(name=".env", SEAFILE_SERVER_HOSTNAME="seafile example"), "not a host name with an optional :port"),
    (12, dict(name=".env", SEAFILE_MYSQL_DB_SEAHUB_DB_NAME=None), "SEAFILE_MYSQL_DB_SEAHUB_DB_NAME is missing from conf/.env"),
    (12, dict(name=".env", SEAFILE_MYSQL_DB_PORT="db"), "SEAFILE_MYSQL_DB_PORT in conf/.env is not a port number"),
    (12, dict(name="seafile.conf", section="database", db_name=None), "db_name is missing from [database] in seafile.conf"),
    (13, dict(name="seahub_settings.py", CACHES={"default": {"BACKEND": "django_pylibmc.memcached.PyLibMCCache"}}),
     "seahub_settings.py defines CACHES, removed in Seafile 13: the cache comes from CACHE_PROVIDER in conf/.env"),
    (13, dict(name="seahub_settings.py", DATABASES={}),
     "seahub_settings.py defines DATABASES, removed in Seafile 13: the database login comes from SEAFILE_MYSQL_DB_*"),
    (13, dict(name="seafile.conf", section="database", type="mysql"),
     "Seafile 13 reads the database login from SEAFILE_MYSQL_DB_* in conf/.env, not [database] in seafile.conf"),
    (13, dict(name=".env", CACHE_PROVIDER=None), "CACHE_PROVIDER in conf/.env must be memcached or redis, not None"),
    (13, dict(name=".env", CACHE_PROVIDER="redis", REDIS_HOST="redis", REDIS_PORT="6379"),
     "REDIS_PASSWORD is missing from conf/.env (CACHE_PROVIDER=redis)"),
    (13, dict(name=".env", MEMCACHED_PORT=None), "MEMCACHED_PORT is missing from conf/.env (CACHE_PROVIDER=memcached)"),
    (13, dict(name=".env", CLUSTER_MODE=None), "CLUSTER_MODE is missing from conf/.env"),
    (11, dict(name="ccnet.conf", section="Database", PASSWD=None), "PASSWD is missing from [Database] in ccnet.conf"),
    (11, dict(name="seahub_settings.py", SERVICE_URL=None), "SERVICE_URL in seahub_settings.py must be the http(s) URL"),
    (11, dict(name="seahub_settings.py", CACHES=None), "a cluster node needs a shared cache (memcached) in CACHES"),
    (11, dict(name="seahub_settings.py", SECRET_KEY=None), "SECRET_KEY is missing from seahub_settings.py"),
    (12, dict(name="seahub_settings.py", AVATAR_FILE_STORAGE=None), "must store avatars in the database"),
], ids=REFUSAL_IDS)
def test_a_version_refuses_what_it_does_not_read(install, major, change, message):
    files = configuration(major)
    edit(files, **change)
    refused(install(VERSIONS[major]).write(files).check(), message)


@pytest.mark.parametrize("major, settings, message", [
    (12, dict(SERVICE_URL="https://seafile.example.com"), "seahub_settings.py defines SERVICE_URL"),
    (13, dict(CACHES={}), "seahub_settings.py defines CACHES"),
], ids=["service-url-12", "caches-13"])
def test_only_check_applies_seahubs_rules(install, major, settings, message):
    """seafile.sh's check before it forks (--check-server) leaves seahub_settings.py to seahub."""
    files = configuration(major)
    files["seahub_settings.py"].update(settings)
    node = install(VERSIONS[major]).write(files)
    refused(node.check(), message)
    assert node.check("--check-server").returncode == 0


def test_seahub_settings_must_be_valid_python(install):
    node = install(VERSIONS[12]).write(configuration(12))
    (node.conf / "seahub_settings.py").write_text("SECRET_KEY = 'k'\nCACHES = {\n")
    refused(node.check(), "seahub_settings.py is not valid Python")


def test_env_lines_must_be_key_value(install):
    files = configuration(12)
    node = install(VERSIONS[12]).write(files)
    with (node.conf / ".env").open("a") as env:
        env.write("# a comment\n\nA_KEY_WITHOUT_VALUE\n")
    refused(node.check(), "conf/.env line %d is not KEY=value" % (len(files[".env"]) + 3))


def test_the_env_reader_drops_quotes_and_comments(install):
    files = configuration(13)
    files[".env"] = {key: '"%s"' % value for key, value in files[".env"].items()}
    node = install(VERSIONS[13]).write(files)
    (node.conf / ".env").write_text("# comment\n\n" + (node.conf / ".env").read_text())
    assert node.check().returncode == 0, node.check().stderr


def test_env_is_read_from_conf_not_the_top_directory(install):
    files = configuration(12)
    env = files.pop(".env")
    node = install(VERSIONS[12]).write(files)
    (node.top / ".env").write_text("".join("%s=%s\n" % item for item in env.items()))
    refused(node.check(), "conf/.env (%s), which is missing" % (node.conf / ".env"))


def test_seafile_11_ignores_env_and_12_ignores_ccnet_conf(install):
    eleven = install(VERSIONS[11]).write(configuration(11))
    (eleven.conf / ".env").write_text("not a KEY=value file\nat all\n")
    assert eleven.check().returncode == 0, eleven.check().stderr
    files = configuration(12)
    files["ccnet.conf"] = {"Database": {"ENGINE": "sqlite"}}
    twelve = install(VERSIONS[12]).write(files)
    assert twelve.check().returncode == 0, twelve.check().stderr


def test_seafile_13_with_redis(install):
    files = configuration(13)
    edit(files, ".env", CACHE_PROVIDER="redis", MEMCACHED_HOST=None, MEMCACHED_PORT=None, REDIS_HOST="redis.example.com",
         REDIS_PORT="6379", REDIS_PASSWORD="secret")
    result = install(VERSIONS[13]).write(files).check()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("hostname", ["seafile.example.com:8443", "10.0.0.14", "[2001:db8::1]:443", "localhost"])
def test_hostname_with_an_optional_port(install, hostname):
    files = edit(configuration(12), ".env", SEAFILE_SERVER_HOSTNAME=hostname)
    result = install(VERSIONS[12]).write(files).check()
    assert result.returncode == 0, result.stderr


# The background tasks: the backend node only (CLUSTER_MODE, Seafile 12 and later).

def background_tasks(node):
    """seafile-background-tasks.sh start, then stop (whether it started or not)."""
    try:
        return node.run("seafile-background-tasks.sh", "start")
    finally:
        node.run("seafile-background-tasks.sh", "stop")


@pytest.mark.parametrize("major", [12, 13])
def test_background_tasks_run_on_the_backend_only(install, major):
    files = configuration(major)
    node = install(VERSIONS[major]).write(files)
    refused(background_tasks(node), "CLUSTER_MODE in conf/.env is frontend: the background tasks run on the backend node "
            "only (CLUSTER_MODE=backend)", prefix="[seafevents] refusing to start: ")
    assert not (node.top / "pids/seafevents.pid").exists()
    node.write(edit(files, ".env", CLUSTER_MODE="backend"))
    result = background_tasks(node)
    assert result.returncode == 0 and "Seafile background tasks started" in result.stdout, result.stderr
    # A frontend still runs seaf-server (seahub too).
    assert node.write(edit(files, ".env", CLUSTER_MODE="frontend")).check().returncode == 0


def test_background_tasks_check_env_on_12(install):
    files = edit(configuration(12), ".env", CLUSTER_MODE="backend", JWT_PRIVATE_KEY=None)
    refused(background_tasks(install(VERSIONS[12]).write(files)), "JWT_PRIVATE_KEY is missing from conf/.env",
            prefix="[seafevents] refusing to start: ")


def test_background_tasks_on_11_need_no_cluster_mode(install):
    result = background_tasks(install(VERSIONS[11]).write(configuration(11)))
    assert result.returncode == 0, result.stderr


# Versions the stand-in does not know.

@pytest.mark.parametrize("version", UNSUPPORTED)
def test_other_versions_are_refused_by_every_program(install, version):
    node = install(version)
    major = int(version.split(".")[0])
    node.write(configuration(min(max(major, 11), 13)))
    message = "the stand-in supports Seafile 11 to 13, not %s" % version
    refused(node.check(), message)
    refused(node.check("--check-server"), message)
    refused(node.run("seafile.sh", "start"), message)
    refused(background_tasks(node), message, prefix="[seafevents] refusing to start: ")
    refused(node.run("setup-seafile-mysql.py", "auto"), message, prefix="Error: ")
    refused(node.run("upgrade/upgrade_11.0_12.0.sh"), message, prefix="Error: ")


# The database schema version and the upgrade scripts.

@pytest.fixture
def database(mariadb):
    """Fresh ccnet, seafile and seahub databases and their user on the throw-away MariaDB; the seafile
    database's login as seafile.conf's [database] keys, plus ccnet_db and seahub_db."""
    name = "seafile_%s" % uuid.uuid4().hex[:12]
    names = [name, name + "_ccnet", name + "_seahub"]
    root = pymysql.connect(unix_socket=mariadb["login_unix_socket"], user=mariadb["login_user"], autocommit=True)
    with root.cursor() as cur:
        cur.execute("CREATE USER '%s'@'localhost' IDENTIFIED BY 'pw-%s'" % (name, name))
        for each in names:
            cur.execute("CREATE DATABASE `%s`" % each)
            cur.execute("GRANT ALL ON `%s`.* TO '%s'@'localhost'" % (each, name))
    yield dict(host="localhost", port="3306", user=name, password="pw-" + name, db_name=name,
               unix_socket=mariadb["login_unix_socket"], ccnet_db=names[1], seahub_db=names[2])
    with root.cursor() as cur:
        for each in names:
            cur.execute("DROP DATABASE `%s`" % each)
        cur.execute("DROP USER '%s'@'localhost'" % name)
    root.close()


def login(database):
    """seafile.conf's [database] keys of the database fixture."""
    return {key: database[key] for key in ("host", "port", "user", "password", "db_name", "unix_socket")}


def connect(database):
    return pymysql.connect(unix_socket=database["unix_socket"], user=database["user"], password=database["password"],
                           database=database["db_name"], autocommit=True)


def query(database, sql):
    conn = connect(database)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def schema(database):
    return query(database, "SELECT version FROM standin_schema")


@pytest.fixture
def load_standin(monkeypatch):
    """load_standin(node) -> the installation's standin module, loaded under a name of its own."""
    monkeypatch.delenv("SEAFILE_CENTRAL_CONF_DIR", raising=False)

    def load(node):
        spec = importlib.util.spec_from_file_location("standin_" + node.version.replace(".", "_"),
                                                      node.dir / "seafile/lib/standin.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def set_schema(load_standin):
    """set_schema(node, database, version): the version table as setup-seafile-mysql leaves it."""
    def set_version(node, database, version):
        conn = connect(database)
        try:
            load_standin(node).create_schema(conn, version)
        finally:
            conn.close()

    return set_version


# Setup and Seafile 13's upgrade log in over TCP (.env has no socket); the
# throw-away MariaDB listens on a socket only: this runs a program with
# pymysql.connect() sent to the socket instead, the rest of the login kept.
VIA_SOCKET = """import runpy, sys, pymysql
SOCKET = sys.argv.pop(1)
connect = pymysql.connect
def via_socket(**login):
    login.pop("host", None)
    login.pop("port", None)
    return connect(unix_socket=SOCKET, **login)
pymysql.connect = via_socket
runpy.run_path(sys.argv.pop(1), run_name="__main__")
"""


def via_socket(node, database, program, *args):
    """python -c VIA_SOCKET SOCKET PROGRAM ARGS: PROGRAM sees ARGS as its arguments."""
    return subprocess.run([sys.executable, "-c", VIA_SOCKET, database["unix_socket"], str(node.dir / program)] + list(args),
                          capture_output=True, text=True, timeout=TIMEOUT, check=False, env=clean_env(database=True))


@pytest.fixture
def server(request):
    """server(node, files) -> seaf-server started with its database: running once both ports answer (stopped at
    teardown), or exited."""
    processes = []

    def start(node, files):
        conf = files["seafile.conf"]
        ports = (conf["fileserver"]["port"], conf["cluster"]["health_check_port"])
        process = subprocess.Popen([sys.executable, str(node.dir / "seafile/bin/seaf-server")], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, env=clean_env(database=True))
        processes.append(process)
        deadline = time.monotonic() + TIMEOUT
        while process.poll() is None:
            try:
                for port in ports:
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                return process
            except OSError:
                assert time.monotonic() < deadline, "seaf-server neither opened its ports nor exited"
                time.sleep(0.1)
        return process

    def stop():
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(TIMEOUT)
            process.stderr.close()

    request.addfinalizer(stop)
    return start


def node_with(install, major, database, name=None):
    """An installation of `major` configured for the database fixture, on free ports; (node, files)."""
    files = configuration(major, *free_ports(2), database=login(database))
    return install(VERSIONS[major], name).write(files), files


def free_ports(count):
    """count distinct free TCP ports: all bound to port 0 at once, then released."""
    sockets = [socket.socket() for each in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_upgrade_11_to_12_runs_once(install, database, set_schema, server):
    old, old_files = node_with(install, 11, database, "old")
    new, new_files = node_with(install, 12, database, "new")
    set_schema(old, database, "11.0")
    running = server(old, old_files)
    assert running.poll() is None, running.stderr.read()
    first = new.run("upgrade/upgrade_11.0_12.0.sh", database=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "upgrade_11.0_12.0.sh: the database schema is now 12.0 (was 11.0)\n"
    assert schema(database) == (("12.0",),)
    runs = query(database, "SELECT id, script, host, at IS NOT NULL FROM standin_upgrades")
    assert [row[1:] for row in runs] == [("upgrade_11.0_12.0.sh", socket.gethostname(), 1)]
    # Once is all.
    second = new.run("upgrade/upgrade_11.0_12.0.sh", database=True)
    refused(second, "the database is at 12.0, this script upgrades 11.0", prefix="Error: ")
    assert schema(database) == (("12.0",),) and len(query(database, "SELECT id FROM standin_upgrades")) == 1
    # The old server that was running keeps running (the check is at start only); the new one starts.
    assert running.poll() is None
    assert server(new, new_files).poll() is None
    # An old one no longer starts.
    again = install(VERSIONS[11], "old-again").write(configuration(11, *free_ports(2), database=login(database)))
    refused(again.run("seafile/bin/seaf-server", database=True),
            "the database is at 12.0, newer than this server 11.0: a downgrade is not supported")


def test_upgrade_12_to_13_reads_env(install, database, set_schema, load_standin, capsys):
    """The 13 server refuses the 12.0 database until upgrade_12.0_13.0.sh ran (with the login from conf/.env)."""
    node = node_with(install, 13, database)[0]
    set_schema(node, database, "12.0")
    standin = load_standin(node)
    conn = connect(database)
    try:
        with pytest.raises(SystemExit):
            standin.check_schema(conn)
        assert capsys.readouterr().err == (
            "[seafile] refusing to start: the database is at 12.0: run upgrade/upgrade_12.0_13.0.sh first\n")
        result = via_socket(node, database, "upgrade/upgrade.py", "12.0", "13.0")
        assert result.returncode == 0 and "the database schema is now 13.0 (was 12.0)" in result.stdout, result.stderr
        standin.check_schema(conn)
    finally:
        conn.close()
    assert schema(database) == (("13.0",),)
    assert query(database, "SELECT script FROM standin_upgrades") == (("upgrade_12.0_13.0.sh",),)


def test_schema_problems(install, load_standin):
    standin = load_standin(install(VERSIONS[13]))
    assert standin.schema_problem(None) is None and standin.schema_problem("13.0") is None
    assert standin.schema_problem("11.0") == "the database is at 11.0: run upgrade/upgrade_11.0_12.0.sh first"
    assert standin.schema_problem("13.1") == ("the database is at 13.1, newer than this server 13.0: "
                                              "a downgrade is not supported")


@pytest.mark.parametrize("version", [None, "12.0"], ids=["no-version-table", "same-version"])
def test_a_server_starts_on_its_schema_or_an_older_setup(install, database, set_schema, server, version):
    node, files = node_with(install, 12, database)
    if version:
        set_schema(node, database, version)
    process = server(node, files)
    assert process.poll() is None, process.stderr.read()


def test_a_server_refuses_an_older_database(install, database, set_schema, server):
    node, files = node_with(install, 12, database)
    set_schema(node, database, "11.0")
    process = server(node, files)
    assert process.wait(TIMEOUT) == 1
    assert "refusing to start: the database is at 11.0: run upgrade/upgrade_11.0_12.0.sh first" in process.stderr.read()


def test_check_needs_no_database(install):
    """--check is the configuration only: no login, even with the database in reach."""
    node = install(VERSIONS[12]).write(configuration(12, database=dict(port=str(free_ports(1)[0]))))
    assert node.run("seafile/bin/seaf-server", "--check", database=True).returncode == 0
    refused(node.run("seafile/bin/seaf-server", database=True), "cannot log in to the database with [database] of seafile.conf")


def test_upgrade_refuses_a_database_without_a_schema_version(install, database):
    node = node_with(install, 12, database)[0]
    refused(node.run("upgrade/upgrade_11.0_12.0.sh", database=True),
            "the database has no schema version (no table standin_schema): this script upgrades 11.0", prefix="Error: ")


def test_upgrade_refuses_while_this_nodes_server_runs(install, database, set_schema):
    node = node_with(install, 12, database)[0]
    set_schema(node, database, "11.0")
    (node.top / "pids").mkdir()
    (node.top / "pids/seaf-server.pid").write_text("%d\n" % os.getpid())
    refused(node.run("upgrade/upgrade_11.0_12.0.sh", database=True),
            "seaf-server is still running (pid %d): stop it with seafile.sh stop first" % os.getpid(), prefix="Error: ")
    assert schema(database) == (("11.0",),)


def test_upgrade_refuses_later_and_unknown_steps(install):
    node = install(VERSIONS[12]).write(configuration(12))
    refused(node.run("upgrade/upgrade_12.0_13.0.sh", database=True),
            "upgrade_12.0_13.0.sh belongs to Seafile 13.0 and later: this is Seafile 12.0.14", prefix="Error: ")
    refused(node.run("upgrade/upgrade.py", "11.0", "13.0", database=True),
            "there is no upgrade_11.0_13.0.sh: the upgrade scripts are upgrade_11.0_12.0.sh, upgrade_12.0_13.0.sh",
            prefix="Error: ")


def test_upgrade_logs_in_with_the_new_versions_files(install):
    """Nothing listens on the port: the message names where the login came from."""
    port = str(free_ports(1)[0])
    node = install(VERSIONS[13]).write(configuration(13, database=dict(port=port)))
    refused(node.run("upgrade/upgrade_12.0_13.0.sh", database=True),
            "cannot log in to the database with SEAFILE_MYSQL_DB_* in conf/.env", prefix="Error: ")
    node = install(VERSIONS[12]).write(configuration(12, database=dict(port=port)))
    refused(node.run("upgrade/upgrade_11.0_12.0.sh", database=True),
            "cannot log in to the database with [database] of seafile.conf", prefix="Error: ")


# Setup: the files of the version and the schema version.

def setup(node, database):
    return via_socket(node, database, "setup-seafile-mysql.py", "auto", "-n", "seafile", "-i", "seafile.lab:8080",
                      "-p", "8082", "-d", str(node.top / "seafile-data"), "-e", "1", "-o", "127.0.0.1", "-t", "3306",
                      "-u", database["user"], "-w", database["password"], "-c", database["ccnet_db"],
                      "-s", database["db_name"], "-b", database["seahub_db"])


def read_env(path):
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.mark.parametrize("major", sorted(VERSIONS))
def test_setup_writes_the_versions_files(install, database, major):
    node = install(VERSIONS[major])
    result = setup(node, database)
    assert result.returncode == 0, result.stderr
    assert schema(database) == (("%d.0" % major,),)
    settings = (node.conf / "seahub_settings.py").read_text()
    seafile_conf = (node.conf / "seafile.conf").read_text()
    assert ("SERVICE_URL" in settings) == (major == 11) and "FILE_SERVER_ROOT" not in settings
    assert (node.conf / "ccnet.conf").exists() == (major == 11)
    assert ("DATABASES" in settings) == ("[database]" in seafile_conf) == (major < 13)
    if major == 11:
        assert not (node.conf / ".env").exists()
        return
    env = read_env(node.conf / ".env")
    assert len(env.pop("JWT_PRIVATE_KEY")) >= 32
    assert env == dict(SEAFILE_SERVER_PROTOCOL="http", SEAFILE_SERVER_HOSTNAME="seafile.lab:8080",
                       SEAFILE_MYSQL_DB_HOST="127.0.0.1", SEAFILE_MYSQL_DB_PORT="3306",
                       SEAFILE_MYSQL_DB_USER=database["user"], SEAFILE_MYSQL_DB_PASSWORD=database["password"],
                       SEAFILE_MYSQL_DB_CCNET_DB_NAME=database["ccnet_db"],
                       SEAFILE_MYSQL_DB_SEAFILE_DB_NAME=database["db_name"],
                       SEAFILE_MYSQL_DB_SEAHUB_DB_NAME=database["seahub_db"], CLUSTER_MODE="frontend")
    # Twice is refused.
    again = setup(node, database)
    assert again.returncode != 0 and "Seafile is set up already" in again.stderr


def test_setup_leaves_an_existing_schema_version(install, database, set_schema):
    node = install(VERSIONS[13])
    set_schema(node, database, "12.0")
    assert setup(node, database).returncode == 0
    assert schema(database) == (("12.0",),)
