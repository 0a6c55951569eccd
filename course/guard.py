"""Integrity guard the grader installs in the kernel before any student code runs.

It notices the usual ways a notebook games a grader and reports them to the
grading process through a file:

- replacing or monkeypatching the check functions, ``course.checks``, or the
  NumPy / TensorFlow / Keras functions the checks compare against;
- swapping modules in ``sys.modules`` or rebinding the names the Setup cell
  bound (``checks``, ``np``, ...);
- opening or listing the instructor's files, or starting other processes
  (both are also refused).

It is a tripwire, not a sandbox: code that sets out to defeat it from inside
the same process can. Run the grader in a container or as a separate user.
"""

from __future__ import annotations

import json
import os
import sys
import types

# Reached by attribute from the top-level module, as the checks reach them.
WATCHED_MODULES = (
    "numpy", "numpy.testing", "numpy.linalg", "tensorflow", "tensorflow.nn", "tensorflow.math",
    "tensorflow.linalg", "tensorflow.debugging", "keras", "keras.ops", "keras.losses",
    "keras.activations", "keras.optimizers", "keras.optimizers.schedules", "keras.layers",
    "keras.regularizers", "keras.callbacks", "keras.random", "builtins",
)
WATCHED_PREFIX = "course"
# Rebound by ipykernel/IPython around every cell, not by students.
UNSTABLE_BUILTINS = {"input", "raw_input", "getpass", "display", "get_ipython", "exit", "quit", "_", "__"}
SPAWN_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                "os.forkpty", "pty.spawn")
FILE_EVENTS = ("open", "os.listdir", "os.scandir", "glob.glob", "os.chdir", "shutil.copyfile")


def _fingerprint(module: types.ModuleType) -> dict[str, tuple]:
    """``{attribute: (id of the object, id of its code)}`` for one module's public attributes."""
    prints = {}
    for name, value in list(vars(module).items()):
        if name.startswith("__") or "Lazy" in type(value).__name__:  # lazy loaders replace themselves
            continue
        if module.__name__ == "builtins" and name in UNSTABLE_BUILTINS:
            continue
        code = getattr(value, "__code__", None)
        prints[name] = (id(value), id(code) if code is not None else None)
        if isinstance(value, type) and value.__module__ == module.__name__:
            for attr, member in list(vars(value).items()):
                member_code = getattr(member, "__code__", None)
                prints[f"{name}.{attr}"] = (id(member), id(member_code) if member_code else None)
    return prints


def _resolve(path: str):
    """The object at a dotted path, starting from ``sys.modules`` (None if absent)."""
    root, *rest = path.split(".")
    value = sys.modules.get(root)
    for part in rest:
        value = getattr(value, part, None)
    return value


def _shell_hooks() -> dict[str, tuple]:
    """Identities of the IPython hooks that could rewrite or silence a check cell."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    if shell is None:
        return {}
    return {
        "input transformers": tuple(map(id, shell.input_transformers_cleanup + shell.input_transformers_post)),
        "AST transformers": tuple(map(id, shell.ast_transformers)),
        "custom exception handlers": (id(shell.CustomTB), tuple(map(id, shell.custom_exceptions))),
        "cell runner": tuple((name in vars(shell), id(getattr(type(shell), name)))
                             for name in ("run_cell", "run_cell_async", "run_ast_nodes", "run_code")),
    }


class Guard:
    """The grader's tripwire inside the kernel (one per grading run)."""

    def __init__(self, report_path: str, protected: list[str]):
        self._report_path = report_path
        self._protected = tuple(os.path.realpath(p) for p in protected)
        self._events: list[str] = []
        self._cells: dict[str, list[str]] = {}
        self._baseline: dict[str, dict] = {}
        self._modules: dict[str, int] = {}
        self._names: dict[str, int] = {}
        self._hooks: dict[str, tuple] = {}
        self._namespace: dict | None = None
        self._open = open  # the real open, kept before any student code runs
        self._dumps = json.dumps
        self._armed = False
        sys.addaudithook(self._audit)

    def _is_protected(self, path) -> bool:
        try:
            real = os.path.realpath(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else ""
        except (TypeError, ValueError):
            return False
        return any(real == p or real.startswith(p + os.sep) for p in self._protected)

    def _audit(self, event: str, args: tuple) -> None:
        """Refuse and record reads of the instructor's files and process starts."""
        if not self._armed:
            return
        if event.startswith(SPAWN_EVENTS):
            self._events.append(f"started a process ({event})")
            raise PermissionError("the grader does not allow starting processes")
        if event in FILE_EVENTS and args and self._is_protected(args[0]):
            self._events.append(f"tried to read the instructor's files ({os.fsdecode(args[0])})")
            raise PermissionError("the grader does not allow reading the instructor's files")

    def snapshot(self, namespace: dict, setup_names: list[str]) -> None:
        """Record what the checks rely on, right after the instructor's Setup cell.

        Args:
            namespace: the notebook's globals.
            setup_names: the names the Setup cell bound (``checks``, ``np``, ...).
        """
        self._namespace = namespace
        modules = {path: _resolve(path) for path in WATCHED_MODULES}
        modules.update({n: m for n, m in sys.modules.items()
                        if n == WATCHED_PREFIX or n.startswith(WATCHED_PREFIX + ".")})
        modules = {n: m for n, m in modules.items() if isinstance(m, types.ModuleType)}
        self._modules = {n: (id(m), id(sys.modules.get(n))) for n, m in modules.items()}
        self._baseline = {n: _fingerprint(m) for n, m in modules.items()}
        self._names = {n: id(namespace[n]) for n in setup_names if n in namespace}
        self._hooks = _shell_hooks()
        self._armed = True

    def _changes(self) -> list[str]:
        """What differs from the snapshot now."""
        changes = [f"rebound `{n}`" for n, i in self._names.items()
                   if id(self._namespace.get(n)) != i]
        hooks = _shell_hooks()
        changes += [f"changed IPython's {what}" for what, value in self._hooks.items()
                    if hooks.get(what) != value]
        for name, (ident, registered) in self._modules.items():
            module = sys.modules.get(name) if name.startswith(WATCHED_PREFIX) else _resolve(name)
            if id(module) != ident or id(sys.modules.get(name)) != registered:
                changes.append(f"replaced the module {name}")
                continue
            current = _fingerprint(module)
            changes += [f"patched {name}.{attr}" for attr, value in self._baseline[name].items()
                        if current.get(attr) != value]
        return changes

    def verify(self, grade_id: str) -> None:
        """Record, after a graded cell ran, whatever was tampered with so far."""
        self._cells[grade_id] = self._changes() + self._events

    def finish(self) -> None:
        """Write the report for the grading process."""
        report = {"cells": self._cells, "events": self._events}
        with self._open(self._report_path, "w", encoding="utf-8") as out:
            out.write(self._dumps(report))


def install(report_path: str, protected: list[str]) -> Guard:
    """Create the guard; the grader calls this in the kernel before any other cell."""
    return Guard(report_path, protected)
