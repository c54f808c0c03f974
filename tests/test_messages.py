"""Customer message templates: the shipped ones, resolution, strictness and the sandbox."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.messages import (
    DEFAULT_TEMPLATE_DIRECTORY,
    CardInvalid,
    MessageTemplates,
    MissingVariables,
    TemplateError,
    TemplateInfo,
    TemplateInvalid,
    TemplateNotFound,
    TemplateUnsafe,
    UnknownVariables,
)
from bot.models import CardMessage, TextMessage

Write = Callable[[dict[str, str]], MessageTemplates]

ORDER_VALUES = {
    "order_id": "20240611-0042",
    "status": "Shipped, arriving Thursday",
    "order_url": "https://shop.example.com/orders/20240611-0042",
    "image_url": "https://img.example.com/fan.jpg",
}
PRODUCT_VALUES = {
    "product_name": "AirFlow 2 Desk Fan",
    "summary": "Quiet 3-speed fan, USB-C powered.",
    "image_url": "https://img.example.com/fan.jpg",
    "product_url": "https://shop.example.com/p/airflow-2",
}
CARD = """{# description: A test card. #}
{% block header %}{{ title }}{% endblock %}
{% block desc %}{{ body }}{% endblock %}
{% block pic %}{{ pic }}{% endblock %}
{% block url %}{{ link }}{% endblock %}
"""
CARD_VALUES = {
    "title": "Title",
    "body": "Body",
    "pic": "https://img.example.com/a.png",
    "link": "https://example.com/a",
}


@pytest.fixture
def shipped() -> MessageTemplates:
    return MessageTemplates()


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write {relative path: content} under a fresh templates directory, return its engine."""
    directory = tmp_path / "messages"
    directory.mkdir()

    def write_files(files: dict[str, str]) -> MessageTemplates:
        for relative, content in files.items():
            path = directory / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        return MessageTemplates(directory)

    return write_files


# --------------------------------------------------------------------------- shipped templates


def test_default_directory_is_the_repository_templates_folder() -> None:
    repository = Path(__file__).resolve().parents[1]
    assert repository / "templates" / "messages" == DEFAULT_TEMPLATE_DIRECTORY
    assert MessageTemplates().directory == DEFAULT_TEMPLATE_DIRECTORY


def test_shipped_templates_are_listed_by_name_with_kinds_and_variables(
    shipped: MessageTemplates,
) -> None:
    listing = {info.name: (info.kind, info.variables, info.languages) for info in shipped.list()}
    assert listing == {
        "follow_up": ("text", ("customer_name", "topic"), ("en", "zh")),
        "looking_into_it": ("text", ("eta", "ticket"), ("en", "zh")),
        "order_card": ("card", ("image_url", "order_id", "order_url", "status"), ("en", "zh")),
        "product_card": (
            "card",
            ("image_url", "product_name", "product_url", "summary"),
            ("en", "zh"),
        ),
    }
    assert [info.name for info in shipped.list()] == sorted(listing)


@pytest.mark.parametrize("language", [None, "en", "zh"])
def test_every_shipped_template_has_a_description_and_a_hint_per_variable(
    shipped: MessageTemplates, language: str | None
) -> None:
    for listed in shipped.list():
        info = shipped.info(listed.name, language=language)
        assert info.description, info.name
        assert "\n" not in info.description
        assert set(info.hints) == set(info.variables), info.name
        assert all(hint.strip() for hint in info.hints.values())


def test_every_shipped_file_starts_with_its_description_comment() -> None:
    files = sorted(DEFAULT_TEMPLATE_DIRECTORY.rglob("*.j2"))
    assert files
    for path in files:
        assert path.read_text(encoding="utf-8").startswith("{#\ndescription: "), path


def test_description_follows_the_language_asked_for(shipped: MessageTemplates) -> None:
    assert shipped.info("follow_up").description.startswith("Follow up")
    assert shipped.info("follow_up", language="zh").description.startswith("跟进")
    assert shipped.info("follow_up", language="zh").hints["customer_name"].startswith("对客户")


def test_follow_up_in_english(shipped: MessageTemplates) -> None:
    message = shipped.render(
        "follow_up", {"customer_name": "Ms. Li", "topic": "the refund for order 1024"}
    )
    assert message == TextMessage(
        "Hello Ms. Li, I'm following up on your question about the refund for order 1024. "
        "Has everything been resolved to your satisfaction? If there is anything else we can "
        "help with, just reply here and we'll take it from there."
    )


def test_follow_up_in_chinese(shipped: MessageTemplates) -> None:
    message = shipped.render(
        "follow_up", {"customer_name": "李女士", "topic": "订单1024的退款"}, language="zh"
    )
    assert message == TextMessage(
        "李女士您好，关于您之前咨询的订单1024的退款，想跟您确认一下问题是否已经解决？"
        "如果还有其他需要帮助的地方，直接在这里回复我们就可以，我们会继续为您跟进。"
    )


def test_looking_into_it_in_both_languages(shipped: MessageTemplates) -> None:
    english = shipped.render(
        "looking_into_it", {"ticket": "T-0042", "eta": "within 2 hours"}, language="en"
    )
    chinese = shipped.render(
        "looking_into_it", {"ticket": "T-0042", "eta": "2小时内"}, language="zh-TW"
    )
    assert isinstance(english, TextMessage)
    assert "reference T-0042 and will get back to you within 2 hours." in english.text
    assert isinstance(chinese, TextMessage)
    assert "工单号为 T-0042，预计2小时内给您答复。" in chinese.text


def test_order_card_in_both_languages(shipped: MessageTemplates) -> None:
    assert shipped.render("order_card", ORDER_VALUES) == CardMessage(
        header="Order 20240611-0042",
        desc="Status: Shipped, arriving Thursday",
        pic="https://img.example.com/fan.jpg",
        url="https://shop.example.com/orders/20240611-0042",
    )
    chinese = shipped.render(
        "order_card", {**ORDER_VALUES, "status": "已发货，预计周四送达"}, language="zh"
    )
    assert isinstance(chinese, CardMessage)
    assert (chinese.header, chinese.desc) == (
        "订单 20240611-0042",
        "订单状态：已发货，预计周四送达",
    )


def test_product_card(shipped: MessageTemplates) -> None:
    assert shipped.render("product_card", PRODUCT_VALUES, language="zh") == CardMessage(
        header="AirFlow 2 Desk Fan",
        desc="Quiet 3-speed fan, USB-C powered.",
        pic="https://img.example.com/fan.jpg",
        url="https://shop.example.com/p/airflow-2",
    )


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    [
        "../secret",
        "../../etc/passwd",
        "/etc/passwd",
        "en/hello",
        "hello.j2",
        "hel lo",
        "",
        "-hello",
        ".hello",
        "x" * 65,
    ],
)
def test_names_that_are_not_template_names_are_not_found(write: Write, name: str) -> None:
    templates = write({"hello.j2": "Hello", "en/hello.j2": "Hello", "../secret.j2": "SECRET"})
    with pytest.raises(TemplateNotFound) as caught:
        templates.render(name, {})
    assert caught.value.name == name
    assert caught.value.available == ["hello"]


