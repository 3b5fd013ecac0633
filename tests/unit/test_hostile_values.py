"""Hostile values written by the real templates and filters, read back by the real readers.

Every value either comes back unchanged through the parser the application
uses, or filesync.cluster.config_value_problems names the offending character
(and then the preflight message names it too). The readers are the real ones:
my_print_defaults (MariaDB's option-file reader, Debian mariadb-client-core),
GLib's GKeyFile through /usr/bin/python3 and python3-gi (the venv has no gi),
Python configparser with BasicInterpolation, and sh sourcing a KEY=value file.
tools/host-deps.sh installs the Debian packages.
"""

import configparser
import importlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
from render import PROJECT, render, role_defaults, trust_as_template

# Templates name the filters as filesync.cluster.*: Ansible's collection loader
# resolves them from this checkout (conftest normally installs it already).
if not any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
    for loaded in [name for name in sys.modules if name.split(".")[0] == "ansible_collections"]:
        del sys.modules[loaded]  # imported as a plain namespace package: let the loader serve it
    _AnsibleCollectionFinder(paths=[str(PROJECT / "collections")])._install()
config_value = importlib.import_module("ansible_collections.filesync.cluster.plugins.filter.config_value")
READERS = config_value.READERS
config_value_problems = config_value.config_value_problems
configparser_value = config_value.configparser_value
keyfile_value = config_value.keyfile_value
mysql_option_value = config_value.mysql_option_value

HOSTILE = [
    "Sst#2024", "p%w", "%(here)s", "back\\slash", 'quote"s', "it's", "sp ace", " lead", "trail ",
    "semi;colon", "non-ASCII é ü 中", "new\nline", "tab\there", "$HOME", "=eq",
]
# Beyond the list: what the rules refuse outright, and the SST user's ':'.
REFUSED = ["nul\0byte", "x" * 4100]
EXTRA = ["col:on", "cr\rhere", "\ttabs\t", "' # '"]


def short_id(value):
    return repr(value) if len(value) < 30 else "%r...(%d)" % (value[:8], len(value))


MY_PRINT_DEFAULTS = shutil.which("my_print_defaults") or "/usr/bin/my_print_defaults"
SYSTEM_PYTHON = "/usr/bin/python3"

# Read each file with GKeyFile, then as Seafile does (lib/utils.c seaf_key_file_get_string:
# g_key_file_get_string, empty means unset, then g_strchomp).
GKEYFILE_READER = r"""
import json, sys
from gi.repository import GLib
out = []
for text, group, key in json.load(sys.stdin):
    kf = GLib.KeyFile()
    try:
        kf.load_from_data(text, len(text.encode("utf-8")), GLib.KeyFileFlags.NONE)
        value = kf.get_string(group, key)
    except GLib.Error as error:
        out.append({"error": error.message})
        continue
    out.append({"value": (value or None) and value.rstrip(" \t\n\v\f\r")})
json.dump(out, sys.stdout)
"""


def _scratch(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o640)  # the reader ignores world-writable option files
    return path


def my_print_defaults(path, *groups):
    """The options MariaDB reads from the file: {option: value} (last one wins, as in mariadbd)."""
    assert os.path.exists(MY_PRINT_DEFAULTS), "my_print_defaults is missing: apt-get install mariadb-client-core"
    out = subprocess.run([MY_PRINT_DEFAULTS, "--defaults-file=%s" % path] + list(groups),
                         check=True, capture_output=True).stdout.decode("utf-8")
    options = {}
    # One "--name=value\n" per option; a value may hold a newline but here never "\n--".
    for chunk in ("\n" + out).split("\n--")[1:]:
        name, value = chunk.split("=", 1)
        options[name] = value[:-1] if value.endswith("\n") else value
    return options


