"""`mapekd import-monit` on Debian's shipped examples and on stanzas of Monit's manual: what has a
counterpart is translated (checks, rules, remedies, the restart limit, mail), every stanza that
is not is kept as a comment, and `check-config` accepts the output as written."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mapekd.config.checks import CheckBase
from mapekd.config.settings import Settings
from mapekd.discover.services import identifier
from mapekd.monitor.registry import CHECK_TYPES
from tests.cli.conftest import Run
from tests.cli.monit_examples import DEBIAN, MANUAL, TEMPLATES

NGINX_UNIT = {"units": ["nginx.service"], "any_target": True}


def monitrc(tmp_path: Path, text: str) -> Path:
    """The text as a monitrc, its includes of Debian's templates pointing at copies in tmp_path."""
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    for name, body in TEMPLATES.items():
        (templates / name).write_text(body)
    path = tmp_path / "monitrc"
    path.write_text(text.replace("/etc/monit/templates/", f"{templates}/"))
    return path


def imported(run: Run, tmp_path: Path, text: str) -> tuple[str, dict[str, Any]]:
    out = tmp_path / "mapekd.yaml"
    code, _, err = run("import-monit", str(monitrc(tmp_path, text)), "-o", str(out))
    assert code == 0, err
    code, said, err = run("check-config", "-c", str(out))
    assert code == 0 and said.startswith("ok: "), err
    text_out = out.read_text()
    return text_out, yaml.safe_load(text_out)