@pytest.mark.parametrize("name", ["hello", "HELLO", " hello "])
def test_names_are_case_insensitive_and_trimmed(write: Write, name: str) -> None:
    assert write({"hello.j2": "Hello"}).render(name, {}) == TextMessage("Hello")


def test_not_found_suggests_a_close_name_and_lists_them_all(shipped: MessageTemplates) -> None:
    with pytest.raises(TemplateNotFound) as caught:
        shipped.render("folow_up", {})
    assert str(caught.value) == (
        "There is no message template called 'folow_up' (did you mean follow_up?); "
        "the templates are: follow_up, looking_into_it, order_card, product_card."
    )
    assert caught.value.available == ["follow_up", "looking_into_it", "order_card", "product_card"]


def test_files_that_are_not_templates_are_ignored(write: Write) -> None:
    templates = write(
        {
            "hello.j2": "Hello",
            "Bad Name.j2": "x",
            "README.md": "not a template",
            "partials_dir.txt": "x",
            "not a language/other.j2": "x",
            "en/notes.txt": "x",
        }
    )
    assert [info.name for info in templates.list()] == ["hello"]


def test_a_missing_directory_has_no_templates(tmp_path: Path) -> None:
    templates = MessageTemplates(tmp_path / "nowhere")
    assert templates.list() == []
    with pytest.raises(TemplateNotFound, match="no templates are installed"):
        templates.render("hello", {})


