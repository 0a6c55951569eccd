"""Checks for the labs: one module per lab, sharing :mod:`course.checks.core`.

Importing this package inside IPython also makes a ``NameError`` (a check cell
run before its answer cell) show as one line instead of a traceback.
"""

from course.checks.core import CheckFailed, NotAttempted

__all__ = ["CheckFailed", "NotAttempted"]


def _show_name_error_as_one_line() -> None:
    """In IPython, render ``NameError`` as one actionable line."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to change
        return
    shell = get_ipython()
    if shell is None:
        return

    def one_line(shell, etype, value, _tb, tb_offset=None):
        # IPython ignores what a custom handler returns: display the error here.
        shell._showtraceback(etype, value, [f"✘ {value}: run the cell that defines it (above) first."])

    shell.set_custom_exc((NameError,), one_line)


_show_name_error_as_one_line()
