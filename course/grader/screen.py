"""Screens of a student's answer-cell source, run before any of it executes.

Two pure functions over the text of one answer cell (no kernel, no TensorFlow):

* :func:`neutralize_shell` turns Colab habits (``!pip install``, ``%matplotlib``,
  ``%%bash``...) into Python that runs nothing outside the cell and prints one
  line naming what was skipped; ``%time``, ``%timeit``, ``%%time``,
  ``%%timeit`` and ``%%capture`` keep their code, which runs once as plain code.
* :func:`screen` is a static screen, with Python's ``ast``, for constructs a lab
  answer never needs and every known way around the grader uses: reaching into
  interpreter internals (``gc``, ``ctypes``, ``sys.modules``, frames, function
  globals), hooking IPython, running code built at run time (``exec``), and
  replacing functions of the modules the checks rely on (``np.allclose = ...``).
  The checks of a flagged cell are graded ``tampered``, naming the construct and
  its line, so that a person can read the cell and overturn the verdict.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

# --- neutralize_shell -------------------------------------------------------

IPYTHON_METHODS = {"system": 1, "getoutput": 1, "run_line_magic": 2, "run_cell_magic": 3}  # -> arguments
SHELL_METHODS = {"system", "getoutput"}
TIMING_LINE_MAGICS = {"time", "timeit"}
PLAIN_BODY_CELL_MAGICS = {"time", "timeit", "capture"}
SKIP_REASON = "shell commands and magics do not run while grading"


def neutralize_shell(source: str) -> tuple[str, list[str]]:
    """Rewrite a cell so that its shell commands and magics do not run.

    Shell commands (``!cmd``, ``x = !cmd``) and magics become a ``print`` of one
    line saying what was skipped (the expression's value is None). ``%time X``
    and ``%timeit X`` become X; the bodies of ``%%time``, ``%%timeit`` and
    ``%%capture`` cells run as plain code. The rest of the cell is unchanged.

    Args:
        source: the cell's source, as the student wrote it.

    Returns:
        ``(python, notes)``: the source to run and, in order, each skipped item
        in readable form (``"!pip install numpy"``, ``"%matplotlib inline"``).
        A cell with nothing to rewrite, or one that is not valid Python even
        after IPython's transforms, comes back unchanged with no notes.
    """
    python = TransformerManager().transform_cell(source)
    if "get_ipython" not in python:
        return source, []
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return source, []
    rewriter = _ShellRewriter()
    tree = rewriter.visit(tree)
    if not rewriter.rewrites:
        return source, []
    return ast.unparse(tree), rewriter.notes


def _ipython_call(node: ast.AST) -> tuple[str, list[str]] | None:
    """``(method, string arguments)`` of a literal ``get_ipython().<method>("...", ...)``."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "get_ipython"
        and not node.func.value.args
        and not node.keywords
    ):
        return None
    method, args = node.func.attr, node.args
    if len(args) != IPYTHON_METHODS.get(method):
        return None
    if not all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in args):
        return None
    return method, [arg.value for arg in args]


def _readable(method: str, args: list[str]) -> str:
    """What the student typed: ``!cmd``, ``%name line`` or ``%%name line``."""
    if method in SHELL_METHODS:
        text = f"!{args[0]}"
    else:
        prefix = "%" if method == "run_line_magic" else "%%"
        text = f"{prefix}{args[0]} {args[1]}"
    return " ".join(text.split())  # one line, whatever the call held


