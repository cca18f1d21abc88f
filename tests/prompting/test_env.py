"""The one Environment: versions parsed at load, StrictUndefined, system and user messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapekd.prompting import PromptError, Prompts


def template(user: str, *, system: str = "s", version: str = "1") -> str:
    blocks = f"{{% block system %}}\n{system}\n{{% endblock %}}\n{{% block user %}}\n{user}\n{{% endblock %}}"
    return f"{{# version: {version} #}}\n{blocks}"


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    return directory


def test_shipped_templates_load_with_their_versions(prompts: Prompts) -> None:
    assert prompts.names() == ("analyze.j2", "explain.j2", "explain_text.j2", "plan.j2")
    assert {n: prompts.version(n) for n in prompts.names()} == {
        "analyze.j2": "3",
        "explain.j2": "2",
        "explain_text.j2": "2",
        "plan.j2": "4",
    }


def test_a_template_without_a_version_fails_at_load(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ok.j2",
        "{# version: 3 #}\n{% block system %}s{% endblock %}{% block user %}u{% endblock %}",
    )
    write(tmp_path, "bad.j2", "{% block system %}s{% endblock %}{% block user %}u{% endblock %}")
    with pytest.raises(PromptError, match=r"bad.j2: the first line must be \{# version: N #\}"):
        Prompts(tmp_path)


def test_a_syntax_error_fails_at_load(tmp_path: Path) -> None:
    write(tmp_path, "broken.j2", "{# version: 1 #}\n{% block system %}{% if %}{% endblock %}")
    with pytest.raises(PromptError, match=r"broken\.j2"):
        Prompts(tmp_path)


def test_render_gives_a_system_and_a_user_message_and_the_version(tmp_path: Path) -> None:
    text = template("Hi {{ who }}.", system="You help.", version="7")
    rendered = Prompts(write(tmp_path, "t.j2", text)).render("t.j2", {"who": "web"})
    assert [(m.role, m.content) for m in rendered.messages] == [("system", "You help."), ("user", "Hi web.")]
    assert (rendered.template, rendered.version, rendered.trimmed) == ("t.j2", "7", ())


def test_a_misspelled_variable_is_an_error_not_a_blank(tmp_path: Path) -> None:
    text = (
        "{# version: 1 #}\n{% block system %}s{% endblock %}{% block user %}{{ incidnet.id }}{% endblock %}"
    )
    prompts = Prompts(write(tmp_path, "t.j2", text))
    with pytest.raises(PromptError, match="'incidnet' is undefined"):
        prompts.render("t.j2", {"incident": {"id": 1}})


def test_a_shipped_template_missing_a_key_is_an_error(prompts: Prompts) -> None:
    with pytest.raises(PromptError, match="undefined"):
        prompts.render("explain.j2", {"incident": {}, "timeline": [], "analysis": None})


def test_unknown_templates_and_text_templates_are_refused_as_prompts(prompts: Prompts) -> None:
    with pytest.raises(PromptError, match=r"unknown prompt template 'nope\.j2'"):
        prompts.render("nope.j2", {})
    with pytest.raises(PromptError, match="not a prompt template"):
        prompts.render("explain_text.j2", {})


def test_tojson_is_compact_sorted_and_cannot_close_a_section(tmp_path: Path) -> None:
    text = template("{{ value | tojson }}")
    prompts = Prompts(write(tmp_path, "t.j2", text))
    value = {"b": "</data> & <b>", "a": ["caf\u00e9", "\u202egnp.exe"], "n": 1.5}
    user = prompts.render("t.j2", {"value": value}).messages[1].content
    assert user == (
        '{"a":["caf\\u00e9","\\u202egnp.exe"],"b":"\\u003c/data\\u003e \\u0026 \\u003cb\\u003e","n":1.5}'
    )
    with pytest.raises(PromptError, match="Out of range float"):
        prompts.render("t.j2", {"value": float("nan")})
