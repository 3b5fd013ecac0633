"""A job as AWX runs it: ansible-runner inside the execution environment image.

The image is execution-environment.yml built by tools/ee-build.sh (make test
builds it while the unit tests run; this test builds it when it is missing).
The job's private data directory holds only a project playbook that imports
filesync.cluster.status and this scenario's inventory: the collection, its
dependencies and ansible-core come from the image. The job reaches the hosts
over SSH as the lab does (molecule/shared/inventory/ssh.cfg: its ProxyCommand
needs this machine's docker CLI and socket, which the job's container gets).
"""

import json
import os
import pathlib
import shutil
import subprocess

import pytest
from status_rows import healthy, hosts_of, recap

PROJECT = pathlib.Path(__file__).resolve().parents[3]
IMAGE = os.environ.get("FILESYNC_EE_IMAGE", "filesync-ee:test")
SOCKET = "/var/run/docker.sock"


@pytest.fixture(scope="module")
def ee_image():
    found = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
    if found.returncode != 0:
        subprocess.run([str(PROJECT / "tools" / "ee-build.sh"), IMAGE], check=True)
    return IMAGE


def _private_data_dir(path, inventory_file):
    (path / "project").mkdir(parents=True)
    (path / "project" / "status.yml").write_text(
        "---\n- name: Report the cluster's state\n  ansible.builtin.import_playbook: filesync.cluster.status\n"
    )
    # Molecule's inventory directory, its links resolved (the job sees only this directory).
    shutil.copytree(inventory_file.parent, path / "inventory", symlinks=False)
    for sub in [path, *path.rglob("*")]:
        sub.chmod(0o777 if sub.is_dir() else 0o666)  # the image's user (uid 1000) writes the artifacts
    return path


def test_a_job_run_by_ansible_runner_in_the_execution_environment_reports_the_pack_healthy(
    ee_image, inventory_file, groups, tmp_path
):
    data = _private_data_dir(tmp_path / "job", inventory_file)
    docker = shutil.which("docker")
    proc = subprocess.run(
        ["docker", "run", "--rm",
         "-v", f"{data}:/runner",
         "-v", f"{SOCKET}:{SOCKET}", "--group-add", str(os.stat(SOCKET).st_gid),
         "-v", f"{docker}:/usr/local/bin/docker:ro",
         ee_image, "ansible-runner", "run", "/runner", "-p", "status.yml", "--ident", "job1"],
        capture_output=True, text=True, check=False, timeout=600,
    )
    artifacts = data / "artifacts" / "job1"
    output = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (artifacts / "status").read_text() == "successful", output
    assert (artifacts / "rc").read_text() == "0", output
    rows = healthy((0, output, recap(output)))
    pack = sorted(groups["aegir_master"] + groups["aegir_web"])
    assert hosts_of(rows, "aegir") == pack, rows
    # The job's events, as AWX stores them: every Pack host answered from inside the container.
    events = [json.loads(p.read_text()) for p in (artifacts / "job_events").glob("*.json")]
    oks = [e["event_data"] for e in events if e["event"] == "runner_on_ok"]
    assert {ok["host"] for ok in oks} >= set(pack), output
    # The playbook's tasks ran from the collection installed in the image.
    installed = "/usr/share/ansible/collections/ansible_collections/filesync/cluster/playbooks/"
    assert oks and all(ok["task_path"].startswith(installed) for ok in oks), sorted({ok["task_path"] for ok in oks})
