# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of filesync.cluster.managed_files: renders each file's template on
the controller, the way ansible.builtin.template does (the task's variables,
ansible_managed, the role's templates/ folder), with ``item`` set to that
file's entry, then runs the module once with every rendered content. A file
marked secret travels as secret_content, which the module never logs or
diffs."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.module_utils.common.text.converters import to_text

try:  # ansible-core 2.19 and later
    from ansible._internal._templating._template_vars import generate_ansible_template_vars
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover - ansible-core before 2.19
    from ansible.template import generate_ansible_template_vars
    trust_as_template = None


FILE_KEYS = ("dest", "content", "secret_content", "secret", "owner", "group", "mode", "validate")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _render(self, entry, task_vars):
        source = self._find_needle("templates", entry["template"])
        searchpath = []
        for path in task_vars.get("ansible_search_path", []) + [self._loader._basedir, os.path.dirname(source)]:
            searchpath.extend([os.path.join(path, "templates"), path])
        variables = dict(task_vars)
        options = {"path": entry["template"], "fullpath": source, "dest_path": entry["dest"]}
        if trust_as_template is not None:
            options["include_ansible_managed"] = "ansible_managed" not in variables
        variables.update(generate_ansible_template_vars(**options))
        variables["item"] = entry
        if trust_as_template is None:  # pragma: no cover - ansible-core before 2.19
            text = to_text(self._loader._get_file_contents(source)[0])
            with self._templar.set_temporary_context(searchpath=searchpath, available_variables=variables):
                return self._templar.do_template(text, preserve_trailing_newlines=True, escape_backslashes=False) or ""
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
        text = trust_as_template(self._loader.get_text_file_contents(source))
        return templar.template(text, escape_backslashes=False) or ""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        files = []
        for entry in args.get("files") or []:
            if not isinstance(entry, dict) or "dest" not in entry:
                raise AnsibleActionFail("Every entry of files needs at least dest (and template or content).")
            entry = dict(entry)
            if entry.get("template"):
                entry["content"] = self._render(entry, task_vars)
                entry.pop("template")
            # A secret travels only as secret_content, which the module never logs.
            if entry.get("secret") and "content" in entry:
                entry["secret_content"] = entry.pop("content")
            # Keys the template reads (such as name) stay on the controller.
            files.append({key: value for key, value in entry.items() if key in FILE_KEYS})
        args["files"] = files
        result.update(self._execute_module(module_name="filesync.cluster.managed_files", module_args=args,
                                           task_vars=task_vars))
        return result
