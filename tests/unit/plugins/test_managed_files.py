"""filesync.cluster.managed_files through ansible-playbook on localhost: one
call writes directories, links and files, reports honest changes, leaves
the old file when validation fails, never shows a secret, and writes
nothing in check mode."""

import grp
import json
import os
import pwd
import subprocess
import sys

from render import PROJECT

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(tmp_path, files, *options, directories=None, links=None):
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "t.j2").write_text("{{ ansible_managed | comment }}\nname={{ item.name }} value={{ value }}\n")
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"value": "v1"}, "tasks": [{
        "name": "Write", "filesync.cluster.managed_files": {
            "directories": directories or [], "links": links or [], "files": files}, "register": "out"},
        {"name": "Show", "ansible.builtin.debug": {"var": "out.results"}}]}]
    path = tmp_path / "play.yml"
    path.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    return subprocess.run(["ansible-playbook", str(path), "-c", "local", "-i", "localhost,",
                           "-e", "ansible_python_interpreter=" + sys.executable, *options],
                          capture_output=True, text=True, env=env, cwd=PROJECT, check=False)


def entry(tmp_path, filename, **extra):
    return {"dest": str(tmp_path / filename), "owner": USER, "group": GROUP, "mode": "0640", **extra}


def test_one_call_writes_everything_and_a_rerun_changes_nothing(tmp_path):
    conf = tmp_path / "conf"
    directories = [{"path": str(conf), "owner": USER, "group": GROUP, "mode": "0750"}]
    links = [{"dest": str(tmp_path / "latest"), "src": "conf", "owner": USER, "group": GROUP}]
    files = [entry(tmp_path, "conf/a.conf", template="t.j2", name="a"), entry(tmp_path, "b.txt", content="plain\n")]
    first = run(tmp_path, files, directories=directories, links=links)
    assert first.returncode == 0 and "changed=1" in first.stdout, first.stdout + first.stderr
    assert (conf / "a.conf").read_text().endswith("name=a value=v1\n")
    assert oct(os.stat(conf / "a.conf").st_mode & 0o777) == "0o640" and oct(os.stat(conf).st_mode & 0o777) == "0o750"
    assert os.readlink(tmp_path / "latest") == "conf"
    second = run(tmp_path, files, directories=directories, links=links)
    assert "changed=0" in second.stdout and '"changed": true' not in second.stdout, second.stdout


def test_check_mode_writes_nothing_and_diff_shows_the_change(tmp_path):
    result = run(tmp_path, [entry(tmp_path, "c.conf", content="new\n")], "--check", "--diff")
    assert result.returncode == 0 and "changed=1" in result.stdout and "+new" in result.stdout, result.stdout
    assert not (tmp_path / "c.conf").exists()


def test_a_secret_is_never_shown(tmp_path):
    """Given as content or rendered from a template: not in the diff, not in the module's invocation (-vvv)."""
    (tmp_path / "s.conf").write_text("old-hunter2\n")
    files = [entry(tmp_path, "s.conf", content="password=hunter2-new\n", secret=True),
             entry(tmp_path, "t.conf", template="t.j2", name="hunter2-templated", secret=True)]
    result = run(tmp_path, files, "--diff", "-vvv")
    assert result.returncode == 0 and "changed=1" in result.stdout, result.stdout
    assert "hunter2" not in result.stdout + result.stderr
    assert (tmp_path / "s.conf").read_text() == "password=hunter2-new\n"
    assert "name=hunter2-templated" in (tmp_path / "t.conf").read_text()


def test_a_file_that_fails_validation_leaves_the_old_one(tmp_path):
    (tmp_path / "v.conf").write_text("good\n")
    result = run(tmp_path, [entry(tmp_path, "v.conf", content="bad\n", validate="grep -q good %s")])
    assert result.returncode != 0 and "failed its check" in result.stdout, result.stdout
    assert (tmp_path / "v.conf").read_text() == "good\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".v.conf.")]
