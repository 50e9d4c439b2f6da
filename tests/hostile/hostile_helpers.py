"""What the hostile suites share: the one assertion that a call was refused with the fault (and reason) expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance.protocol.codes import FaultName, SignatureVerificationReason


def refused(reply, fault: FaultName, reason: SignatureVerificationReason | None = None):
    """The SOAP fault of `reply`, asserted to be `fault` (and `reason`, when given)."""
    assert reply.fault is not None, reply.body[:400]
    assert reply.fault.name is fault, (reply.fault.name, reply.fault.faultstring)
    if reason is not None:
        assert reply.fault.reason is reason, (reply.fault.reason, reply.fault.faultstring)
    return reply.fault


# -- peak memory of a fresh interpreter ------------------------------------------------------------------------------
#
# `ru_maxrss` (RUSAGE_SELF in the child as much as RUSAGE_CHILDREN in the parent) also remembers the address space the
# child was forked from: after a few thousand tests pytest itself holds ~450 MB, and every child "peaks" there.
# `VmHWM` belongs to the address space built at exec, so it is the child's own peak.

_PEAK_WRAPPER = (
    "import atexit, runpy, sys\n"
    "peak_file = sys.argv.pop(1)\n"
    "def _write_peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        kib = next(line.split()[1] for line in status if line.startswith('VmHWM:'))\n"
    "    with open(peak_file, 'w') as out:\n"
    "        out.write(kib)\n"
    "atexit.register(_write_peak)\n"
    "module = sys.argv.pop(1)\n"
    "sys.argv[0] = module\n"
    "runpy.run_module(module, run_name='__main__', alter_sys=True)\n"
)

PEAK_KIB_EXPR = "int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
"""A Python expression, for code run with `-c`: this interpreter's own peak resident memory in KiB."""


def run_module_measured(module: str, args: list[str], peak_file, **kwargs):
    """`python -m module args` in a fresh interpreter: (the completed process, its own peak RSS in KiB)."""
    done = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, str(peak_file), module, *args], **kwargs)
    return done, int(Path(peak_file).read_text())
