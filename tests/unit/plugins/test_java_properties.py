"""java_properties: values read back with java.util.Properties (a real JRE),
change judged by parsed value, the rest of the file left alone."""

import base64
import json
import os
import pathlib
import shutil
import subprocess

import pytest

from ansible_collections.filesync.cluster.plugins.modules import java_properties as module

JAVA_DIR = pathlib.Path(__file__).parent / "java"
# Every character a config value can hold that a careless writer breaks.
HOSTILE = {
    "database.password": "p#ss w=rd:x!y \\ \"q' %s ü 中文 \U0001F600",
    "leading.space": "  two leading spaces, trailing too  ",
    "multi.line": "line one\nline two\r\nthree\ttab\fform",
    "key with spaces=and:colons#hash!bang": "value",
    "empty": "",
    "unicode.key.ö": "\u0000\u001f\u007f\u00ff\u0100",
    "backslash.end": "C:\\path\\",
}


@pytest.fixture(scope="session")
def java():
    """Runs the Java programs under java/ (single-file source launch of a
    JRE, which `make test` installs: default-jre-headless). Missing: fail."""
    binary = shutil.which("java")
    assert binary, "No Java runtime: install default-jre-headless (tools/host-deps.sh does)."

    def run(program, *args, stdin=None):
        return subprocess.run([binary, str(JAVA_DIR / (program + ".java"))] + [str(a) for a in args],
                              input=stdin, check=True, capture_output=True, text=True).stdout

    return run


def java_reads(java, path):
    return json.loads(java("PropsDump", path))


def java_writes(java, path, values):
    def hexed(text):
        return text.encode("utf-16-be", "surrogatepass").hex()
    pairs = "".join("%s %s\n" % (hexed(k), hexed(v)) for k, v in values.items())
    java("PropsStore", path, stdin=pairs)


def test_hostile_values_read_back_unchanged_by_java(run_module, java, tmp_path):
    path = tmp_path / "PowerFolder.config"
    result = run_module(module, dict(path=str(path), properties={k: v for k, v in HOSTILE.items() if k != "database.password"},
                                     secret_properties={"database.password": HOSTILE["database.password"]}))
    assert result["changed"] and result["created"]
    assert java_reads(java, path) == HOSTILE
    path.read_bytes().decode("ascii")  # store()'s output: ASCII, everything else escaped


def test_a_file_java_wrote_reads_the_same_and_a_rerun_changes_nothing(run_module, java, tmp_path):
    path = tmp_path / "PowerFolder.config"
    java_writes(java, path, HOSTILE)
    before = path.read_bytes()
    parsed = module.values_of(module.parse(before.decode("latin-1")))
    assert parsed == HOSTILE
    result = run_module(module, dict(path=str(path), properties={k: v for k, v in HOSTILE.items() if k != "database.password"},
                                     secret_properties={"database.password": HOSTILE["database.password"]}))
    assert not result["changed"] and result["changed_keys"] == []
    assert path.read_bytes() == before


def test_changes_only_the_managed_key_and_keeps_comments_order_and_other_keys(run_module, java, tmp_path):
    path = tmp_path / "PowerFolder.config"
    original = ("#PowerFolder config\r\n#Mon Dec 01 10:00:00 UTC 2026\r\n"
                "zeta = kept as written\r\n"
                "! bang comment\r\n"
                "hostname=old\\\r\n"
                "    name\r\n"
                "nodeid:ABC123\r\n"
                "alpha\tspaced value\r\n")
    path.write_bytes(original.encode("latin-1"))
    result = run_module(module, dict(path=str(path), properties={"hostname": "pf-node2.example.com", "nick": "pf2"}),
                        diff=True)
    assert result["changed"] and result["changed_keys"] == ["hostname", "nick"]
    text = path.read_bytes().decode("latin-1")
    assert text == original.replace("hostname=old\\\r\n    name\r\n", "hostname=pf-node2.example.com\r\n") + "nick=pf2\r\n"
    assert java_reads(java, path) == {"zeta": "kept as written", "hostname": "pf-node2.example.com", "nodeid": "ABC123",
                                      "alpha": "spaced value", "nick": "pf2"}
    assert result["diff"]["before"] == original and result["diff"]["after"] == text


