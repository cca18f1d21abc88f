"""The redaction choke point, tested with canary secrets planted everywhere a prompt can get them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mapekd.config.settings import Settings
from mapekd.llm.types import Message
from mapekd.model import Sample
from mapekd.prompting import CandidateView, HostSnapshot, Prompts, Redactor, analyze_context, plan_context
from mapekd.prompting.host import ProcessInfo
from tests.prompting.conftest import NOW, World

CONFIGURED = {
    "http header": "canary-header-7f3a9c",
    "url password": "CanaryUrlPass9",
    "command env": "canary-env-Qx81",
    "webhook header": "canary-bearer-Lm55",
    "webhook url": "canaryWebhookPath42",
    "api key": "canary-key-in-list-00",
    "single api key": "canary-anthropic-Zz9",
    "special characters": 'q"<canary-special>&\u00e9',
}
OBSERVED = {  # never configured: caught by their shape
    "cli flag": "hunter2-canary-cmd",
    "cli flag with space": "canary-token-spaced",
    "query string": "canary-query-secret",
    "url userinfo": "canary-dbpass",
    "bearer": "canary-observed-bearer-1",
    "openai key": "sk-proj-CANARYabcdefghijklmnop",
    "aws key": "AKIACANARY0123456789",
    "github token": "ghp_CANARYabcdefghijklmnopqrstuvwxyz0123",
    "env style": "canary-env-style-88",
}


def settings() -> Settings:
    return Settings.model_validate(
        {
            "checks": [
                {
                    "name": "web_http",
                    "type": "http",
                    "url": f"http://svc:{CONFIGURED['url password']}@web.internal.example:8080/health",
                    "headers": {
                        "X-Api-Key": CONFIGURED["http header"],
                        "X-Odd": CONFIGURED["special characters"],
                    },
                },
                {"name": "web", "type": "process", "match_name": "web"},
                {
                    "name": "node",
                    "type": "prometheus",
                    "url": "http://metrics.lan:9100/metrics",
                    "metrics": [{"name": "node_load1"}],
                },
            ],
            "actions": [
                {
                    "name": "start_web",
                    "type": "command",
                    "argv": ["/usr/bin/web"],
                    "env": {"DB_PASSWORD": CONFIGURED["command env"]},
                },
                {
                    "name": "page",
                    "type": "webhook",
                    "url": f"https://hooks.example.com/services/T0/B0/{CONFIGURED['webhook url']}",
                    "headers": {"Authorization": f"Bearer {CONFIGURED['webhook header']}"},
                },
            ],
            "llm": {
                "providers": [
                    {"name": "openai", "type": "openai_compat", "api_keys": [{"key": CONFIGURED["api key"]}]},
                    {"name": "claude", "type": "anthropic", "api_key": CONFIGURED["single api key"]},
                ]
            },
        }
    )


def hostile_host(host: HostSnapshot) -> HostSnapshot:
    cmdlines = [
        f"/usr/bin/app --password={OBSERVED['cli flag']} --token {OBSERVED['cli flag with space']}",
        f"curl https://api.example.com/v1?user=bob&api_key={OBSERVED['query string']}",
        f"psql postgres://app:{OBSERVED['url userinfo']}@db:5432/app",
        f"worker -H 'Authorization: Bearer {OBSERVED['bearer']}' {OBSERVED['openai key']}",
        f"sync AWS_KEY={OBSERVED['aws key']} GH={OBSERVED['github token']}",
        f"job DB_PASSWORD={OBSERVED['env style']}",
        f"app --header X-Api-Key:{CONFIGURED['http header']} --notify {CONFIGURED['special characters']}",
    ]
    procs = tuple(ProcessInfo(900 + i, "app", c, 50.0, 2**26) for i, c in enumerate(cmdlines))
    return replace(host, top_cpu=procs, top_memory=procs)


def planted_prompts(prompts: Prompts, world: World, host: HostSnapshot) -> list[Message]:
    fields = {"ok": False, "error": f"401 with key {CONFIGURED['http header']}", "status": 401}
    situation = replace(
        world.situation,
        symptom=f"http check failed: Authorization: Bearer {CONFIGURED['webhook header']}",
        samples=[Sample("web_http", "http:web_http", fields, ts=NOW)],
    )
    webhook = CandidateView(
        "page",
        "webhook",
        f"POST to https://hooks.example.com/services/T0/B0/{CONFIGURED['webhook url']}",
        "http:web_http",
        "low",
    )
    env = CandidateView(
        "start_web", "command", f"DB_PASSWORD={CONFIGURED['command env']} /usr/bin/web", "x", "low"
    )
    analyze = prompts.render("analyze.j2", analyze_context(situation, hostile_host(host), []))
    plan = prompts.render("plan.j2", plan_context(situation, None, [webhook, env], [], []))
    return [*analyze.messages, *plan.messages]


def test_no_canary_survives_rendering_and_redaction(
    prompts: Prompts, world: World, host: HostSnapshot
) -> None:
    messages = planted_prompts(prompts, world, host)
    planted = "\n".join(m.content for m in messages)
    assert CONFIGURED["http header"] in planted and OBSERVED["openai key"] in planted  # the test plants them
    redacted = Redactor.from_settings(settings()).redact(messages)
    text = "\n".join(m.content for m in redacted)
    for name, canary in {**CONFIGURED, **OBSERVED}.items():
        assert canary not in text, name
    assert "canary-special" not in text  # not even the JSON-escaped form of the odd secret
    assert [m.role for m in redacted] == [m.role for m in messages]
    assert '"signature":"web_down@process:web"' in text  # data that only looks like a key survives


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app --password=abc123 -v", "app --password=[REDACTED] -v"),
        ("app --api-key XYZ987 --no-token --verbose", "app --api-key [REDACTED] --no-token --verbose"),
        ("GET /x?user=bob&access_token=t0k3n&page=2", "GET /x?user=bob&access_token=[REDACTED]&page=2"),
        ("redis://:s3cret@cache:6379/0", "redis://:[REDACTED]@cache:6379/0"),
        ("https://bob:pw%21x@h.example/p", "https://bob:[REDACTED]@h.example/p"),
        ('{"password": "hunter2", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'),
        ('{\\"client_secret\\":\\"abc\\"}', '{\\"client_secret\\":\\"[REDACTED]\\"}'),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED]"),
        ("curl -H 'authorization: token abcdef123'", "curl -H 'authorization: token [REDACTED]'"),
        ("key sk-ant-api03-abcdefghijklmnopqrstu", "key [REDACTED]"),
        ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "jwt [REDACTED]"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "[REDACTED KEY]"),
        ("xoxb-1234567890-abcdefghij in slack", "[REDACTED] in slack"),
        ("tokens_per_minute 600 and max_tokens=512", "tokens_per_minute 600 and max_tokens=[REDACTED]"),
        ("nothing secret here: restart web.service", "nothing secret here: restart web.service"),
        ("mysql -u app -ps3cr3t db", "mysql -u app -p[REDACTED] db"),
        ("mysqldump --password=s3cr3t db", "mysqldump --password=[REDACTED] db"),
        ("mysql -u app -p db", "mysql -u app -p db"),  # -p alone asks for it: nothing to hide
        ("/usr/bin/mariadb -h db -pS3cr3t", "/usr/bin/mariadb -h db -p[REDACTED]"),
        ("ssh -p 2222 host", "ssh -p 2222 host"),  # -p is a port elsewhere
        ("sshpass -p s3cr3t ssh u@h", "sshpass -p [REDACTED] ssh u@h"),
        ("sshpass -ps3cr3t rsync", "sshpass -p[REDACTED] rsync"),
        (
            "redis-cli -h cache -a s3cr3t --no-auth-warning",
            "redis-cli -h cache -a [REDACTED] --no-auth-warning",
        ),
        ("curl -u bob:s3cr3t https://x", "curl -u bob:[REDACTED] https://x"),
        ("curl --user bob:s3cr3t https://x", "curl --user bob:[REDACTED] https://x"),
        ("curl -s --proxy-user=bob:s3cr3t -o x", "curl -s --proxy-user=bob:[REDACTED] -o x"),
        ("openssl enc -aes256 -k s3cr3t -in f", "openssl enc -aes256 -k [REDACTED] -in f"),
        ("openssl enc -d -pass pass:s3cr3t", "openssl enc -d -pass [REDACTED]"),
        ("openssl pkcs12 -passin pass:s3cr3t", "openssl pkcs12 -passin [REDACTED]"),
        (
            "vault read -address x VAULT_TOKEN=hvs.CAESIJ0abcdefghijklmnopqrstuv",
            "vault read -address x VAULT_TOKEN=[REDACTED]",
        ),
        ("token hvs.CAESIJ0abcdefghijklmnopqrstuvwxyz", "token [REDACTED]"),
        ("legacy s.AbCdEfGhIjKlMnOpQrStUvWx here", "legacy [REDACTED] here"),
        ("ldapsearch -x -D cn=admin -w s3cr3t", "ldapsearch -x -D cn=admin -w [REDACTED]"),
        ("smbclient //h/s -U bob%s3cr3t", "smbclient //h/s -U bob%[REDACTED]"),
        ("docker login -u bob -p s3cr3t reg", "docker login -u bob -p [REDACTED] reg"),
        ("sqlcmd -S db -U sa -P s3cr3t", "sqlcmd -S db -U sa -P [REDACTED]"),
        ("PGPASSWORD=s3cr3t psql", "PGPASSWORD=[REDACTED] psql"),
    ],
)
def test_credential_shapes(text: str, expected: str) -> None:
    assert Redactor().redact_text(text) == expected


def test_ips_and_hosts_are_masked_reversibly() -> None:
    redactor = Redactor.from_settings(settings(), mask_ips=True, mask_hosts=True, hostnames=["build-box"])
    text = (
        "from 10.1.2.3 to db.prod.example.com via web.internal.example and metrics.lan; again 10.1.2.3; "
        "v6 2001:db8::1; loopback 127.0.0.1 ::1; on build-box; file access.log.1.gz at 12:30:45"
    )
    masked = redactor.redact_text(text)
    for hidden in (
        "10.1.2.3",
        "db.prod.example.com",
        "web.internal.example",
        "metrics.lan",
        "build-box",
        "2001:db8",
    ):
        assert hidden not in masked
    assert masked.startswith("from <ip-1> to <host-") and "again <ip-1>;" in masked and "v6 <ip-2>;" in masked
    assert "loopback 127.0.0.1 ::1;" in masked and "file access.log.1.gz at 12:30:45" in masked
    assert redactor.restore(masked) == text
    assert redactor.redact_text("10.1.2.3") == "<ip-1>"  # stable across prompts
    host = masked.split(" to ")[1].split(" ")[0]  # the placeholder of db.prod.example.com
    escaped = host.replace("<", "\\u003c").replace(">", "\\u003e")  # as a model may echo it from JSON
    answer = f"restart on {escaped} (<ip-1>), then check <ip-9>"
    assert redactor.restore(answer) == "restart on db.prod.example.com (10.1.2.3), then check <ip-9>"


def test_masking_is_off_by_default() -> None:
    redactor = Redactor.from_settings(settings())
    assert redactor.redact_text("db.prod.example.com 10.1.2.3") == "db.prod.example.com 10.1.2.3"
