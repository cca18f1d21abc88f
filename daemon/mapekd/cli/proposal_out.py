"""Where a proposal goes (`discover`, `import-monit`): stdout, or a file never overwritten
without --force; and how it compares with the current configuration (--diff)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from mapekd.config.settings import Settings
from mapekd.config.yaml_source import parse_yaml
from mapekd.discover.diff import compare
from mapekd.discover.yamlout import Proposal
from mapekd.errors import ConfigError, MapekdError


def checked_text(proposal: Proposal) -> str:
    """The proposal's text, validated as `check-config` would (a proposal that does not load is a
    bug of ours, never a file to hand over)."""
    text = proposal.text()
    data, _ = parse_yaml(text)
    try:
        Settings.model_validate(data or {})
    except (ConfigError, ValueError) as exc:
        raise MapekdError(f"the proposal does not validate (please report it): {exc}") from exc
    return text


def write_proposal(proposal: Proposal, output: str, *, force: bool) -> None:
    path = Path(output)
    text = checked_text(proposal)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if it exists, with no window for a race
    except FileExistsError:
        raise MapekdError(f"{output} exists: --force to overwrite it") from None
    except OSError as exc:
        raise MapekdError(f"cannot write {output}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def compare_with_config(proposal: Proposal, config: str | None) -> list[str]:
    if config is None:
        raise ConfigError("--diff compares with a configuration: name it", path="--config")
    try:
        text = Path(config).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {config}: {exc.strerror}", path="--config") from exc
    current, _ = parse_yaml(text)
    lines = compare(current if isinstance(current, dict) else {}, proposal.data())
    return lines or [f"no difference: every proposed item is in {config} as proposed"]


def add_output_options(cmd: argparse.ArgumentParser, what: str) -> None:
    cmd.add_argument("-o", "--output", metavar="FILE", help=f"write the {what} there (default: stdout)")
    cmd.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    cmd.add_argument(
        "--diff", action="store_true", help=f"compare the {what} with the configuration (--config)"
    )


def hand_over(proposal: Proposal, args: argparse.Namespace) -> int:
    """The comparison (--diff), and the proposal to FILE (-o) or, without either, to stdout."""
    if args.diff:
        print("\n".join(compare_with_config(proposal, args.config)))
    if args.output:
        write_proposal(proposal, args.output, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    elif not args.diff:
        sys.stdout.write(checked_text(proposal))
    return 0