# --------------------------------------------------------------------------- languages


EVERY_VARIANT = {
    "greet.j2": "top",
    "en/greet.j2": "en",
    "zh/greet.j2": "zh",
    "zh-TW/greet.j2": "zh-TW",
}


@pytest.mark.parametrize(
    ("files", "language", "expected"),
    [
        (EVERY_VARIANT, "zh-TW", "zh-TW"),
        (EVERY_VARIANT, "zh-tw", "zh-TW"),
        (EVERY_VARIANT, "zh_TW", "zh-TW"),
        (EVERY_VARIANT, "zh-HK", "zh"),
        (EVERY_VARIANT, "zh", "zh"),
        (EVERY_VARIANT, "en", "en"),
        (EVERY_VARIANT, "ja", None),
        (EVERY_VARIANT, None, None),
        (EVERY_VARIANT, "", None),
        ({"en/greet.j2": "en", "zh/greet.j2": "zh"}, "ja", "en"),
        ({"en/greet.j2": "en", "zh/greet.j2": "zh"}, None, "en"),
        ({"en/greet.j2": "en", "zh/greet.j2": "zh"}, "zh-TW", "zh"),
        ({"en/greet.j2": "en", "zh/greet.j2": "zh"}, "en-GB", "en"),
        ({"zh/greet.j2": "zh"}, "en", "zh"),
        ({"zh/greet.j2": "zh"}, None, "zh"),
        ({"ja/greet.j2": "ja", "ko/greet.j2": "ko"}, None, "ja"),
        ({"ja/greet.j2": "ja", "ko/greet.j2": "ko"}, "ko", "ko"),
        ({"greet.j2": "top", "zh/greet.j2": "zh"}, "en", None),
    ],
)
def test_language_resolution(
    write: Write, files: dict[str, str], language: str | None, expected: str | None
) -> None:
    templates = write(files)
    assert templates.resolve_language("greet", language) == expected
    rendered = templates.render("greet", {}, language=language)
    assert rendered == TextMessage("top" if expected is None else expected)


def test_a_language_with_no_usable_variant_is_refused_not_guessed(write: Write) -> None:
    templates = write({"ja/greet.j2": "ja", "ko/greet.j2": "ko"})
    with pytest.raises(TemplateNotFound) as caught:
        templates.render("greet", {}, language="fr")
    assert caught.value.language == "fr"
    assert caught.value.languages == ("ja", "ko")
    assert str(caught.value) == (
        "Template greet has no fr text and no English or Chinese fallback; "
        "it is written in ja or ko, so pass lang=ja."
    )


def test_info_lists_language_folders_not_the_top_level_file(write: Write) -> None:
    info = write(EVERY_VARIANT).info("greet")
    assert info == TemplateInfo(
        name="greet",
        kind="text",
        description="",
        variables=(),
        languages=("en", "zh", "zh-TW"),
    )


def test_variants_must_take_the_same_variables(write: Write) -> None:
    templates = write({"en/greet.j2": "Hi {{ name }}", "zh/greet.j2": "{{ nickname }}您好"})
    with pytest.raises(TemplateInvalid) as caught:
        templates.render("greet", {"name": "Li"}, language="en")
    assert "zh/greet.j2 is a text taking nickname while en/greet.j2 is a text taking name" in str(
        caught.value
    )
    with pytest.raises(TemplateInvalid):
        templates.list()


def test_variants_must_be_the_same_kind(write: Write) -> None:
    templates = write({"en/greet.j2": "{{ title }}", "zh/greet.j2": CARD})
    with pytest.raises(TemplateInvalid, match="is a card taking"):
        templates.info("greet")


# --------------------------------------------------------------------------- variables


