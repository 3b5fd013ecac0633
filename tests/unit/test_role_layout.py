"""The house style, checked on every role."""

import re

import pytest
import yaml

from render import PROJECT, ROLES


def load(path):
    return yaml.safe_load(path.read_text()) or {}


def tasks(role):
    for path in sorted((PROJECT / "roles" / role).glob("*/*.yml")):
        if path.parent.name in ("tasks", "handlers"):
            for task in load(path) or []:
                yield path, task


def test_there_are_roles():
    assert {"memcached", "galera", "haproxy", "etcd", "nfs"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role):
    defaults = load(PROJECT / "roles" / role / "defaults" / "main.yml")
    specs = load(PROJECT / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(specs), "defaults/main.yml and meta/argument_specs.yml list different variables"
    for name, value in defaults.items():
        assert specs[name].get("default") == value, "%s: default differs from argument_specs" % name
        assert specs[name].get("description"), "%s has no description" % name


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_are_prefixed_and_private_ones_are_in_vars(role):
    for name in load(PROJECT / "roles" / role / "defaults" / "main.yml"):
        assert name.startswith(role + "_"), name
    for name in load(PROJECT / "roles" / role / "vars" / "main.yml"):
        assert name.startswith("__%s_" % role), name


@pytest.mark.parametrize("role", ROLES)
def test_preflight_runs_first(role):
    main = load(PROJECT / "roles" / role / "tasks" / "main.yml")
    assert main[0].get("ansible.builtin.import_tasks") == "preflight.yml"
    assert (PROJECT / "roles" / role / "tasks" / "preflight.yml").exists()


@pytest.mark.parametrize("role", ROLES)
def test_templates_start_with_ansible_managed(role):
    for path in (PROJECT / "roles" / role / "templates").glob("*.j2"):
        text = path.read_text()
        if path.name.endswith(".json.j2"):
            # JSON has no comments (the readers parse it strictly): the file is
            # one value rendered by to_nice_json, so nothing hand-written can break it.
            assert "| to_nice_json" in text and text.count("{{") == 1, path.name
            continue
        assert text.startswith("{{ ansible_managed | comment }}"), path.name


@pytest.mark.parametrize("role", ROLES)
def test_file_tasks_set_owner_group_and_a_quoted_mode(role):
    for path, task in tasks(role):
        for module in ("ansible.builtin.template", "ansible.builtin.copy"):
            if module in task:
                args = task[module]
                assert {"owner", "group", "mode"} <= set(args), (path.name, task["name"])
                # A loop of files gives each its mode (item.mode): every item's is checked.
                modes = [args["mode"]]
                if args["mode"] == "{{ item.mode }}":
                    loop = task["loop"]
                    if isinstance(loop, str):
                        # A list built in vars/main.yml: every mode written there.
                        text = (PROJECT / "roles" / role / "vars" / "main.yml").read_text()
                        modes = re.findall(r"'mode': '([^']*)'", text)
                        assert modes, (path.name, task["name"], loop)
                    else:
                        modes = [item["mode"] for item in loop]
                for mode in modes:
                    assert isinstance(mode, str) and re.fullmatch(r"0[0-7]{3}", mode), (path.name, task["name"], mode)


@pytest.mark.parametrize("role", ROLES)
def test_tasks_that_handle_secrets_hide_their_output(role):
    secret = re.compile(r"password|_key\b|sst", re.I)
    for path, task in tasks(role):
        module = next((k for k in task if k.startswith("ansible.builtin.") or k.startswith("community.")), None)
        if module == "ansible.builtin.assert":
            continue  # checks a length; prints the expression, never the value
        args = str(task.get(module, ""))
        template_src = task.get("ansible.builtin.template", {}).get("src", "") if module == "ansible.builtin.template" else ""
        template_text = ""
        if template_src and "{{" not in template_src:
            template_text = (PROJECT / "roles" / role / "templates" / template_src).read_text()
        if re.search(r"_password\b|_password }}", args + template_text) or (
            module == "ansible.builtin.copy" and secret.search(args)
        ):
            assert task.get("no_log"), "%s: %s handles a secret without no_log" % (path.name, task["name"])


@pytest.mark.parametrize("role", ROLES)
def test_no_free_form_commands_and_honest_changed(role):
    for path, task in tasks(role):
        for module in ("ansible.builtin.command", "ansible.builtin.shell"):
            if module in task:
                assert module != "ansible.builtin.shell", (path.name, task["name"])
                assert isinstance(task[module], dict) and "argv" in task[module], (path.name, task["name"])
                # creates: reports changed only when it ran.
                assert "changed_when" in task or "creates" in task[module], (path.name, task["name"])
                if task.get("changed_when") is False:
                    # A read-only command must also answer in --check runs.
                    assert task.get("check_mode") is False, (path.name, task["name"])
        assert "ignore_errors" not in task, (path.name, task["name"])


def test_secrets_have_no_defaults():
    for role in ROLES:
        for name, value in load(PROJECT / "roles" / role / "defaults" / "main.yml").items():
            if name.endswith("_password"):
                # Empty, or the one definition of another role (a client reads its server's secret).
                assert value == "" or re.fullmatch(r"\{\{ [a-z]+_password \| default\(''\) \}\}", value), \
                    "%s must not have a default" % name
