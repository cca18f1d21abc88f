"""A daemon started with CAP_KILL in its ambient set (the signal-other-users drop-in) keeps it,
and what it runs gets none: checked on real processes started through setpriv."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import subprocess, sys
from mapekd.service.capabilities import clear_ambient
def caps(status):
    return {k: int(v, 16) for k, v in (l.split(':') for l in status.splitlines() if l.startswith('Cap'))}
before = caps(subprocess.run(['cat', '/proc/self/status'], capture_output=True, text=True).stdout)
assert clear_ambient()
own = caps(open('/proc/self/status').read())
child = caps(subprocess.run(['cat', '/proc/self/status'], capture_output=True, text=True).stdout)
print(before['CapAmb'], own['CapEff'] & (1 << 5), child['CapAmb'])
"""


def test_children_inherit_no_ambient_capability_and_the_daemon_keeps_cap_kill() -> None:
    out = subprocess.run(
        ["setpriv", "--inh-caps", "+kill", "--ambient-caps", "+kill", sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, own_kill, child = (int(x) for x in out)
    assert before == 1 << 5, "the test did not start with CAP_KILL ambient"
    assert own_kill, "the daemon lost CAP_KILL"
    assert child == 0, "a child inherited an ambient capability"