def test_missing_variables_are_all_named_sorted(write: Write) -> None:
    templates = write({"note.j2": "{{ zeta }} {{ alpha }} {{ mid }}"})
    with pytest.raises(MissingVariables) as caught:
        templates.render("note", {"mid": "x"})
    assert caught.value.missing == ["alpha", "zeta"]
    assert caught.value.template == "note"
    assert (
        str(caught.value)
        == 'Template note needs a value for alpha and zeta; add alpha="…" zeta="…".'
    )


def test_blank_values_count_as_missing(write: Write) -> None:
    templates = write({"note.j2": "Dear {{ name }}, {{ topic }}"})
    with pytest.raises(MissingVariables) as caught:
        templates.render("note", {"name": "  ", "topic": ""})
    assert caught.value.missing == ["name", "topic"]


def test_unknown_variables_name_them_and_what_the_template_takes(
    shipped: MessageTemplates,
) -> None:
    with pytest.raises(UnknownVariables) as caught:
        shipped.render("follow_up", {"customer_name": "Li", "topik": "refund", "colour": "red"})
    assert caught.value.unknown == ["colour", "topik"]
    assert caught.value.accepted == ["customer_name", "topic"]
    assert str(caught.value) == (
        "Template follow_up does not use colour and topik (did you mean topic?); "
        "it takes customer_name and topic."
    )


def test_unknown_variables_for_a_template_without_variables(write: Write) -> None:
    with pytest.raises(UnknownVariables, match="it takes no variables"):
        write({"hello.j2": "Hello"}).render("hello", {"name": "x"})


def test_variables_come_from_the_ast_not_from_text_that_looks_like_them(write: Write) -> None:
    templates = write(
        {
            "tricky.j2": (
                "{# description: uses {{ not_a_variable }} in a comment #}\n"
                "{% raw %}{{ literal }}{% endraw %}\n"
                "{% set local = 'x' %}{{ local }}\n"
                "{% for item in items %}{{ loop.index }}{{ item }}{% endfor %}\n"
                "{{ range(2) | list }} {{ name | upper }}"
            )
        }
    )
    assert templates.info("tricky").variables == ("items", "name")
    assert templates.render("tricky", {"items": "ab", "name": "li"}) == TextMessage(
        "{{ literal }}x\n1a2b[0, 1] LI"
    )


@pytest.mark.parametrize(
    "value",
    [
        "{{ 7*7 }}",
        "{% for x in y %}",
        "{# comment #}",
        "{{ ''.__class__.__mro__ }}",
        "{% include 'other.j2' %}",
        "<b>&amp;</b>",
    ],
)
def test_values_are_data_never_templates(write: Write, value: str) -> None:
    templates = write({"echo.j2": "[{{ value }}]", "card.j2": CARD})
    assert templates.render("echo", {"value": value}) == TextMessage(f"[{value}]")
    card = templates.render("card", {**CARD_VALUES, "title": value, "body": value})
    assert card == CardMessage(value, value, CARD_VALUES["pic"], CARD_VALUES["link"])


def test_output_is_stripped_and_block_tags_leave_no_blank_lines(write: Write) -> None:
    templates = write(
        {
            "lines.j2": (
                "{# description: lines #}\n\n"
                "Hello {{ name }},\n"
                "{% if name %}\n"
                "    we are on it.\n"
                "{% endif %}\n\n\n"
            )
        }
    )
    assert templates.render("lines", {"name": "Li"}) == TextMessage("Hello Li,\n    we are on it.")


def test_an_edited_template_takes_effect_without_a_restart(write: Write) -> None:
    templates = write({"hello.j2": "Hello {{ name }}"})
    assert templates.render("hello", {"name": "Li"}) == TextMessage("Hello Li")
    path = templates.directory / "hello.j2"
    path.write_text("Hi {{ name }} about {{ topic }}", encoding="utf-8")
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))
    assert templates.info("hello").variables == ("name", "topic")
    assert templates.render("hello", {"name": "Li", "topic": "x"}) == TextMessage("Hi Li about x")