class _ShellRewriter(ast.NodeTransformer):
    """Replaces the ``get_ipython()`` calls IPython's transforms produce."""

    def __init__(self):
        self.notes: list[str] = []
        self.rewrites = 0

    def visit_Expr(self, node: ast.Expr):
        """A magic used as a statement may stand for several statements."""
        call = _ipython_call(node.value)
        if call is None:
            return self.generic_visit(node)
        method, args = call
        code = self._code_to_run(method, args)
        body = self._neutralized(code, "exec") if code is not None else None
        if body is None:
            return ast.Expr(self._skip(method, args))
        self.rewrites += 1
        return body.body or [ast.Pass()]

    def visit_Call(self, node: ast.Call):
        """A magic inside an expression (``t = %time f(x)``, ``files = !ls``)."""
        call = _ipython_call(node)
        if call is None:
            return self.generic_visit(node)
        method, args = call
        code = self._code_to_run(method, args) if method == "run_line_magic" else None
        expression = self._neutralized(code, "eval") if code is not None else None
        if expression is None:
            return self._skip(method, args)
        self.rewrites += 1
        return expression.body

    @staticmethod
    def _code_to_run(method: str, args: list[str]) -> str | None:
        """The code a timing or capturing magic runs, or None for one to skip."""
        if method == "run_line_magic" and args[0] in TIMING_LINE_MAGICS:
            return None if args[1].lstrip().startswith("-") else args[1]  # timeit options: skip
        if method == "run_cell_magic" and args[0] in PLAIN_BODY_CELL_MAGICS:
            return args[2]
        return None

    def _neutralized(self, code: str, mode: str):
        """``code`` parsed in ``mode`` with its own magics rewritten, or None if it does not parse."""
        try:
            tree = ast.parse(TransformerManager().transform_cell(code), mode=mode)
        except (SyntaxError, ValueError):
            return None
        return self.visit(tree)

    def _skip(self, method: str, args: list[str]) -> ast.Call:
        """``print("grader: skipped `...` (...)")``, noting what was skipped."""
        skipped = _readable(method, args)
        self.notes.append(skipped)
        self.rewrites += 1
        message = f"grader: skipped `{skipped}` ({SKIP_REASON})"
        return ast.Call(ast.Name("print", ast.Load()), [ast.Constant(message)], [])


# --- screen -----------------------------------------------------------------

FLAGGED_MODULES = {
    "gc", "ctypes", "cffi", "inspect", "importlib", "builtins", "marshal",
    "code", "codeop", "signal", "pty", "mmap", "resource",
}
GRADER_PACKAGE = "course.grader"
SYS_ATTRIBUTES = {
    "modules", "settrace", "setprofile", "addaudithook", "meta_path", "path_hooks",
    "path_importer_cache", "_getframe", "_current_frames", "monitoring",
}
TYPES_ATTRIBUTES = {"FunctionType", "CodeType"}
IPYTHON_HOOKS = {
    "events", "input_transformers_cleanup", "input_transformers_post", "ast_transformers",
    "set_custom_exc", "set_hook", "register_magics", "register_magic_function", "CustomTB",
    "custom_exceptions", "showtraceback", "_showtraceback", "run_cell", "run_cell_async",
    "run_ast_nodes", "run_code", "displayhook", "display_pub", "user_ns", "user_global_ns",
    "ex", "ev", "run_line_magic", "run_cell_magic", "system", "getoutput",
}
# Names honest code also uses (a Dense layer's ``kernel``): flagged on an IPython shell only.
IPYTHON_SHELL_ONLY = {"kernel", "push"}
DYNAMIC_CODE = {"exec", "eval", "compile", "__import__", "breakpoint"}
REACH_IN_ATTRIBUTES = {
    "__globals__", "__code__", "__closure__", "__subclasses__", "__builtins__", "__dict__",
    "__bases__", "__base__", "__mro__", "__self__", "__func__", "__defaults__",
    "__kwdefaults__", "__getattribute__", "__loader__", "__spec__", "__import__",
    "f_globals", "f_locals", "f_back", "f_builtins", "gi_frame", "cr_frame", "tb_frame", "co_code",
}
REACH_IN_NAMES = {"__builtins__", "__loader__", "__spec__"}
CLASS_DUNDERS_ALLOWED = {"__name__", "__qualname__", "__module__", "__doc__"}
SETUP_NAMES = {
    "np", "numpy", "tf", "tensorflow", "keras", "layers", "ops", "checks", "course",
    "plt", "matplotlib", "math", "random", "os", "sys", "builtins",
}
# Rebinding these at top level is flagged; the others (``layers = [...]``, ``random = ...``) are
# ordinary variable names in student code.
REBINDING_FLAGGED = {"checks", "course", "np", "numpy", "tf", "tensorflow", "keras"}
ATTRIBUTE_SETTERS = {"setattr", "delattr", "__setattr__", "__delattr__"}
NAMESPACES = {"globals", "locals", "vars"}
NAMESPACE_WRITERS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}
FLAGGED_ATTRIBUTE_STRINGS = SYS_ATTRIBUTES | TYPES_ATTRIBUTES | IPYTHON_HOOKS | DYNAMIC_CODE | REACH_IN_ATTRIBUTES


