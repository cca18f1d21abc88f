"""The Check seam: `collect()` returns samples; a check may also be an event source (Watcher),
watch a process an action may restart (ProcessWatcher), find processes in the cycle's shared scan
(ProcessSource) or take alerts pushed to it (AlertInbox). Callers test for these Protocols, never
for a concrete check class.

`collect_safely` (one check) and `collect_all` (a cycle's) are where a check's failure becomes data:
whatever a check raises or however long it hangs, the cycle gets error samples back and goes on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from mapekd.config.checks import CheckBase
from mapekd.errors import CheckError, ConfigError
from mapekd.model import Sample

if TYPE_CHECKING:
    from mapekd.evidence.exits import ExitBook
    from mapekd.monitor.alert_model import Alert
    from mapekd.monitor.identity import ObservedProcess
    from mapekd.monitor.proctable import ProcessTable

COLLECT_GRACE_S = 0.5
"""Added to a check's timeout by `collect_safely`. Checks apply the same timeout to their own I/O,
so a slow target is reported by the check itself (e.g. an HTTP timeout as `ok: false`) before the
hard cap cancels the whole collection."""

_MAX_ERROR_CHARS = 300
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")

ConfigT = TypeVar("ConfigT", bound=CheckBase)


@runtime_checkable
class Check(Protocol):
    """One configured check. It may also carry `targets: tuple[str, ...]`, the targets it reports
    on, known in advance; `collect_safely` reports a failure on each of them."""

    name: str

    async def collect(self) -> list[Sample]: ...


@runtime_checkable
class Closeable(Protocol):
    """A check holding handles (pidfds, a followed file) released when it is discarded."""

    def close(self) -> None: ...


@runtime_checkable
class Watcher(Protocol):
    """A check that reports events between collections, e.g. the death of a watched process.

    `on_event(check_name)` is called from the event loop thread; it should only schedule work
    (e.g. an immediate collection of that check), never block.
    """

    def start_watching(self, on_event: Callable[[str], None]) -> None: ...

    def stop_watching(self) -> None: ...


@runtime_checkable
class ProcessWatcher(Watcher, Protocol):
    """A Watcher of one process, which an action may (re)start: its event is the death of the
    process, and right after an action the engine looks for the restarted one."""

    @property
    def watching(self) -> bool: ...

    @property
    def watched_since(self) -> float:
        """time.time() when the process watched now (or the one that just died) was first seen."""
        ...

    @property
    def last_alive(self) -> bool | None:
        """Was the process alive at the last observation (None: not observed yet)?"""
        ...

    async def await_restart(self, window: float) -> bool:
        """Look for a restarted process for up to `window` seconds; True when something changed."""
        ...

    def close(self) -> None:
        """Release the handles on the observed processes (the check is being discarded)."""
        ...


@runtime_checkable
class ProcessSource(Protocol):
    """A check that finds processes in a process-table scan; what it matched is all a `signal`
    action may touch."""

    def share_table(self, table: ProcessTable) -> None:
        """Use the cycle's shared scan instead of an own one."""
        ...

    def observed(self) -> list[ObservedProcess]:
        """Handles on the processes matched at the last collection; the caller closes them."""
        ...

    def share_exits(self, exits: ExitBook) -> None:
        """Tell `exits` of the deaths of the processes it watches."""
        ...


@runtime_checkable
class AlertInbox(Protocol):
    """A check that alerts are pushed into (the API's /api/v1/alerts)."""

    def receive(self, alerts: Iterable[Alert]) -> int:
        """Take the alerts this inbox matches; how many changed it."""
        ...

    def adopt(self, previous: object) -> None:
        """Keep what the check this one replaces (configuration reload) holds, if it is alike."""
        ...


@runtime_checkable
class TargetSampler(Protocol):
    """A check with many targets that can tell one target's state without collecting them all
    (a verification after an action needs only its own target)."""

    def sample_of(self, target: str) -> Sample | None: ...


def failure_targets(check: Check) -> tuple[str, ...]:
    """The targets a failed collection is reported on: the check's own, else `check:<name>`."""
    targets = getattr(check, "targets", None)
    if isinstance(targets, tuple) and targets and all(isinstance(t, str) for t in targets):
        return targets
    return (f"check:{check.name}",)


def describe_error(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """`<ExceptionType>: message`, shortened, with URL credentials and `secrets` masked.

    A CheckError's message was written by the check at its boundary and is used as it is.
    """
    text = str(exc) if isinstance(exc, CheckError) else f"{type(exc).__name__}: {exc}"
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 3] + "..."


# The timeout is a parameter on purpose: each check has its own, from its config.
async def collect_safely(check: Check, timeout: float) -> list[Sample]:
    """Collect with a hard deadline (`timeout` + COLLECT_GRACE_S); never raises an Exception."""
    return await collect_all({check.name: check}, {check.name: timeout})


async def collect_all(checks: Mapping[str, Check], timeouts: Mapping[str, float]) -> list[Sample]:
    """Every check at once, each bounded as by `collect_safely`, in the order of `checks`. One
    timer per distinct timeout rather than one per check: a cycle starts every check together,
    and a timer costs the loop about as much as a short check does. Never raises an Exception;
    cancelled, it cancels every collection still running."""
    loop = asyncio.get_running_loop()
    tasks = {name: loop.create_task(_collected(check)) for name, check in checks.items()}
    deadlines = [
        loop.call_later(
            limit + COLLECT_GRACE_S, _cancel, [t for n, t in tasks.items() if timeouts[n] == limit]
        )
        for limit in {timeouts[name] for name in tasks}
    ]
    try:
        if tasks:
            await asyncio.wait(tasks.values())
    finally:
        for deadline in deadlines:
            deadline.cancel()
        for task in tasks.values():
            task.cancel()  # a no-op for those done; the rest when this collection is cancelled
    samples: list[Sample] = []
    for name, task in tasks.items():
        samples.extend(
            _failed(checks[name], _too_long(timeouts[name])) if task.cancelled() else task.result()
        )
    return samples


async def _collected(check: Check) -> list[Sample]:
    try:
        return await check.collect()
    except Exception as exc:  # every failure of a check becomes an error sample (its own
        return _failed(check, describe_error(exc))  # TimeoutError too: not our deadline)


def _cancel(tasks: list[asyncio.Task[list[Sample]]]) -> None:
    for task in tasks:
        task.cancel()


def _too_long(timeout: float) -> str:
    return f"TimeoutError: collection took longer than {timeout:g}s"


def _failed(check: Check, error: str) -> list[Sample]:
    return [Sample.failed(check.name, target, error) for target in failure_targets(check)]


def require_config(config: CheckBase, expected: type[ConfigT]) -> ConfigT:
    """Narrow a check config to the model a check class is built from."""
    if not isinstance(config, expected):
        raise ConfigError(
            f"expected a {expected.__name__}, got {type(config).__name__}",
            path=f"checks.{config.name}",
        )
    return config
