"""The tripwire the grader installs in the kernel before any student code runs.

After the instructor's Setup cell it records what the checks rely on; after
each graded cell it reports what changed since:

- replaced or monkeypatched check functions, anything in ``course``, or the
  NumPy / TensorFlow / Keras functions the checks compare against;
- swapped modules in ``sys.modules``, rebound names the Setup cell bound;
- changed IPython transformers, exception handlers or the cell runner;
- reads of the instructor's files (refused), process starts and signals to
  other processes (refused, and noted).

Each report is one printed line signed with a key that only this module's
closures hold (read from a file that is deleted before student code runs), so
student code can neither rewrite a report after the fact nor forge one by
replacing the guard. The guard is a tripwire: the static screen of answer
cells and the sandbox around the kernel are the other two walls.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import types

MARK = "course-guard"
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
SIGNAL_EVENTS = ("os.kill", "os.killpg")
FILE_EVENTS = ("open", "os.listdir", "os.scandir", "glob.glob", "os.chdir", "shutil.copyfile")


def sign(key: bytes, payload: str) -> str:
    """The report's signature: HMAC-SHA256 of the payload, hex."""
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def is_process_memory(path) -> bool:
    """``/proc/<pid>/mem`` (or ``/proc/self/mem``): writing there rewrites a running process."""
    parts = os.fsdecode(path).split("/")
    return len(parts) == 4 and parts[:2] == ["", "proc"] and parts[3] == "mem"


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


def _watched_modules() -> dict[str, types.ModuleType]:
    """The modules whose attributes the checks rely on, by dotted path."""
    modules = {path: _resolve(path) for path in WATCHED_MODULES}
    modules.update({n: m for n, m in sys.modules.items()
                    if n == WATCHED_PREFIX or n.startswith(WATCHED_PREFIX + ".")})
    return {n: m for n, m in modules.items() if isinstance(m, types.ModuleType)}


def install(key_file: str, protected: list[str], private: str = ""):
    """Start the tripwire; the grader calls this in the kernel before any other cell.

    Args:
        key_file: a file holding the signing key; it is read and deleted.
        protected: folders whose files the notebook may not read.
        private: the run's own folder, always readable (even inside a protected folder).

    Returns:
        ``guard(command, *args)``: ``guard("snapshot", globals(), setup_names)``
        after the Setup cell, ``guard("verify", grade_id)`` after each graded cell.
    """
    with open(key_file, "rb") as handle:
        key = handle.read()
    os.unlink(key_file)
    protected_roots = tuple(os.path.realpath(p) for p in protected)
    own = os.path.realpath(private) if private else None
    real_print, dumps, getpid = print, json.dumps, os.getpid
    state = {"armed": False, "tampering": [], "notes": [], "reports": 0}
    baseline: dict = {}

    def is_protected(path) -> bool:
        try:
            real = os.path.realpath(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else ""
        except (TypeError, ValueError):
            return False
        if own and (real == own or real.startswith(own + os.sep)):
            return False
        return any(real == p or real.startswith(p + os.sep) for p in protected_roots)

    def mentions_protected(args) -> bool:
        words = args if isinstance(args, (list, tuple)) else [args]
        return any(root in os.fsdecode(w) for w in words if isinstance(w, (str, bytes))
                   for root in protected_roots)

    def audit(event: str, args: tuple) -> None:
        if not state["armed"]:
            return
        if event.startswith(SPAWN_EVENTS):
            if any(mentions_protected(a) for a in args):
                state["tampering"].append(f"tried to read the instructor's files through a process ({event})")
            else:
                state["notes"].append(f"started a process ({event}); refused while grading")
            raise PermissionError("the grader does not run other processes")
        if event in SIGNAL_EVENTS and args and args[0] not in (0, getpid()):
            state["notes"].append(f"sent a signal to process {args[0]} ({event}); refused while grading")
            raise PermissionError("the grader does not allow signalling other processes")
        if event == "open" and args and isinstance(args[0], (str, bytes)) and is_process_memory(args[0]):
            state["tampering"].append(f"opened a process's memory ({os.fsdecode(args[0])})")
            raise PermissionError("the grader does not allow opening process memory")
        if event in FILE_EVENTS and args and is_protected(args[0]):
            state["tampering"].append(f"tried to read the instructor's files ({os.fsdecode(args[0])})")
            raise PermissionError("the grader does not allow reading the instructor's files")

    def snapshot(namespace: dict, setup_names: list[str]) -> None:
        modules = _watched_modules()
        baseline.update(
            namespace=namespace,
            modules={n: (id(m), id(sys.modules.get(n))) for n, m in modules.items()},
            prints={n: _fingerprint(m) for n, m in modules.items()},
            names={n: id(namespace[n]) for n in setup_names if n in namespace},
            hooks=_shell_hooks(),
        )
        state["armed"] = True

    def changes() -> list[str]:
        if not baseline:
            return ["the Setup cell's snapshot never ran"]
        found = [f"rebound `{n}`" for n, i in baseline["names"].items()
                 if id(baseline["namespace"].get(n)) != i]
        hooks = _shell_hooks()
        found += [f"changed IPython's {what}" for what, value in baseline["hooks"].items()
                  if hooks.get(what) != value]
        for name, (ident, registered) in baseline["modules"].items():
            module = sys.modules.get(name) if name.startswith(WATCHED_PREFIX) else _resolve(name)
            if id(module) != ident or id(sys.modules.get(name)) != registered:
                found.append(f"replaced the module {name}")
                continue
            current = _fingerprint(module)
            found += [f"patched {name}.{attr}" for attr, value in baseline["prints"][name].items()
                      if current.get(attr) != value]
        return found

    def verify(grade_id: str) -> None:
        state["reports"] += 1
        payload = dumps({"cell": grade_id, "seq": state["reports"], "tampering": changes() + state["tampering"],
                         "notes": state["notes"]})
        real_print(f"{MARK} {payload} {sign(key, payload)}")

    def guard(command: str, *args) -> None:
        {"snapshot": snapshot, "verify": verify}[command](*args)

    sys.addaudithook(audit)
    return guard
