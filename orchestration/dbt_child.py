"""``cskpi-dbt``: dbt's own command line, bound to the process that started it.

dagster-dbt runs dbt as a child process. If ``cskpi run`` (or a Dagster run worker) is killed
with SIGKILL, it cannot stop that child: dbt would go on writing the warehouse for a while
with the run's lock already released, and the next run would meet DuckDB's file lock
instead of a clear "locked" message. This entry point asks the Linux kernel to send the child
SIGTERM when its parent dies (``PR_SET_PDEATHSIG``) and puts it in its own process group (a
Ctrl-C reaches the run, which stops dbt itself), then runs dbt unchanged.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def bind_to_parent() -> None:
    """End this process with its parent (Linux); elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request took effect
        sys.exit(143)


def main() -> None:
    bind_to_parent()
    os.setpgid(0, 0)
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    sys.exit(cli())


if __name__ == "__main__":
    main()
