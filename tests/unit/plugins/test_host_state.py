"""host_state: paths, users, groups and files in one read; nothing changes."""

import grp
import os
import pwd

from ansible_collections.filesync.cluster.plugins.modules import host_state as module

ME = pwd.getpwuid(os.getuid())
MY_GROUP = grp.getgrgid(os.getgid())


def test_reads_what_is_there_and_reports_what_is_not(run_module, tmp_path):
    folder = tmp_path / "share"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)
    link = tmp_path / "latest"
    link.symlink_to(folder)
    settings = tmp_path / "seahub_settings.py"
    settings.write_text("SECRET_KEY = 'k#%\\\\ é'\n", encoding="utf-8")
    result = run_module(module, dict(
        paths=[str(folder), str(link), str(tmp_path / "missing")],
        users=[ME.pw_name, "no-such-user-filesync"], groups=[MY_GROUP.gr_name, "no-such-group-filesync"],
        files=[str(settings), str(tmp_path / "missing.py")]))
    assert result["changed"] is False
    assert result["paths"][str(folder)] == {"exists": True, "isdir": True, "islnk": False, "uid": ME.pw_uid,
                                            "gid": os.getgid(), "mode": "0750"}
    assert result["paths"][str(link)]["islnk"] and not result["paths"][str(link)]["isdir"]
    assert result["paths"][str(tmp_path / "missing")] == {"exists": False}
    assert result["users"][ME.pw_name]["uid"] == ME.pw_uid and result["users"]["no-such-user-filesync"] is None
    assert result["groups"][MY_GROUP.gr_name] == {"gid": MY_GROUP.gr_gid} and result["groups"]["no-such-group-filesync"] is None
    assert result["files"][str(settings)] == "SECRET_KEY = 'k#%\\\\ é'\n"
    assert result["files"][str(tmp_path / "missing.py")] is None


def test_check_mode_reads_the_same(run_module, tmp_path):
    settings = tmp_path / "grastate.dat"
    settings.write_text("uuid: 1\n")
    assert run_module(module, dict(files=[str(settings)]), check_mode=True)["files"] == {str(settings): "uuid: 1\n"}


def test_refuses_a_large_or_binary_file_naming_it(run_module, tmp_path):
    big = tmp_path / "big"
    big.write_text("x" * 11)
    result = run_module(module, dict(files=[str(big)], max_size=10))
    assert result["failed"] and str(big) in result["msg"] and "max_size" in result["msg"]
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    result = run_module(module, dict(files=[str(binary)]))
    assert result["failed"] and str(binary) in result["msg"] and "UTF-8" in result["msg"]