# --------------------------------------------------------------------------- descriptions


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("{# description: Say hello. #}\nHello", "Say hello."),
        ("{#- description: Say hello. -#}\nHello", "Say hello."),
        ("\n\n  {# Say hello.\nmore notes #}Hello", "Say hello."),
        ("{#\nnotes first\nDescription: Say hello.\n#}Hello", "Say hello."),
        ("Hello {# description: too late #}", ""),
        ("Hello", ""),
        ("{##}Hello", ""),
    ],
)
def test_description_comes_from_the_leading_comment(
    write: Write, source: str, description: str
) -> None:
    templates = write({"hello.j2": source})
    assert templates.info("hello").description == description
    assert templates.render("hello", {}) == TextMessage("Hello")


def test_hints_name_only_variables_of_the_template(write: Write) -> None:
    templates = write(
        {
            "hint.j2": (
                "{#\ndescription: With hints.\nname: how to address them\n"
                "Note: not a variable, just a note\ntopic:   what it is about  \n#}\n"
                "{{ name }} {{ topic }}"
            )
        }
    )
    info = templates.info("hint")
    assert info.hints == {"name": "how to address them", "topic": "what it is about"}


# --------------------------------------------------------------------------- cards


def test_a_template_with_card_blocks_is_a_card(write: Write) -> None:
    templates = write({"card.j2": CARD})
    assert templates.info("card").kind == "card"
    assert templates.info("card").description == "A test card."
    assert templates.render("card", CARD_VALUES) == CardMessage(
        header="Title", desc="Body", pic=CARD_VALUES["pic"], url=CARD_VALUES["link"]
    )


def test_card_blocks_other_than_header_are_optional(write: Write) -> None:
    templates = write({"card.j2": "{% block header %}  Only a title  {% endblock %}"})
    assert templates.render("card", {}) == CardMessage(
        header="Only a title", desc="", pic="", url=""
    )


def test_card_blocks_may_use_logic_and_each_other(write: Write) -> None:
    templates = write(
        {
            "card.j2": (
                "{% block header %}Order {{ order_id }}{% endblock %}\n"
                "{% block desc %}{{ self.header() }}: {{ status | upper }}{% endblock %}"
            )
        }
    )
    card = templates.render("card", {"order_id": "7", "status": "shipped"})
    assert card == CardMessage(header="Order 7", desc="Order 7: SHIPPED", pic="", url="")


@pytest.mark.parametrize(
    ("changes", "card_field"),
    [
        ({"link": "shop.example.com/a"}, "url"),
        ({"link": "javascript:alert(1)"}, "url"),
        ({"link": "https://"}, "url"),
        ({"link": "https://example.com/a b"}, "url"),
        ({"pic": "ftp://img.example.com/a.png"}, "pic"),
        ({"pic": "/static/a.png"}, "pic"),
    ],
)
def test_card_links_must_be_http_urls(
    write: Write, changes: dict[str, str], card_field: str
) -> None:
    templates = write({"card.j2": CARD})
    with pytest.raises(CardInvalid) as caught:
        templates.render("card", {**CARD_VALUES, **changes})
    assert caught.value.field == card_field
    assert str(caught.value).startswith(f"The {card_field} of card card must be a full http(s)")


def test_card_links_accept_http_and_https_in_any_case(write: Write) -> None:
    templates = write({"card.j2": CARD})
    card = templates.render(
        "card", {**CARD_VALUES, "link": "HTTP://Example.com/a?b=1&c=2", "pic": "https://x.cn/p.png"}
    )
    assert isinstance(card, CardMessage)
    assert card.url == "HTTP://Example.com/a?b=1&c=2"


def test_a_card_header_that_renders_empty_is_refused(write: Write) -> None:
    templates = write(
        {"card.j2": "{% block header %}{% if flag == 'yes' %}Hi{% endif %}{% endblock %}"}
    )
    with pytest.raises(CardInvalid, match="The header of card card is empty"):
        templates.render("card", {"flag": "no"})


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{% block header %}x{% endblock %}{% block title %}y{% endblock %}", "block title"),
        ("{% block desc %}x{% endblock %}", "without a header block"),
        ("Intro\n{% block header %}x{% endblock %}", "content outside the card blocks on line 1"),
        ("{% block header %}x{% endblock %}\n{{ extra }}", "content outside the card blocks"),
    ],
)
def test_malformed_cards_are_invalid(write: Write, source: str, problem: str) -> None:
    templates = write({"card.j2": source})
    with pytest.raises(TemplateInvalid, match=problem):
        templates.info("card")