def gkeyfile(texts, group, key):
    """Seafile's reading of key in group of each text: the value, or None, or an error."""
    assert os.path.exists(SYSTEM_PYTHON), "/usr/bin/python3 is missing"
    result = subprocess.run([SYSTEM_PYTHON, "-c", GKEYFILE_READER], input=json.dumps([[t, group, key] for t in texts]),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, "GKeyFile reader failed (apt-get install python3-gi gir1.2-glib-2.0): " + result.stderr
    return [item.get("value", "ERROR: %s" % item.get("error")) for item in json.loads(result.stdout)]


def configparser_read(tmp_path, text, section, key, interpolation=True):
    """seafevents' reading: configparser.ConfigParser() on the file (BasicInterpolation)."""
    path = _scratch(tmp_path, "configparser.ini", text)
    parser = configparser.ConfigParser() if interpolation else configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
        return parser.get(section, key)
    except (configparser.Error, KeyError) as error:
        return "ERROR: %s" % error


def named_characters(problem):
    """The character a problem names, decoded: "'\\n' (newline), which ..." -> "\\n"."""
    match = re.match(r"^(?:leading |trailing )?(['\"])(.+?)\1(?: |,|$)", problem)
    if not match:
        return None
    shown = match.group(2)
    if len(shown) > 1 and shown.startswith("\\"):  # '\n', '\0', '\xa0', '\u3000'
        return shown.encode("ascii").decode("unicode_escape")
    return shown


def assert_names_characters_of(problems, value):
    assert problems, "no problem named for %r" % value
    for problem in problems:
        if problem[0].isdigit():  # the length limit names a size, not a character
            continue
        char = named_characters(problem)
        assert char is not None and len(char) == 1 and char in value, (problem, value)


def render_text(source, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(source))


# Galera: the real templates, read back by MariaDB's option-file reader.

GALERA_VARS = {"filesync_address": "10.0.0.1", "galera_node_address": "10.0.0.1",
               "__galera_node_addresses": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}


def render_galera(template, **variables):
    return render("galera", template, **{**GALERA_VARS, **variables})


def preflight_messages(role, **variables):
    """The role's preflight refusals (vars/main.yml __<role>_checks) as Ansible templates them:
    {check name: message} for each check that fails."""
    values = {**role_defaults(role), **variables}
    scope = {k: trust_as_template(v) if isinstance(v, str) else v for k, v in values.items()}
    checks = Templar(loader=DataLoader(), variables=scope).template(trust_as_template("{{ __%s_checks }}" % role))
    return {check["name"]: check["msg"] for check in checks if not check["ok"]}


def galera_preflight(**variables):
    values = {**GALERA_VARS, "groups": {"galera": ["node1", "node2", "node3"]}, "galera_bootstrap_host": "node1",
              "galera_sst_password": "sst", "galera_clustercheck_password": "check"}
    return preflight_messages("galera", **{**values, **variables})


def assert_refused(messages, variable, value, readers):
    problems = config_value_problems(value, readers)
    assert_names_characters_of(problems, value)
    assert variable in messages, "preflight lets %s=%r through" % (variable, value)
    for problem in problems:
        assert problem in messages[variable]


@pytest.mark.parametrize("value", HOSTILE + EXTRA + REFUSED, ids=short_id)
def test_galera_sst_auth_comes_back_or_is_refused(tmp_path, value):
    problems = config_value_problems(value, ["mysql_option"])
    messages = galera_preflight(galera_sst_password=value, galera_clustercheck_password="ok")
    if problems:
        pair = config_value_problems("mariabackup:" + value, ["mysql_option"])
        with pytest.raises(AnsibleError, match=re.escape(pair[0])):
            render_galera("galera-sst.cnf.j2", galera_sst_password=value)
        assert_refused(messages, "galera_sst_password", value, ["mysql_option"])
        return
    assert "galera_sst_password" not in messages
    path = _scratch(tmp_path, "sst.cnf", render_galera("galera-sst.cnf.j2", galera_sst_password=value))
    auth = my_print_defaults(path, "galera")["wsrep_sst_auth"]
    assert auth == "mariabackup:" + value
    # The SST script's split (wsrep_sst_common: ${AUTH%%:*} and ${AUTH#*:}).
    assert auth.split(":", 1) == ["mariabackup", value]


@pytest.mark.parametrize("value", HOSTILE + EXTRA, ids=short_id)
def test_galera_sst_user_without_colon_comes_back(tmp_path, value):
    messages = galera_preflight(galera_sst_user=value)
    if ":" in value:
        assert "galera_sst_user" in messages and "':'" in messages["galera_sst_user"]
        return
    assert config_value_problems(value, ["mysql_option"]) == [] and "galera_sst_user" not in messages
    path = _scratch(tmp_path, "sst.cnf", render_galera("galera-sst.cnf.j2", galera_sst_user=value,
                                                       galera_sst_password="p:w"))
    assert my_print_defaults(path, "galera")["wsrep_sst_auth"].split(":", 1) == [value, "p:w"]


@pytest.mark.parametrize("value", HOSTILE + EXTRA + REFUSED, ids=short_id)
def test_clustercheck_credentials_come_back_or_are_refused(tmp_path, value):
    problems = config_value_problems(value, ["mysql_option"])
    messages = galera_preflight(galera_clustercheck_user=value, galera_clustercheck_password=value)
    if problems:
        with pytest.raises(AnsibleError, match=re.escape(problems[0])):
            render_galera("clustercheck.cnf.j2", galera_clustercheck_password=value)
        assert_refused(messages, "galera_clustercheck_password", value, ["mysql_option"])
        assert_refused(messages, "galera_clustercheck_user", value, ["mysql_option"])
        return
    assert not messages
    text = render_galera("clustercheck.cnf.j2", galera_clustercheck_user=value, galera_clustercheck_password=value)
    options = my_print_defaults(_scratch(tmp_path, "clustercheck.cnf", text), "client")
    assert options["user"] == value and options["password"] == value
    assert options["socket"] == "/run/mysqld/mysqld.sock"


@pytest.mark.parametrize("value", HOSTILE + EXTRA + REFUSED, ids=short_id)
def test_galera_cluster_and_node_names_come_back_or_are_refused(tmp_path, value):
    problems = config_value_problems(value, ["mysql_option"])
    messages = galera_preflight(galera_cluster_name=value, groups={"galera": [value, "node2", "node3"]},
                                galera_bootstrap_host="node2")
    member = "member " + value
    if problems:
        with pytest.raises(AnsibleError, match=re.escape(problems[0])):
            render_galera("galera.cnf.j2", galera_cluster_name=value)
        assert_refused(messages, member, value, ["mysql_option"])
        assert_refused(messages, "galera_cluster_name", value, ["mysql_option", "env"])
        return
    text = render_galera("galera.cnf.j2", galera_cluster_name=value, inventory_hostname=value)
    options = my_print_defaults(_scratch(tmp_path, "galera.cnf", text), "mysqld", "galera")
    assert options["wsrep_cluster_name"] == value and options["wsrep_node_name"] == value
    assert options["wsrep_cluster_address"] == "gcomm://10.0.0.2,10.0.0.3"
    assert member not in messages
    # The cluster name also goes into the arbitrator's /etc/default/garb, which a shell sources.
    if config_value_problems(value, ["env"]):
        assert_refused(messages, "galera_cluster_name", value, ["mysql_option", "env"])
    else:
        assert "galera_cluster_name" not in messages
        garb = _scratch(tmp_path, "garb", render_galera("garb.j2", galera_cluster_name=value))
        assert source_env(garb, "GALERA_GROUP") == value


@pytest.mark.parametrize("value", HOSTILE + EXTRA + REFUSED, ids=short_id)
def test_galera_config_overrides_come_back_or_are_refused(tmp_path, value):
    """An override value in the real galera.cnf.j2, read back by MariaDB's reader, or refused by preflight."""
    overrides = {"mysqld": {"init_connect": value}}
    messages = galera_preflight(galera_config_overrides=overrides)
    name = "galera_config_overrides[mysqld][init_connect]"
    if config_value_problems(value, ["mysql_option"]):
        assert_refused(messages, name + " value", value, ["mysql_option"])
        return
    assert name + " value" not in messages and name not in messages
    text = render_galera("galera.cnf.j2", galera_config_overrides=overrides)
    assert my_print_defaults(_scratch(tmp_path, "galera.cnf", text), "mysqld")["init_connect"] == value


@pytest.mark.parametrize("section, option", [("mysqld]\n[client", "x"), ("mysqld", "a b"), ("mysqld", "k=v"),
                                             ("mysqld", "#x"), ("mysqld", "new\nline"), ("mysqld", "")])
def test_galera_override_names_the_option_file_cannot_hold_are_refused(section, option):
    messages = galera_preflight(galera_config_overrides={section: {option: "1"}})
    name = "galera_config_overrides[%s][%s]" % (section, option)
    assert messages[name] == name + ": section and option names are letters, digits, _ . and - only (MariaDB option file)."
    assert galera_preflight(galera_config_overrides={"mysqld": {"innodb_log_file_size": "512M"}}) == {}


def test_galera_preflight_message_names_variable_and_character():
    messages = galera_preflight(galera_sst_password="nul\0", galera_sst_user="a:b")
    assert messages["galera_sst_password"] == (
        "galera_sst_password contains '\\0' (NUL), which a MariaDB option file cannot hold: choose another password.")
    assert messages["galera_sst_user"].startswith("galera_sst_user contains ':', which ends the user name")
    assert galera_preflight(galera_sst_password="Sst#2024", galera_clustercheck_password="new\nline") == {}


# Seafile: the INI files, written with the filters, read back by Seafile's readers.

def source_env(path, key):
    """sh sourcing a KEY=value file, as garb's start script (and a shell-ish .env reader) does."""
    result = subprocess.run(["/bin/sh", "-c", '. "$1" && printf %s "$' + key + '"', "sh", str(path)],
                            capture_output=True, check=False, env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
    return result.stdout.decode("utf-8") if result.returncode == 0 else "ERROR: %s" % result.stderr


# file: (readers of the text, the filter its template will use and that filter's reader, section, key)
SEAFILE_FILES = {
    # ccnet.conf: PASSWD = {{ seafile_node_db_password | filesync.cluster.keyfile_value }} (seaf-server/ccnet only)
    "ccnet.conf": (["keyfile"], "keyfile_value", "keyfile", "Database", "PASSWD"),
    # seafile.conf: password = {{ ... | filesync.cluster.keyfile_value }}, after preflight refused what
    # config_value_problems(['keyfile', 'configparser']) names (seaf-server AND seafevents read it)
    "seafile.conf": (["keyfile", "configparser"], "keyfile_value", "keyfile", "database", "password"),
    # seafevents.conf: password = {{ ... | filesync.cluster.configparser_value }} (seafevents only)
    "seafevents.conf": (["configparser"], "configparser_value", "configparser", "DATABASE", "password"),
}


@pytest.mark.parametrize("name", sorted(SEAFILE_FILES))
def test_seafile_ini_values_come_back_or_are_refused(tmp_path, name):
    """Each hostile value in a tiny INI like the template's, read by every reader of that file."""
    readers, filter_name, filter_reader, section, key = SEAFILE_FILES[name]
    source = "# managed\n[%s]\n%s = {{ v | filesync.cluster.%s }}\nport = 3306\n" % (section, key, filter_name)
    texts = {}
    for value in HOSTILE + EXTRA + REFUSED:
        problems = config_value_problems(value, readers)
        try:
            texts[value] = render_text(source, v=value)
        except AnsibleError as error:
            # The filter refuses what its own reader cannot hold, naming the character.
            own = config_value_problems(value, [filter_reader])
            assert own and own[0] in str(error), (value, str(error))
            assert_names_characters_of(problems, value)
    keyfile_reads = dict(zip(texts, gkeyfile(list(texts.values()), section, key))) if "keyfile" in readers else {}
    for value, text in texts.items():
        problems = config_value_problems(value, readers)
        reads = []
        if "keyfile" in readers:
            reads.append(keyfile_reads[value])
        if "configparser" in readers:
            reads.append(configparser_read(tmp_path, text, section, key))
        if problems:
            assert_names_characters_of(problems, value)
            # The rules are tight: at least one reader really gets something else.
            assert any(read != value for read in reads), (value, problems, reads)
        else:
            assert reads == [value] * len(reads), (name, value, text, reads)


# The filters themselves.

def test_mysql_option_value_quotes_and_escapes():
    assert mysql_option_value("Sst#2024") == '"Sst#2024"'
    assert mysql_option_value('a\\b"c\'d') == '"a\\\\b\\"c\'d"'
    assert mysql_option_value("new\nline\ttab\rcr\bbs") == '"new\\nline\\ttab\\rcr\\bbs"'
    assert mysql_option_value(" lead trail ") == '" lead trail "'
    assert mysql_option_value(3306) == '"3306"'
    with pytest.raises(AnsibleError, match=r"'\\0' \(NUL\), which a MariaDB option file cannot hold"):
        mysql_option_value("a\0b")
    with pytest.raises(AnsibleError, match="4102 bytes once quoted"):
        mysql_option_value("x" * 4100)
    with pytest.raises(AnsibleError, match="expects a string"):
        mysql_option_value(["a"])


def test_keyfile_value_escapes_as_glib_does():
    assert keyfile_value(" a\\b\nc\td\re") == "\\sa\\\\b\\nc\\td\\re"
    assert keyfile_value("p%w #;=") == "p%w #;="
    assert keyfile_value("  two") == "\\s two"
    with pytest.raises(AnsibleError, match=r"trailing ' ' \(space\), which Seafile's GKeyFile reader strips"):
        keyfile_value("trail ")


def test_configparser_value_doubles_percent():
    assert configparser_value("%(here)s 100%") == "%%(here)s 100%%"
    assert configparser_value("back\\slash;#") == "back\\slash;#"
    with pytest.raises(AnsibleError, match=r"'\\n' \(newline\), which configparser cannot hold"):
        configparser_value("new\nline")
    with pytest.raises(AnsibleError, match=r"leading ' ' \(space\), which configparser strips"):
        configparser_value(" lead")


def test_config_value_problems_messages():
    assert config_value_problems("p%w", ["keyfile", "configparser"]) == [
        "'%' (configparser interpolation and GKeyFile cannot both read it)"]
    assert config_value_problems("a\\b", ["keyfile", "configparser"]) == [
        "'\\' (GKeyFile and configparser interpolation cannot both read it)"]
    assert config_value_problems("a\tb", ["keyfile", "configparser_raw"]) == [
        "'\\t' (tab: GKeyFile and configparser cannot both read it)"]
    assert config_value_problems("p%w", ["configparser", "configparser_raw"]) == [
        "'%' (configparser interpolation and configparser cannot both read it)"]
    assert config_value_problems("new\nline", "configparser") == ["'\\n' (newline), which configparser cannot hold"]
    assert config_value_problems("it's", "env") == ['"\'", which a KEY=value environment file cannot hold']
    assert config_value_problems("nb\xa0", "configparser") == [
        "trailing '\\xa0' (no-break space), which configparser strips"]
    # Readers quoted in a file of their own share the text with nobody.
    assert config_value_problems("p%w\\", ["mysql_option", "configparser", "python"]) == []
    for value in HOSTILE + EXTRA + REFUSED:
        assert config_value_problems(value, ["python"]) == []
    with pytest.raises(AnsibleError, match="unknown reader"):
        config_value_problems("x", ["ini"])
    with pytest.raises(AnsibleError, match="unknown reader"):
        config_value_problems("x", [])
    assert config_value_problems("100% up", "systemd_text") == ["'%', which a systemd unit's text setting cannot hold"]
    assert config_value_problems(" nick", "systemd_text") == ["leading ' ' (space), which a systemd unit's text setting strips"]
    assert config_value_problems("/opt/pf dir", "systemd_word") == ["' ' (space), which a systemd unit setting (one word) cannot hold"]
    assert config_value_problems("/opt/pf-1.2/bin/start@x+y:z,é", "systemd_word") == []
    assert set(READERS) == {"mysql_option", "keyfile", "configparser", "configparser_raw", "env", "systemd_word", "systemd_text",
                            "python", "pymysql_login"}


@pytest.mark.parametrize("value", HOSTILE + EXTRA + ["plain-Value_1.2/x@y+z=w,v%", "a*b?c[d]{e}!"], ids=short_id)
def test_env_rules_against_sh(tmp_path, value):
    """An unquoted KEY=value line: what the env rules let through, sh reads back unchanged."""
    if config_value_problems(value, ["env"]):
        assert_names_characters_of(config_value_problems(value, ["env"]), value)
        return
    path = _scratch(tmp_path, "env", "KEY=%s\n" % value)
    assert source_env(path, "KEY") == value


def test_python_literal_holds_everything(tmp_path):
    for value in HOSTILE + EXTRA + REFUSED:
        text = render_text("PASSWORD = {{ v | to_json }}\n", v=value)
        scope = {}
        exec(compile(text, "seahub_settings.py", "exec"), scope)  # pylint: disable=exec-used
        assert scope["PASSWORD"] == value


def test_problems_name_characters_for_every_reader():
    for reader in READERS:
        for value in HOSTILE + EXTRA + REFUSED:
            problems = config_value_problems(value, [reader])
            if problems:
                assert_names_characters_of(problems, value)


def test_the_readers_are_there(tmp_path):
    path = _scratch(tmp_path, "x.cnf", "[client]\nuser = \"a#b\"\n")
    assert not path.stat().st_mode & 0o002  # my_print_defaults ignores world-writable files
    assert my_print_defaults(path, "client") == {"user": "a#b"}
    assert gkeyfile(["[d]\nk = \\sa\\\\b\n"], "d", "k") == [" a\\b"]


def test_a_pymysql_login_takes_ascii_only():
    from ansible_collections.filesync.cluster.plugins.filter.config_value import config_value_problems
    assert config_value_problems("p#ss 'w\"rd", ["pymysql_login"]) == []
    problems = config_value_problems("caf\u00e9", ["pymysql_login"])
    assert len(problems) == 1 and "'\u00e9'" in problems[0] and "Latin-1" in problems[0]


# Where the role's own INI template (roles/seafile_node/templates/ini.j2) puts
# the database password, per file.
PASSWORD_KEYS = {"ccnet.conf": ("Database", "PASSWD"), "seafile.conf": ("database", "password"),
                 "seafevents.conf": ("DATABASE", "password")}


@pytest.mark.parametrize("name", sorted(PASSWORD_KEYS))
def test_the_role_template_writes_the_password_every_reader_reads_back(tmp_path, name):
    """The real ini.j2 with each hostile password: what preflight lets through comes back unchanged
    through every parser of that file; the rest preflight refuses, naming the character."""
    from test_seafile_layouts import variables  # the role's variables for one Seafile version

    section, key = PASSWORD_KEYS[name]
    readers = role_defaults("seafile_node")["__seafile_node_ini_readers"][name]
    # The readers preflight checks the password against (every file it goes into, and PyMySQL).
    checked = ["keyfile", "configparser", "pymysql_login"]
    texts = {}
    for value in HOSTILE + EXTRA + REFUSED:
        problems = config_value_problems(value, checked)
        if problems:
            assert_names_characters_of(problems, value)
            continue
        texts[value] = render("seafile_node", "ini.j2", item={"name": name},
                              **variables("11.0.12", seafile_node_db_password=value))
    assert texts, "no hostile value got through: the test would prove nothing"
    keyfile_reads = dict(zip(texts, gkeyfile(list(texts.values()), section, key))) if "keyfile" in readers else {}
    for value, text in texts.items():
        if "keyfile" in readers:
            assert keyfile_reads[value] == value, (name, value, text)
        if "configparser" in readers:
            assert configparser_read(tmp_path, text, section, key) == value, (name, value, text)
