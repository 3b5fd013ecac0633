"""awx/job_templates.yml: every awx.awx task's arguments, rendered as Ansible would, pass the
module's own argument spec; one template per playbook; a survey with a confirmation where a run
is destructive."""

import importlib
import os
import pathlib
import subprocess
import sys

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from render import PROJECT, trusted

PLAY = yaml.safe_load((PROJECT / "awx" / "job_templates.yml").read_text())[0]
OMIT = "__omit_place_holder__filesync"
SETTINGS = {
    "filesync_awx_scm_url": "https://git.example.com/ops/filesync-cluster.git",
    "filesync_awx_machine_credential": "servers-ssh",
    "filesync_awx_vault_password": "vault pw #1",
}
DESTRUCTIVE = {"playbooks/galera_recover.yml", "playbooks/galera_restore.yml", "playbooks/etcd_restore.yml"}


def _render(value, **extra):
    variables = dict(PLAY["vars"], **SETTINGS, omit=OMIT, **extra)
    templar = Templar(loader=DataLoader(), variables=trusted(variables))
    rendered = templar.template(trusted(value))
    return {k: v for k, v in rendered.items() if v != OMIT}


class _Captured(Exception):
    pass


def _module_spec(name, monkeypatch):
    """The keyword arguments the module gives ControllerAPIModule (its argument spec and rules)."""
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + name)
    captured = {}

    def capture(**kwargs):
        captured.update(kwargs)
        raise _Captured()

    monkeypatch.setattr(module, "ControllerAPIModule", capture)
    with pytest.raises(_Captured):
        module.main()
    return captured


def _awx_tasks():
    return [task for task in PLAY["tasks"] if any(key.startswith("awx.awx.") for key in task)]


def _templates():
    return [_render({"t": "{{ item }}"}, item=item)["t"] for item in PLAY["vars"]["filesync_awx_templates"]]


@pytest.mark.parametrize("task", _awx_tasks(), ids=lambda task: task["name"])
def test_each_task_s_arguments_pass_the_module_s_argument_spec(task, monkeypatch):
    name = next(key for key in task if key.startswith("awx.awx."))
    spec = _module_spec(name.rsplit(".", 1)[1], monkeypatch)
    checks = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")
    validator = ArgumentSpecValidator(spec.pop("argument_spec"), **{k: v for k, v in spec.items() if k in checks})
    items = _templates() if "loop" in task else [None]
    for item in items:
        params = _render(task[name], item=item)
        result = validator.validate(params)
        assert not result.error_messages, (task["name"], item and item["name"], result.error_messages)


def test_one_template_per_playbook_and_each_playbook_exists():
    templates = _templates()
    playbooks = [t["playbook"] for t in templates]
    assert len(set(playbooks)) == len(playbooks)
    for playbook in playbooks:
        assert (PROJECT / playbook).is_file(), playbook
    products = {"playbooks/%s.yml" % name for name in ("seafile", "seatable", "powerfolder", "aegir_pack")}
    assert {"site.yml", "playbooks/status.yml", "playbooks/backup.yml"} | products | DESTRUCTIVE <= set(playbooks)


def _role_variables():
    names = set()
    for defaults in (PROJECT / "roles").glob("*/defaults/main.yml"):
        names |= set(yaml.safe_load(defaults.read_text()) or {})
    return names


def test_destructive_runs_ask_for_confirmation_and_their_inputs_in_a_survey():
    known = _role_variables()
    for template in _templates():
        params = _render(PLAY["tasks"][-1]["awx.awx.job_template"], item=template)
        if template["playbook"] not in DESTRUCTIVE:
            assert params["survey_enabled"] in (False, "False"), template["name"]
            continue
        assert params["survey_enabled"] in (True, "True"), template["name"]
        assert params["ask_variables_on_launch"] in (False, "False"), template["name"]
        spec = params["survey_spec"]["spec"]
        for question in spec:
            assert {"question_name", "variable", "type", "required"} <= set(question), question
            assert question["type"] in ("text", "multiplechoice"), question
            assert question["variable"] == "filesync_confirm" or question["variable"] in known, question
        confirm = [q for q in spec if q["variable"] == "filesync_confirm"]
        assert confirm and confirm[0]["required"] is True and confirm[0]["choices"] == ["yes"], template["name"]


def test_the_vault_password_is_never_logged():
    task = next(t for t in PLAY["tasks"] if "awx.awx.credential" in t)
    assert task["no_log"] is True
    assert pathlib.Path(PROJECT / "awx" / "job_templates.yml").read_text().count("vault_password") >= 1


def _settings_pass(**settings):
    check = PLAY["tasks"][0]["ansible.builtin.assert"]
    conditions = " and ".join("(%s)" % condition for condition in check["that"])
    variables = dict(PLAY["vars"], **settings)
    return Templar(loader=DataLoader(), variables=trusted(variables)).template(trusted("{{ %s }}" % conditions))


@pytest.mark.parametrize("missing", sorted(SETTINGS))
def test_each_missing_setting_fails_the_first_task(missing):
    assert _settings_pass(**SETTINGS) is True
    settings = {k: v for k, v in SETTINGS.items() if k != missing}
    assert _settings_pass(**settings) is False
    assert missing in PLAY["tasks"][0]["ansible.builtin.assert"]["fail_msg"]


def test_without_settings_the_run_stops_before_any_awx_task():
    # A real run: the playbook parses (awx.awx resolves) and the check stops it
    # before the first awx.awx task, so no controller is needed.
    run = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                          "-e", "ansible_python_interpreter=" + sys.executable, str(PROJECT / "awx" / "job_templates.yml")],
                         capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert "Set filesync_awx_scm_url" in " ".join(output.split()), output
    assert "TASK [Refuse missing settings before anything changes in AWX]" in output
    assert "TASK [Create" not in output, output
