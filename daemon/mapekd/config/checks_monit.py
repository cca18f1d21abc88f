"""Configuration of the check types Monit users know: tcp, filesystem, program, directory, network
and file (one model each, in the `type` union of config.checks)."""

from __future__ import annotations

import os
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, field_validator

from mapekd.config.check_base import CheckBase

AbsolutePath = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^/")]
"""A path the daemon reads: absolute, so that its meaning does not depend on the working directory."""


def _not_a_path_step(name: str) -> str:
    if name in (".", ".."):
        raise ValueError("not an interface name")
    return name


InterfaceName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,15}$"), AfterValidator(_not_a_path_step)
]
"""A network interface as the kernel names it (at most 15 characters, never `/`, `.` or `..`)."""

MAX_READ_CAP = 1024 * 1024


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return value


Regex = Annotated[str, AfterValidator(_compiles)]
"""A regular expression (Python's syntax), checked when the configuration is read."""


class TcpCheckConfig(CheckBase):
    """A TCP port: connect, optionally speak TLS, send a request and expect an answer."""

    type: Literal["tcp"]
    host: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    port: int = Field(ge=1, le=65535)
    send: str | None = None
    """Sent once connected (and after the TLS handshake), encoded as UTF-8."""
    expect: Regex | None = None
    """A regex the answer must match (its first `max_read` bytes, read as Latin-1)."""
    max_read: int = Field(default=4096, gt=0, le=MAX_READ_CAP)
    tls: bool = False
    server_name: str | None = None
    """The name the certificate must be valid for (and the SNI sent); default `host`."""
    ca_file: AbsolutePath | None = None
    """Trust the CA certificates in this PEM file instead of the system's."""
    cert_min_days: int | None = Field(default=None, ge=0)
    """With tls: ok is false once the certificate expires in fewer days than this."""


class FilesystemCheckConfig(CheckBase):
    """Space and inodes of mounted filesystems, a read-only remount and changed mount flags."""

    type: Literal["filesystem"]
    mounts: list[AbsolutePath] | None = Field(default=None, max_length=256)
    """Mount points to watch; default: every real (non-virtual) partition."""


class ProgramCheckConfig(CheckBase):
    """A program run on every collection (no shell), judged by its exit status and output."""

    type: Literal["program"]
    argv: list[str] = Field(min_length=1, max_length=256)
    """argv[0] is an absolute path: PATH is never searched."""
    expect_status: list[int] = Field(default_factory=lambda: [0], min_length=1)
    output_regex: Regex | None = None
    """A regex its output (stdout and stderr, the last 2000 characters) must match."""
    env: dict[str, SecretStr] = Field(default_factory=dict)
    """Added to the minimal environment (PATH of the system directories, LANG). Values are secrets."""
    cwd: AbsolutePath | None = None

    @field_validator("argv")
    @classmethod
    def _absolute_program(cls, argv: list[str]) -> list[str]:
        if not os.path.isabs(argv[0]):
            raise ValueError("argv[0] must be an absolute path (PATH is never searched)")
        return argv


class DirectoryCheckConfig(CheckBase):
    """A directory: exists, its mtime, the number of its entries and their total size."""

    type: Literal["directory"]
    path: AbsolutePath
    recursive: bool = False
    """Count and size the entries of subdirectories too (symlinks are never followed)."""
    max_entries: int = Field(default=10_000, gt=0, le=1_000_000)
    """The scan stops after this many entries (the sample says `truncated`)."""


class NetworkCheckConfig(CheckBase):
    """Network interfaces: link state, error and drop rates, throughput."""

    type: Literal["network"]
    interfaces: list[InterfaceName] = Field(min_length=1, max_length=64)


class FileCheckConfig(CheckBase):
    """A file: exists, size, mtime, checksum, permissions, and a regex over its new lines."""

    type: Literal["file"]
    path: AbsolutePath
    checksum: bool = False
    """Report the sha256 of the content (and whether it changed since the last collection)."""
    max_checksum_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    """A larger file is not hashed: its sample says why (error)."""
    content_regex: Regex | None = None
    """Matched against each line appended since the last collection (log watching)."""
    max_read_bytes: int = Field(default=MAX_READ_CAP, gt=0, le=16 * MAX_READ_CAP)
    """At most this much of what was appended is read per collection; the rest at the next one."""


class FifoCheckConfig(CheckBase):
    """A named pipe: exists, is a FIFO, its mtime (the last write) and permissions."""

    type: Literal["fifo"]
    path: AbsolutePath
