"""license_file: naming, mode, checksums, expiry."""

import datetime
import grp
import os
import pwd

from ansible_collections.filesync.cluster.plugins.modules import license_file as module

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def seafile_license(expires):
    return ('Name = "Example"\nLicencetype = "User"\nLicenceKEY = "abc"\nProductID = "Seafile server"\n'
            'Expiration = "%s"\nMaxUsers = "100"\nMode = "subscription"\n' % expires)


def future():
    return (datetime.date.today() + datetime.timedelta(days=365)).isoformat()


def test_installs_seafile_license_under_the_name_seafile_reads(run_module, tmp_path):
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME))
    path = tmp_path / "seafile-license.txt"
    assert result["changed"] and result["path"] == str(path)
    assert result["expiration"] == future()
    assert path.read_text() == seafile_license(future())
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    again = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME))
    assert not again["changed"] and again["checksum"] == result["checksum"]


def test_check_and_diff_mode_change_nothing(run_module, tmp_path):
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME),
                        check_mode=True, diff=True)
    assert result["changed"]
    assert result["diff"]["after"] == "sha1 %s, %d bytes (the license text is not shown)\n" % (
        result["checksum"], len(seafile_license(future())))
    assert result["diff"]["before"] == "" and result["diff"]["after_header"] == str(tmp_path / "seafile-license.txt")
    assert not (tmp_path / "seafile-license.txt").exists()


def test_the_diff_shows_checksums_never_the_license(run_module, tmp_path):
    (tmp_path / "seafile-license.txt").write_text(seafile_license("2099-01-01"))
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME), diff=True)
    assert result["changed"] and "abc" not in str(result) and "Example" not in str(result)
    assert result["diff"]["before"].startswith("sha1 ") and result["diff"]["after"].startswith("sha1 %s," % result["checksum"])


def test_the_license_text_is_a_no_log_argument():
    assert 'content=dict(type="str", no_log=True)' in open(module.__file__).read()


def test_mode_drift_is_repaired(run_module, tmp_path):
    run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME, group=MY_GROUP))
    os.chmod(tmp_path / "seafile-license.txt", 0o644)
    result = run_module(module, dict(content=seafile_license(future()), dest=str(tmp_path), owner=ME, group=MY_GROUP))
    assert result["changed"]
    assert oct((tmp_path / "seafile-license.txt").stat().st_mode & 0o777) == "0o640"


def test_refuses_an_expired_seafile_license(run_module, tmp_path):
    result = run_module(module, dict(content=seafile_license("2020-01-31"), dest=str(tmp_path), owner=ME))
    assert result["failed"]
    assert result["msg"].startswith("The Seafile license expired on 2020-01-31")
    assert not (tmp_path / "seafile-license.txt").exists()


def test_refuses_an_empty_or_missing_source(run_module, tmp_path):
    empty = run_module(module, dict(content="  \n", dest=str(tmp_path), owner=ME))
    assert empty["failed"] and empty["msg"].startswith("The license source is empty")
    missing = run_module(module, dict(src=str(tmp_path / "nope"), dest=str(tmp_path), owner=ME))
    assert missing["failed"] and missing["msg"] == "License source %s does not exist on this host." % (tmp_path / "nope")


def test_refuses_a_seafile_license_without_expiration(run_module, tmp_path):
    result = run_module(module, dict(content="just text\n", dest=str(tmp_path), owner=ME))
    assert result["failed"] and "has no Expiration" in result["msg"]


def test_generic_license_from_a_file_with_its_own_name(run_module, tmp_path):
    source = tmp_path / "pf.lic"
    source.write_text("powerfolder-license-key\n")
    dest = tmp_path / "app"
    dest.mkdir()
    result = run_module(module, dict(application="generic", src=str(source), dest=str(dest),
                                     filename="PowerFolder.license", owner=ME, mode="0600"))
    assert result["changed"] and "expiration" not in result
    assert (dest / "PowerFolder.license").read_text() == "powerfolder-license-key\n"
    assert oct((dest / "PowerFolder.license").stat().st_mode & 0o777) == "0o600"


# The roles' license tasks, run as they are through ansible-playbook on localhost with --diff -vvv: the
# license text shows nowhere (neither the diff nor the module's logged arguments), its checksum does.

def _role_task(role, tasks_file, name):
    import yaml
    from render import PROJECT
    tasks = yaml.safe_load((PROJECT / "roles" / role / "tasks" / tasks_file).read_text())
    return next(task for task in tasks if task["name"] == name)


def _play(tmp_path, task, handler, variables, *options):
    import json
    import subprocess
    import sys
    from render import PROJECT
    play = [{"hosts": "localhost", "gather_facts": False, "vars": variables, "tasks": [task],
             "handlers": [{"name": handler, "ansible.builtin.debug": {"msg": "restart"}}]}]
    path = tmp_path / "play.yml"
    path.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    return subprocess.run(["ansible-playbook", str(path), "-c", "local", "-i", "localhost,",
                           "-e", "ansible_python_interpreter=" + sys.executable, "--diff", "-vvv", *options],
                          capture_output=True, text=True, env=env, cwd=PROJECT, check=False)


def _license(marker):
    return seafile_license(future()).replace('LicenceKEY = "abc"', 'LicenceKEY = "%s"' % marker)


def test_seafile_node_installs_the_license_without_showing_it(tmp_path):
    task = _role_task("seafile_node", "license.yml", "Install the Seafile license (seafile-license.txt, or Seafile runs in trial mode)")
    source, top = tmp_path / "seafile-license.txt", tmp_path / "top"
    top.mkdir()
    variables = {"seafile_node_license_file": str(source), "seafile_node_top_dir": str(top), "seafile_node_user": ME,
                 "seafile_node_group": MY_GROUP}
    for marker in ("FIRST-LICENCE-4711", "SECOND-LICENCE-4712"):
        source.write_text(_license(marker))
        for options in (["--check"], []):
            result = _play(tmp_path, task, "seafile_node_restart", variables, *options)
            output = result.stdout + result.stderr
            assert result.returncode == 0 and "changed=1" in result.stdout, output
            assert "LICENCE-47" not in output and "Licencetype" not in output, output
            assert "sha1 " in output and str(top / "seafile-license.txt") in output
    # The file lookup drops the last newline.
    assert (top / "seafile-license.txt").read_text() == _license("SECOND-LICENCE-4712").rstrip("\n")
    again = _play(tmp_path, task, "seafile_node_restart", variables)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout


def test_seatable_installs_the_license_without_showing_it(tmp_path):
    task = dict(_role_task("seatable", "configure.yml", "Install the license"))
    # The task as the role runs it, owned by this test's user instead of root.
    task["ansible.builtin.copy"] = dict(task["ansible.builtin.copy"], owner=ME, group=MY_GROUP)
    source, compose = tmp_path / "seatable-license.txt", tmp_path / "compose"
    compose.mkdir()
    variables = {"seatable_license_file": str(source), "__seatable_compose_dir": str(compose)}
    for marker in ("FIRST-LICENCE-4711", "SECOND-LICENCE-4712"):
        source.write_text("SeaTable license\nkey = %s\n" % marker)
        result = _play(tmp_path, task, "seatable_restart", variables)
        output = result.stdout + result.stderr
        assert result.returncode == 0 and "changed=1" in result.stdout, output
        assert "LICENCE-47" not in output and "SeaTable license" not in output, output
    assert "SECOND-LICENCE-4712" in (compose / "seatable-license.txt").read_text()
