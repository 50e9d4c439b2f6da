"""What the negative CLI suites of both programs share (`tests/cli/test_cli_bad_input.py`,
`tests/sim/test_sim_bad_input.py`): running a command in process, and the one assertion that it was refused."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterable


def run_in_process(main: Callable[[list[str]], int], argv: list[str]) -> tuple[int, str, str]:
    """`main(argv)` in process: (exit code, stdout, stderr); argparse's SystemExit is an exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_refused_in_one_line(code: int, out: str, err: str, words: Iterable[str]) -> str:
    """Exit 2, nothing on stdout, one line on stderr holding every word, no traceback: the line."""
    lines = err.splitlines()
    assert "Traceback" not in err, err
    assert (code, out) == (2, ""), (code, out, err)
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