def named(data: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    return next(i for i in data.get(section, []) if i["name"] == name)


@pytest.mark.parametrize("example", sorted(DEBIAN))
def test_every_debian_example_is_accepted_and_every_stanza_accounted_for(
    run: Run, tmp_path: Path, example: str
) -> None:
    text, data = imported(run, tmp_path, "set daemon 120\n" + DEBIAN[example])
    heads = re.findall(r"^\s*check (\w+) (\S+)", DEBIAN[example], flags=re.M)
    for kind, name in heads:
        assert re.search(rf"^  # monit \(.*\): check {kind} {re.escape(name)}\b", text, flags=re.M)
        if kind in ("file", "directory") and kind in CHECK_TYPES:
            assert named(data, "checks", identifier(name))["type"] == kind
        elif kind in ("file", "directory"):  # no such check type in this version: kept as a comment
            assert f"check {kind} {name} " in text and "which this version does not have" in text
    process = next(c for c in data["checks"] if c["type"] == "process")
    assert process["pidfile"].startswith("/var/")
    assert named(data, "rules", f"{process['name']}_down")["when"] == "alive == false"
    [limit] = set(re.findall(r"if (\d+) restarts with(?:in)? (\d+) cycles", DEBIAN[example]))
    assert data["policy"] == {"max_actions": int(limit[0]), "window": f"{int(limit[1]) * 120}s"}
    depends = re.findall(r"^\s*depends? (?:on )?(\S+)", DEBIAN[example], flags=re.M)
    if "depends_on" in CheckBase.model_fields:  # each dependency is a check only where one was made
        made = {c["name"] for c in data["checks"]}
        assert process.get("depends_on", []) == [identifier(d) for d in depends if identifier(d) in made]
    elif depends:
        assert f"depends on {', '.join(depends)}: not translated (no `depends_on` in this version)" in text


def test_apache_port_test_becomes_an_http_check_healed_by_its_init_script(run: Run, tmp_path: Path) -> None:
    _, data = imported(run, tmp_path, "set daemon 120\n" + DEBIAN["apache2"])

    check = named(data, "checks", "apache_port")
    assert check == {
        "name": "apache_port", "type": "http", "url": "http://localhost:80/server-status", "timeout": "25s"
    }  # fmt: skip
    rule = named(data, "rules", "apache_port_failed")
    # for 4 times within 5 cycles: 4 cycles in a row of 120 s, the first failure at 0 s.
    assert rule["when"] == "ok == false" and rule["for"] == "360s" and rule["remedies"] == ["apache_restart"]
    assert named(data, "actions", "apache_restart")["argv"] == ["/etc/init.d/apache2", "restart"]
    assert named(data, "actions", "apache_start")["argv"] == ["/etc/init.d/apache2", "start"]
    assert named(data, "rules", "apache_down")["remedies"] == ["apache_start"]
    assert not any(a["name"] == "apache_stop" for a in data["actions"])  # no rule stops it


def test_memcached_cpu_rules_and_a_protocol_test_kept_as_a_comment(run: Run, tmp_path: Path) -> None:
    text, data = imported(run, tmp_path, "set daemon 60\n" + DEBIAN["memcached"])

    assert named(data, "rules", "memcache_cpu")["when"] == "cpu_percent > 60"
    assert named(data, "rules", "memcache_cpu")["remedies"] == []  # then alert: a person decides
    assert named(data, "rules", "memcache_cpu_2")["remedies"] == ["memcache_restart"]
    assert named(data, "rules", "memcache_cpu_2")["for"] == "240s"
    if "tcp" not in CHECK_TYPES:
        assert "#   port: 11211" in text and "Would be a `tcp` check" in text


def test_monit_manual_examples(run: Run, tmp_path: Path) -> None:
    text, data = imported(run, tmp_path, MANUAL)

    assert data["daemon"] == {"interval": "60s"}
    assert named(data, "actions", "mail") == {
        "name": "mail", "type": "email", "host": "smtp.example.org", "port": 587, "starttls": True,
        "from": "monit@host.example.org", "to": ["ops@example.org"],
    }  # fmt: skip
    assert data["notifications"] == {"sinks": ["mail"]} and data["policy"]["escalate"] == "mail"
    assert "hunter2-secret" not in text and "MAPEKD_ACTIONS__MAIL__PASSWORD" in text
    whens = {r["name"]: r["when"] for r in data["rules"]}
    assert whens["HOST_load1"] == "load1 > 4" and whens["HOST_memory"] == "memory_percent > 75"
    assert named(data, "rules", "HOST_cpu")["for"] == "540s"
    assert "loadavg (5min) per core" in text.replace("( ", "(").replace(" )", ")")  # noted, not guessed
    assert named(data, "checks", "rootfs")["mounts"] == ["/"]
    assert (
        whens["rootfs_space"] == "used_percent > 80" and whens["rootfs_space_2"] == "free_bytes < 1073741824"
    )
    if "filesystem" in CHECK_TYPES:
        assert named(data, "checks", "rootfs")["type"] == "filesystem"
        assert whens["rootfs_inodes"] == "inodes_used_percent > 90"
    else:
        assert "if inode usage > 90% then alert`: no equivalent" in text
    assert "name the mount point" in text  # /dev/sdb1 is a device


def test_monit_manual_processes_hosts_and_programs(run: Run, tmp_path: Path) -> None:
    text, data = imported(run, tmp_path, MANUAL)

    assert named(data, "checks", "nginx")["cmdline"] == "nginx: master"
    assert named(data, "checks", "nginx_port")["url"] == "https://localhost:443/health"
    restart = named(data, "actions", "nginx_restart")
    assert restart == {"name": "nginx_restart", "type": "systemd", "verb": "restart", **NGINX_UNIT}
    assert named(data, "rules", "nginx_memory")["when"] == "rss_bytes > 209715200"
    assert data["policy"]["max_actions"] == 3 and data["policy"]["window"] == "300s"
    assert not any(c["name"] == "worker" for c in data["checks"])  # a regex: kept as a comment
    assert "a regular expression: name the process by `cmdline`" in text

    assert named(data, "actions", "app_restart")["argv"] == ["/opt/app/bin/app", "restart"]
    assert named(data, "actions", "app_start")["timeout"] == "60s"
    assert named(data, "actions", "app_exec")["argv"] == [
        "/opt/app/bin/dump-heap",
        "--pid-file",
        "/run/app.pid",
    ]
    assert named(data, "rules", "app_port_failed")["for"] == "60s"
    assert text.count("`as uid/gid` not translated") == 2
    assert "not translated: `every 2 cycles`" in text

    urls = [c["url"] for c in data["checks"] if c["type"] == "http" and c["name"].startswith("myserver_port")]
    assert urls == ["http://192.168.1.1:80/index.html"]
    assert "if failed ping then alert`: no equivalent" in text
    for kind, name in [
        ("file", "nginx_conf"),
        ("program", "backup"),
        ("network", "public"),
        ("directory", "spool"),
    ]:
        assert f"check {kind} {name} " in text
        if kind not in CHECK_TYPES:
            assert f"`check {kind} {name} " in text and f"needs a `{kind}` check" in text
    assert "if status != 0 then alert" in text and "if link down then alert" in text


def test_monit_manual_files_programs_and_networks_where_this_version_has_them(
    run: Run, tmp_path: Path
) -> None:
    _, data = imported(run, tmp_path, MANUAL)
    names = {c["name"] for c in data["checks"]}
    whens = {r["name"]: (r["when"], r["remedies"]) for r in data["rules"]}
    expected = {
        "file": ("nginx_conf_checksum", "checksum_changed == true", ["nginx_conf_exec"]),
        "program": ("backup_status", "exit_code != 0", []),
        "network": ("public_link", "link_up == false", []),
        "directory": ("spool_age", "mtime_age_s > 900", []),
    }
    for kind, (rule, when, remedies) in expected.items():
        check = rule.rsplit("_", 1)[0]
        if kind in CHECK_TYPES:
            assert named(data, "checks", check)["type"] == kind and whens[rule] == (when, remedies)
        else:
            assert check not in names and rule not in whens
    if "file" in CHECK_TYPES:
        assert named(data, "actions", "nginx_conf_exec")["argv"] == ["/usr/bin/systemctl", "reload", "nginx"]
    if "program" in CHECK_TYPES:
        assert named(data, "checks", "backup")["argv"] == ["/usr/local/bin/backup.sh", "--verify"]


def test_a_broken_file_is_an_error_naming_its_line(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "monitrc"
    path.write_text('check process x with pidfile /run/x.pid\n  start program = "/bin/x start\n')
    code, _, err = run("import-monit", str(path))
    assert code == 1 and f"{path}:2: unexpected" in err


def test_an_include_loop_is_cut_at_its_bound(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "monitrc"
    path.write_text(f"include {path}\n")
    code, _, err = run("import-monit", str(path))
    assert code == 1 and "nested deeper than" in err


def test_the_output_is_never_overwritten_without_force(run: Run, tmp_path: Path) -> None:
    source, out = monitrc(tmp_path, DEBIAN["cron"]), tmp_path / "out.yaml"
    out.write_text("mine\n")
    code, _, err = run("import-monit", str(source), "-o", str(out))
    assert code == 1 and "--force" in err and out.read_text() == "mine\n"
    assert run("import-monit", str(source), "-o", str(out), "--force")[0] == 0


def test_does_not_exist_says_what_a_missing_process_gets(run: Run, tmp_path: Path) -> None:
    text = """
check process web with pidfile /run/web.pid
  start program = "/etc/init.d/web start"
  if does not exist then alert
check process api with pidfile /run/api.pid
  start program = "/etc/init.d/api start"
  if not exist for 3 cycles then restart
"""
    _, data = imported(run, tmp_path, text)
    assert named(data, "rules", "web_down")["remedies"] == []  # alert: a person decides
    assert named(data, "rules", "api_down")["remedies"] == ["api_restart"]
    assert named(data, "rules", "api_down")["for"] == "60s"
    assert [a["name"] for a in data["actions"]] == ["api_restart"]  # no unused start action


def test_depends_on_names_the_checks_the_dependencies_became(run: Run, tmp_path: Path) -> None:
    text = """
check process db with pidfile /run/db.pid
check process web with pidfile /run/web.pid
  depends on db, web_conf
check file web_conf with path /etc/web.conf
"""
    out, data = imported(run, tmp_path, text)
    web = named(data, "checks", "web")
    if "depends_on" in CheckBase.model_fields:
        made = {c["name"] for c in data["checks"]}
        assert "db" in made and web["depends_on"] == [d for d in ("db", "web_conf") if d in made]
        assert "web_conf" in made or "depends on web_conf: not translated (became no check)" in out
    else:
        assert "depends_on" not in web
        assert "depends on db, web_conf: not translated (no `depends_on` in this version)" in out


async def test_a_protocol_greeting_becomes_a_tcp_expect_that_a_real_server_passes(tmp_path: Path) -> None:
    from mapekd.config.checks_monit import TcpCheckConfig
    from mapekd.monit.translate import translate_file
    from mapekd.monitor.tcp import TcpCheck
    from mapekd.shared_http import SharedHttp

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.2 test\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = monitrc(
        tmp_path, DEBIAN["openssh-server"].replace("host localhost port 22", f"host 127.0.0.1 port {port}")
    )
    data = Settings.model_validate(translate_file(source, CHECK_TYPES.keys()).data()).model_dump(
        by_alias=True
    )
    async with server:
        check = named(data, "checks", "sshd_port")
        assert check["expect"] == "^SSH-" and named(data, "rules", "sshd_port_failed")["remedies"] == [
            "sshd_restart"
        ]
        [sample] = await TcpCheck.from_config(TcpCheckConfig(**check), http=SharedHttp()).collect()
    assert sample.fields["ok"] is True and sample.fields["expect_match"] is True