# --------------------------------------------------------------------------- broken templates


@pytest.mark.parametrize(
    ("source", "values", "problem"),
    [
        ("Hello {{ name ", {}, "syntax error on line 1"),
        ("{% for %}", {}, "syntax error"),
        ("{% include 'other.j2' %}", {}, "include"),
        ("{% extends 'other.j2' %}", {}, "extends"),
        ("{% import 'other.j2' as other %}", {}, "import"),
        ("{% from 'other.j2' import x %}", {}, "import"),
        ("{% if name == 'x' %}Hi{% endif %}", {"name": "y"}, "empty message"),
        ("{{ name.first }}", {"name": "Li"}, "uses something undefined"),
        ("{{ 1 // 0 }}", {}, "failed while rendering"),
    ],
)
def test_broken_templates_are_reported_with_the_file_to_fix(
    write: Write, source: str, values: dict[str, str], problem: str
) -> None:
    templates = write({"other.j2": "x", "broken.j2": source})
    with pytest.raises(TemplateInvalid) as caught:
        templates.render("broken", values)
    assert problem in str(caught.value)
    assert caught.value.source == "broken.j2"
    assert str(caught.value).endswith("ask whoever maintains the templates to fix broken.j2.")


def test_a_file_that_is_not_utf8_is_invalid(write: Write) -> None:
    templates = write({"latin.j2": "x"})
    (templates.directory / "latin.j2").write_bytes("caf\xe9 {{ x }}".encode("latin-1"))
    with pytest.raises(TemplateInvalid, match="cannot be read"):
        templates.info("latin")


# --------------------------------------------------------------------------- sandbox


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__ }}",
        "{{ name.__class__.__base__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{% if ''.__class__ %}x{% endif %}",
        "{{ 'x' * 100000 }}",
        "{{ [0] * 100000 }}",
        "{{ 100000 * 'x' }}",
        "{{ 10 ** 100000 }}",
        "{{ (10 ** 1000) ** 1000 }}",
        "{% for i in range(1000000) %}{% endfor %}",
    ],
)
def test_sandbox_escapes_are_refused(write: Write, source: str) -> None:
    templates = write({"evil.j2": "{# description: malicious #}\n" + source})
    values = {"name": "Li"} if "name" in templates.info("evil").variables else {}
    with pytest.raises(TemplateUnsafe) as caught:
        templates.render("evil", values)
    assert caught.value.template == "evil"
    assert "was stopped by the sandbox" in str(caught.value)
    assert "evil.j2" in str(caught.value)


def test_sandbox_escape_inside_a_card_block_is_refused(write: Write) -> None:
    templates = write({"evil.j2": "{% block header %}{{ ''.__class__.__mro__ }}{% endblock %}"})
    with pytest.raises(TemplateUnsafe, match="__class__"):
        templates.render("evil", {})


def test_ordinary_arithmetic_and_repetition_still_work(write: Write) -> None:
    templates = write(
        {"math.j2": "{{ 2 ** 10 }} {{ '-' * 3 }} {{ 3 * 4 }} {{ 1 ** 10**9 }} {{ range(3)|sum }}"}
    )
    assert templates.render("math", {}) == TextMessage("1024 --- 12 1 3")


# --------------------------------------------------------------------------- errors


def test_every_error_is_a_template_error_with_one_sentence() -> None:
    errors: list[TemplateError] = [
        TemplateNotFound("x", ["a", "b"]),
        TemplateNotFound("x", ["a"], language="fr", languages=("ja",)),
        MissingVariables("t", ["b", "a"]),
        UnknownVariables("t", ["z"], ["a"]),
        TemplateUnsafe("t", "t.j2", "access to attribute '__class__' of 'str' object is unsafe."),
        TemplateInvalid("t", "t.j2", "of a syntax error on line 1: unexpected end"),
        CardInvalid("t", "url", "must be a full http(s) address."),
    ]
    for error in errors:
        assert isinstance(error, TemplateError)
        text = str(error)
        assert text[0].isupper() and text.endswith((".", "?")), text
        assert "\n" not in text
        assert ".." not in text