@dataclass(frozen=True)
class Finding:
    """One flagged construct of a cell.

    Attributes:
        construct: what was found, e.g. "imports `gc`" or "assigns `np.allclose`".
        line: its line in the screened source (1-based).
    """

    construct: str
    line: int

    def __str__(self) -> str:
        return f"{self.construct} (line {self.line})"


def screen(source: str) -> list[Finding]:
    """Statically screen an answer cell for constructs that get around the grader.

    Args:
        source: the cell's Python source (after :func:`neutralize_shell`).

    Returns:
        The findings in source order, one per construct and line; empty for
        source that does not parse (running it reports the SyntaxError).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    screener = _Screener(tree)
    screener.visit(tree)
    found = sorted(screener.hits, key=lambda hit: hit[:2])
    return list(dict.fromkeys(Finding(construct, line) for line, _, construct in found))


def _import_bindings(tree: ast.AST) -> dict[str, str]:
    """Each name an import of the cell binds, mapped to the module path it stands for."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    bound[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _root_name(node: ast.AST) -> str | None:
    """The name an expression like ``a.b[0].c``, ``a.f().b`` or ``getattr(a, "b").c`` starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(node, ast.Call):
            is_getattr = isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args
            node = node.args[0] if is_getattr else node.func
        else:
            node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _plain_reference(node: ast.AST) -> bool:
    """``a``, ``a.b.c`` or ``getattr(a, "b")``: an expression that names an object, calling nothing else."""
    while isinstance(node, (ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args):
                return False
            node = node.args[0]
        else:
            node = node.value
    return isinstance(node, ast.Name)


def _is_flagged_module(module: str) -> bool:
    """Whether importing ``module`` (a dotted path) is flagged."""
    return module.split(".")[0] in FLAGGED_MODULES or (module + ".").startswith(GRADER_PACKAGE + ".")


def _is_namespace_call(node: ast.AST) -> bool:
    """``globals()``, ``locals()`` or ``vars(...)``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMESPACES


class _Screener(ast.NodeVisitor):
    """Collects ``(line, column, construct)`` for every flagged construct."""

    def __init__(self, tree: ast.AST):
        self.hits: list[tuple[int, int, str]] = []
        self.imports = _import_bindings(tree)
        self.shells: set[str] = set()  # names bound to get_ipython() in the cell
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.NamedExpr)) and self._is_shell(node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                self.shells.update(target.id for target in targets if isinstance(target, ast.Name))
        self.scopes: list[set[str]] = []  # names declared global, per enclosing function or class
        self.aliases: set[str] = set()  # names bound to a module (``x = np``, ``for m in [np]``)
        for _ in range(2):  # twice: an alias of an alias
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and self._names_a_module(node.value):
                    self.aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
                elif (isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name)
                      and isinstance(node.iter, (ast.List, ast.Tuple, ast.Set))
                      and any(self._names_a_module(e) for e in node.iter.elts)):
                    self.aliases.add(node.target.id)

    def flag(self, node: ast.AST, construct: str):
        self.hits.append((node.lineno, node.col_offset, construct))

    # what an expression stands for

    def _module_of(self, node: ast.AST) -> str | None:
        """The dotted module path of ``sys`` or ``np.random`` (imports resolved), else None."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self._module_of(node.value)
            return base and f"{base}.{node.attr}"
        return None

    def _is_module_root(self, node: ast.AST) -> bool:
        """Whether the expression starts from an import of the cell or a setup name (``np``)."""
        root = _root_name(node)
        return root is not None and (root in self.imports or root in SETUP_NAMES or root in self.aliases)

    def _names_a_module(self, node: ast.AST) -> bool:
        """Whether the expression is a plain reference into an import, a setup name or an alias."""
        return _plain_reference(node) and self._is_module_root(node)

    def _is_shell(self, node: ast.AST) -> bool:
        """``get_ipython()`` (however imported), or a name bound to it."""
        if isinstance(node, ast.NamedExpr):
            node = node.value
        if isinstance(node, ast.Name):
            return node.id in self.shells
        if not isinstance(node, ast.Call):
            return False
        called = self._module_of(node.func) or ""
        return called.split(".")[-1] == "get_ipython"

    def _at_top_level(self, name: str) -> bool:
        return not self.scopes or name in self.scopes[-1]

    # imports

    def visit_Import(self, node: ast.Import):
        for alias in node.names:
            if _is_flagged_module(alias.name):
                self.flag(node, f"imports `{alias.name}`")

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if not node.module or node.level:
            return
        if _is_flagged_module(node.module):
            self.flag(node, f"imports `{node.module}`")
        for alias in node.names:
            if _is_flagged_module(f"{node.module}.{alias.name}") and not _is_flagged_module(node.module):
                self.flag(node, f"imports `{node.module}.{alias.name}`")
            if (node.module == "sys" and alias.name in SYS_ATTRIBUTES
                    or node.module == "types" and alias.name in TYPES_ATTRIBUTES):
                self.flag(node, f"uses `{node.module}.{alias.name}`")

    # names and attributes

    def visit_Name(self, node: ast.Name):
        if node.id in REACH_IN_NAMES:
            self.flag(node, f"uses `{node.id}`")
        elif node.id in DYNAMIC_CODE and isinstance(node.ctx, ast.Load):
            self.flag(node, f"uses `{node.id}`")
        elif node.id in REBINDING_FLAGGED and not isinstance(node.ctx, ast.Load) and self._at_top_level(node.id):
            verb = "deletes" if isinstance(node.ctx, ast.Del) else "rebinds"
            self.flag(node, f"{verb} `{node.id}`")

    def visit_Attribute(self, node: ast.Attribute):
        module = self._module_of(node.value)
        name = node.attr
        if not isinstance(node.ctx, ast.Load) and self._is_module_root(node):
            verb = "deletes" if isinstance(node.ctx, ast.Del) else "assigns"
            self.flag(node, f"{verb} `{ast.unparse(node)}`")
        if module == "sys" and name in SYS_ATTRIBUTES:
            self.flag(node, f"uses `sys.{name}`")
        elif module == "types" and name in TYPES_ATTRIBUTES:
            self.flag(node, f"uses `types.{name}`")
        elif module == "builtins" and name in DYNAMIC_CODE:
            self.flag(node, f"uses `builtins.{name}`")
        elif name in REACH_IN_ATTRIBUTES:
            self.flag(node, f"uses `{name}`")
        elif (
            name.startswith("__") and name not in CLASS_DUNDERS_ALLOWED
            and isinstance(node.value, ast.Attribute) and node.value.attr == "__class__"
        ):
            self.flag(node, f"uses `__class__.{name}`")
        elif name in IPYTHON_HOOKS or (name in IPYTHON_SHELL_ONLY and self._is_shell(node.value)):
            on_module = module is not None and self._is_module_root(node)  # os.system, sys.displayhook
            self.flag(node, f"uses `{module}.{name}`" if on_module else f"uses IPython's `{name}`")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript):
        if not isinstance(node.ctx, ast.Load) and _is_namespace_call(node.value):
            self.flag(node, f"writes into `{ast.unparse(node.value)}`")
        self.generic_visit(node)

    # calls

    def visit_Call(self, node: ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in DYNAMIC_CODE:
            self.flag(node, f"calls `{func.id}`")
            for child in [*node.args, *node.keywords]:
                self.visit(child)
            return
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if called in ATTRIBUTE_SETTERS:
            targets = node.args[:1] + ([func.value] if isinstance(func, ast.Attribute) else [])
            for target in targets:
                if self._is_module_root(target):
                    self.flag(node, f"calls `{called}` on `{ast.unparse(target)}`")
        if called in {"getattr", "setattr", "delattr"} and len(node.args) >= 2:
            attribute = node.args[1]
            if isinstance(attribute, ast.Constant) and attribute.value in FLAGGED_ATTRIBUTE_STRINGS:
                self.flag(node, f"calls `{called}` for `{attribute.value}`")
        if isinstance(func, ast.Attribute) and func.attr in NAMESPACE_WRITERS and _is_namespace_call(func.value):
            self.flag(node, f"writes into `{ast.unparse(func.value)}`")
        self.generic_visit(node)

    # scopes: a top-level rebinding is one at module level or of a name declared global

    def visit_Global(self, node: ast.Global):
        if self.scopes:
            self.scopes[-1].update(node.names)

    def _visit_scope(self, node: ast.AST):
        self.scopes.append(set())
        self.generic_visit(node)
        self.scopes.pop()

    def _visit_definition(self, node: ast.AST):
        if node.name in REBINDING_FLAGGED and self._at_top_level(node.name):
            self.flag(node, f"rebinds `{node.name}`")
        self._visit_scope(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_definition
    visit_Lambda = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_scope
