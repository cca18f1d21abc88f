"""The registry builds every configured check type and refuses unknown ones."""

from __future__ import annotations

import httpx
import pytest
from pydantic import TypeAdapter

import mapekd.monitor
from mapekd.config.checks import CheckConfig, HostCheckConfig
from mapekd.errors import ConfigError
from mapekd.monitor.registry import CHECK_TYPES, build_check, check_class
from mapekd.shared_http import SharedHttp

CONFIGS = {
    "host": {"type": "host", "name": "host"},
    "process": {"type": "process", "name": "web", "match_name": "nginx"},
    "systemd": {"type": "systemd", "name": "units", "units": ["web.service"]},
    "http": {"type": "http", "name": "health", "url": "http://127.0.0.1:8080/health"},
    "prometheus": {
        "type": "prometheus",
        "name": "app",
        "url": "http://127.0.0.1:9100/metrics",
        "metrics": [{"name": "up"}],
    },
    "promql": {
        "type": "promql",
        "name": "node",
        "url": "http://127.0.0.1:9090",
        "queries": [{"name": "up", "query": "up"}],
    },
    "alertmanager": {"type": "alertmanager", "name": "central"},
    "tcp": {"type": "tcp", "name": "smtp", "host": "127.0.0.1", "port": 25},
    "filesystem": {"type": "filesystem", "name": "disks"},
    "program": {"type": "program", "name": "probe", "argv": ["/bin/true"]},
    "directory": {"type": "directory", "name": "spool", "path": "/var/spool"},
    "network": {"type": "network", "name": "nics", "interfaces": ["lo"]},
    "file": {"type": "file", "name": "conf", "path": "/etc/hostname"},
    "fifo": {"type": "fifo", "name": "pipe", "path": "/run/initctl"},
}


@pytest.mark.parametrize("check_type", sorted(CONFIGS))
async def test_every_type_builds_its_class(check_type: str) -> None:
    config = TypeAdapter(CheckConfig).validate_python(CONFIGS[check_type])
    async with httpx.AsyncClient(trust_env=False) as client:
        check = build_check(config, http=SharedHttp(client))

    assert type(check) is check_class(check_type)
    assert f"{type(check).__module__}:{type(check).__name__}" == CHECK_TYPES[check_type]
    assert check.name == CONFIGS[check_type]["name"]


def test_the_registry_covers_every_configurable_type() -> None:
    assert set(CHECK_TYPES) == set(CONFIGS)


async def test_an_unknown_type_is_a_config_error() -> None:
    config = HostCheckConfig.model_construct(type="bogus", name="x")  # bypasses validation

    async with httpx.AsyncClient(trust_env=False) as client:
        with pytest.raises(ConfigError, match=r"unknown check type 'bogus' \(known: alertmanager, .*host, "):
            build_check(config, http=SharedHttp(client))


async def test_a_class_refuses_the_config_of_another_type() -> None:
    config = TypeAdapter(CheckConfig).validate_python(CONFIGS["host"])

    async with httpx.AsyncClient(trust_env=False) as client:
        with pytest.raises(ConfigError, match="expected a HttpCheckConfig"):
            check_class("http").from_config(config, http=SharedHttp(client))


def test_public_api() -> None:
    assert mapekd.monitor.__all__ == [
        "CHECK_TYPES",
        "Check",
        "Watcher",
        "build_check",
        "collect_safely",
    ]
