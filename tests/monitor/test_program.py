"""ProgramCheck running real programs (this Python): exit status, output, timeout, environment."""

from __future__ import annotations

import sys
from pathlib import Path

import psutil
import pytest
from pydantic import SecretStr, TypeAdapter, ValidationError

from mapekd.config.checks import CheckConfig
from mapekd.config.checks_monit import ProgramCheckConfig
from mapekd.config.loader import load_settings
from mapekd.errors import ConfigError
from mapekd.model import Sample
from mapekd.monitor.program import OUTPUT_FIELD_CHARS, ProgramCheck

from .conftest import wait_until

SECRET = "canary-71d2-program-secret"


def program(code: str, *args: str, **options: object) -> ProgramCheck:
    argv = [sys.executable, "-c", code, *args]
    return ProgramCheck(ProgramCheckConfig(name="probe", type="program", argv=argv, **options))


async def collect_one(check: ProgramCheck) -> Sample:
    [sample] = await check.collect()
    assert sample.target == "program:probe"
    return sample


async def test_exit_zero_is_ok_and_the_output_is_kept() -> None:
    sample = await collect_one(program("print('all good')"))

    assert sample.ok and sample.error is None
    assert sample.fields["exit_code"] == 0 and sample.fields["output"] == "all good\n"
    assert sample.fields["output_match"] is None and sample.fields["duration_ms"] > 0


async def test_an_unexpected_exit_status_fails_and_an_expected_one_passes() -> None:
    failing = await collect_one(program("import sys; sys.exit(3)"))
    expected = await collect_one(program("import sys; sys.exit(3)", expect_status=[1, 3]))

    assert not failing.ok and failing.fields["exit_code"] == 3 and failing.error is None
    assert expected.ok and expected.fields["exit_code"] == 3


async def test_the_output_regex_over_stdout_and_stderr() -> None:
    code = "import sys; print('queue depth 7'); print('WARN disk', file=sys.stderr)"

    matched = await collect_one(program(code, output_regex=r"WARN \w+"))
    unmatched = await collect_one(program(code, output_regex=r"^OK$"))

    assert matched.ok and matched.fields["output_match"] is True
    assert not unmatched.ok and unmatched.fields["output_match"] is False


async def test_a_program_past_its_timeout_is_killed_with_its_group() -> None:
    code = (
        "import os, subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print(os.getpid(), child.pid, flush=True); time.sleep(60)"
    )

    sample = await collect_one(program(code, timeout=1))

    assert not sample.ok and sample.error == "killed after 1s timeout"
    assert sample.fields["exit_code"] is None
    pid, grandchild = (int(p) for p in str(sample.fields["output"]).split())
    assert not psutil.pid_exists(pid)
    wait_until(lambda: not alive(grandchild))  # killed with the group; reaped by init


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


async def test_it_sees_a_minimal_environment_and_its_secrets_are_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAPEKD_LLM__API_KEY", "daemon-secret")
    code = "import os; print(','.join(sorted(os.environ))); print(os.environ['TOKEN'])"

    sample = await collect_one(program(code, env={"TOKEN": SecretStr(SECRET)}))

    assert sample.fields["output"] == "LANG,PATH,TOKEN\n***\n"
    assert sample.ok


async def test_no_shell_interprets_the_arguments(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    code = "import sys; print(sys.argv[1])"

    sample = await collect_one(program(code, f"$(touch {marker}); echo injected"))

    assert sample.fields["output"] == f"$(touch {marker}); echo injected\n"
    assert not marker.exists()


async def test_a_program_that_cannot_start() -> None:
    check = ProgramCheck(ProgramCheckConfig(name="probe", type="program", argv=["/nonexistent/probe"]))

    sample = await collect_one(check)

    assert not sample.ok and sample.fields["exit_code"] is None
    assert sample.error is not None and sample.error.startswith("cannot start /nonexistent/probe")


async def test_a_flood_of_output_is_read_with_a_cap() -> None:
    code = "import sys; sys.stdout.write('x' * 20_000_000 + '\\nEND\\n')"

    sample = await collect_one(program(code, output_regex="END", timeout=30))

    assert sample.ok and sample.fields["output_match"] is True
    assert len(str(sample.fields["output"])) <= OUTPUT_FIELD_CHARS


def test_argv0_must_be_an_absolute_path() -> None:
    with pytest.raises(ValidationError, match=r"argv\n.*absolute path"):
        TypeAdapter(CheckConfig).validate_python({"type": "program", "name": "p", "argv": ["true"]})


def test_a_program_check_is_never_a_remedy(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "checks:\n  - {name: probe, type: program, argv: [/bin/true]}\n"
        "rules:\n  - {name: failing, check: probe, when: 'ok == false', remedies: [probe]}\n"
    )

    with pytest.raises(ConfigError, match=r"rules\[0\]\.remedies.*unknown action 'probe'"):
        load_settings(config)