def test_a_server_rewrite_with_equal_values_is_not_a_change(run_module, java, tmp_path):
    path = tmp_path / "PowerFolder.config"
    wanted = {"web.base.url": "https://cloud.example.com", "provider.url.httptunnel": "https://cloud.example.com/rpc"}
    run_module(module, dict(path=str(path), properties=wanted))
    # The server sorts, escapes ':' and '=' its own way, adds a date comment and its own keys.
    java_writes(java, path, dict(wanted, nodeid="X1"))
    rewritten = path.read_bytes()
    assert b"https\\://cloud" in rewritten and rewritten.startswith(b"#PowerFolder configuration\n#")
    assert rewritten.index(b"nodeid=") < rewritten.index(b"provider.url") < rewritten.index(b"web.base.url")
    again = run_module(module, dict(path=str(path), properties=wanted), diff=True)
    assert not again["changed"] and path.read_bytes() == rewritten


def test_remove_drops_every_occurrence_and_duplicates_collapse_to_the_last(run_module, java, tmp_path):
    path = tmp_path / "p.properties"
    path.write_bytes(b"a=1\nnodeid=first\nb=2\nnodeid=second\na=3\n")
    result = run_module(module, dict(path=str(path), properties={"a": "3"}, remove=["nodeid", "absent"]))
    assert result["changed"] and result["changed_keys"] == ["nodeid"]
    assert path.read_bytes() == b"b=2\na=3\n"
    assert java_reads(java, path) == {"a": "3", "b": "2"}
    assert not run_module(module, dict(path=str(path), remove=["nodeid"]))["changed"]


def test_seed_is_used_only_when_the_file_is_missing(run_module, java, tmp_path):
    first = b"#first node\nnodeid=N1\nhostname=pf1\nnick=pf1\ndatabase.password=s\\#cret\n"
    seed = base64.b64encode(first).decode()
    path = tmp_path / "PowerFolder.config"
    args = dict(path=str(path), seed=seed, properties={"hostname": "pf2", "nick": "pf2"}, remove=["nodeid"], read=["hostname"])
    result = run_module(module, args)
    assert result["changed"] and result["created"] and result["values"] == {"hostname": "pf2"}
    assert java_reads(java, path) == {"hostname": "pf2", "nick": "pf2", "database.password": "s#cret"}
    path.write_bytes(path.read_bytes() + b"nodeid=N2\n")
    again = run_module(module, dict(args, remove=[]))
    assert not again["changed"] and java_reads(java, path)["nodeid"] == "N2"


def test_check_mode_writes_nothing_and_diff_masks_secrets(run_module, tmp_path):
    path = tmp_path / "p.properties"
    path.write_bytes(b"database.password=old secret\nx=1\n")
    result = run_module(module, dict(path=str(path), properties={"x": "2"}, secret_properties={"database.password": "new secret"}),
                        check_mode=True, diff=True)
    assert result["changed"] and result["changed_keys"] == ["database.password", "x"]
    assert path.read_bytes() == b"database.password=old secret\nx=1\n"
    diff = json.dumps(result["diff"])
    assert "secret" not in diff and "********" in diff and "x=2" in diff
    missing = run_module(module, dict(path=str(tmp_path / "new"), properties={"x": "1"}), check_mode=True)
    assert missing["changed"] and not (tmp_path / "new").exists()


def test_mode_owner_and_values_in_one_result(run_module, tmp_path):
    path = tmp_path / "p.properties"
    run_module(module, dict(path=str(path), properties={"x": "1"}, mode="0640"))
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    os.chmod(path, 0o644)
    result = run_module(module, dict(path=str(path), properties={"x": "1"}, mode="0640", read=["x", "missing"]))
    assert result["changed"] and result["changed_keys"] == [] and result["values"] == {"x": "1"}
    assert oct(path.stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("args, message", [
    (dict(properties={"flag": True}), "quote it"),
    (dict(properties={"a": "1"}, remove=["a"]), "not also removed"),
    (dict(properties={"a": "1"}, secret_properties={"a": "2"}), "both secret and public"),
    (dict(secret_properties={"p": "x"}, read=["p"]), "read may not name a secret key"),
    (dict(create=False), "does not exist"),
    (dict(seed="not base64!"), "seed is not base64"),
])
def test_refusals_name_what_to_fix(run_module, tmp_path, args, message):
    result = run_module(module, dict(args, path=str(tmp_path / "p.properties")))
    assert result["failed"] and message in result["msg"]
    assert not (tmp_path / "p.properties").exists()


def test_a_malformed_unicode_escape_is_refused_like_java_refuses_it(run_module, java, tmp_path):
    path = tmp_path / "p.properties"
    path.write_bytes(b"a=\\u12G4\n")
    with pytest.raises(subprocess.CalledProcessError):
        java_reads(java, path)
    result = run_module(module, dict(path=str(path), properties={"b": "1"}))
    assert result["failed"] and "Repair the file by hand" in result["msg"]
    assert path.read_bytes() == b"a=\\u12G4\n"
