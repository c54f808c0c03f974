"""The /desk command-text parser: Slack's escaping undone, quotes of every kind, key=value."""

from __future__ import annotations

import re

import pytest

from handlers.parsing import (
    ParseError,
    Token,
    mention_user_id,
    parse_assignments,
    split_args,
    unslack,
)


def slack_escape(typed: str) -> str:
    """What Slack sends for text a supervisor typed (no links or mentions in it)."""
    return typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str | None = None) -> str:
    """How Slack delivers a link: `&` in the URL escaped, optionally labelled."""
    escaped = slack_escape(url)
    return f"<{escaped}>" if label is None else f"<{escaped}|{slack_escape(label)}>"


def texts(tokens: list[Token]) -> list[str]:
    return [token.text for token in tokens]


# --------------------------------------------------------------------------- unslack


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "plain words",
        "Tom & Jerry",
        "a <b> tag",
        "5 > 3 < 4",
        "&lt;",
        "&amp;lt;",
        "&amp;",
        "&gt;&lt;&amp;",
        "&&&;;;",
        "&unknown; &#60; &quot;",
        "订单 & 退款 <加急>",
        "您好，李女士",
        "{{ 7*7 }} {% for %}",
        "  spaced   out  ",
    ],
)
def test_escaping_round_trips(typed: str) -> None:
    assert unslack(slack_escape(typed)) == typed


@pytest.mark.parametrize(
    ("escaped", "typed"),
    [
        ("&amp;lt;", "&lt;"),
        ("&amp;gt;", "&gt;"),
        ("&amp;amp;", "&amp;"),
        ("&lt;&gt;", "<>"),
        ("a&amp;b", "a&b"),
    ],
)
def test_entities_are_decoded_once_in_the_right_order(escaped: str, typed: str) -> None:
    assert unslack(escaped) == typed


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://example.com/orders?id=1&page=2",
        "http://shop.example.cn/商品/1",
        "https://example.com/search?q=<a>&b",
    ],
)
def test_links_with_and_without_labels_give_back_the_url(url: str) -> None:
    assert unslack(slack_link(url)) == url
    assert unslack(slack_link(url, url)) == url
    assert unslack(slack_link(url, "some label & more")) == url
    assert unslack(f"see {slack_link(url, url)} now &amp; then") == f"see {url} now & then"


def test_a_bare_domain_comes_back_with_the_scheme_slack_added() -> None:
    # The supervisor typed example.com; Slack linked it as http://example.com. The URL is kept.
    assert unslack("<http://example.com|example.com>") == "http://example.com"


@pytest.mark.parametrize(
    ("escaped", "typed"),
    [
        ("<mailto:li@example.com|li@example.com>", "li@example.com"),
        ("<mailto:li@example.com>", "li@example.com"),
        ("<MAILTO:li@example.com|li@example.com>", "li@example.com"),
        ("<@U123ABC|jane>", "@jane"),
        ("<@U123ABC|Jane Doe>", "@Jane Doe"),
        ("<@U123ABC>", "<@U123ABC>"),
        ("<@U123ABC|>", "<@U123ABC|>"),
        ("<#C123|night-shift>", "#night-shift"),
        ("<#C123>", "<#C123>"),
        ("<!here>", "@here"),
        ("<!here|here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!subteam^S123|@ops>", "@ops"),
        ("<!subteam^S123>", "<!subteam^S123>"),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014"),
        ("ask <@U1|jane> &amp; <@U2|li> in <#C1|ops>", "ask @jane & @li in #ops"),
        ("<@U1|a &amp; b>", "@a & b"),
    ],
)
def test_mentions_channels_specials_and_mail(escaped: str, typed: str) -> None:
    assert unslack(escaped) == typed


# --------------------------------------------------------------------------- split_args


@pytest.mark.parametrize("text", ["", " ", "   \t\n  ", "\u3000"])
def test_empty_text_has_no_tokens(text: str) -> None:
    assert split_args(text) == []


def test_words_are_split_on_any_run_of_spaces() -> None:
    assert texts(split_args("  who   8001\t 8002\n8003  ")) == ["who", "8001", "8002", "8003"]


def test_chinese_text_and_the_ideographic_space() -> None:
    tokens = split_args("who 夜班组\u3000客服 “夜班 二组”")
    assert texts(tokens) == ["who", "夜班组", "客服", "夜班 二组"]
    assert [token.quoted for token in tokens] == [False, False, False, True]


@pytest.mark.parametrize(
    "quoted",
    [
        '"Night Shift"',
        "'Night Shift'",
        "“Night Shift”",
        "‘Night Shift’",
        "”Night Shift”",
        "“Night Shift“",
        "„Night Shift“",
        "’Night Shift’",
    ],
)
def test_every_kind_of_quote_groups_words(quoted: str) -> None:
    assert split_args(f"who {quoted} now") == [
        Token("who"),
        Token("Night Shift", quoted=True),
        Token("now"),
    ]


def test_quotes_inside_other_quotes_are_kept() -> None:
    assert split_args("\"it's 'fine'\" 'say \"hi\"' “a ‘b’ c”") == [
        Token("it's 'fine'", quoted=True),
        Token('say "hi"', quoted=True),
        Token("a ‘b’ c", quoted=True),
    ]


def test_apostrophes_inside_words_are_not_quotes() -> None:
    assert texts(split_args("topic=the order’s refund it's fine")) == [
        "topic=the",
        "order’s",
        "refund",
        "it's",
        "fine",
    ]


def test_a_quote_closes_only_before_a_space_or_the_end() -> None:
    assert split_args("'Jane's shop' ‘Li’s order’") == [
        Token("Jane's shop", quoted=True),
        Token("Li’s order", quoted=True),
    ]


def test_empty_quotes_are_an_empty_token() -> None:
    assert split_args('groups "" “”') == [
        Token("groups"),
        Token("", quoted=True),
        Token("", quoted=True),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("who “Night Shift", "The quote that opens “Night Shift is never closed."),
        ('who "Night Shift', 'The quote that opens "Night Shift is never closed.'),
        ("who 'Night Shift", "The quote that opens 'Night Shift is never closed."),
        ("who ‘Night Shift", "The quote that opens ‘Night Shift is never closed."),
        ("who “Night Shift’", "The quote that opens “Night Shift’ is never closed."),
        ('who "Night Shift"x', 'The quote that opens "Night Shift"x is never closed.'),
        ("who “Night &amp; Day", "The quote that opens “Night & Day is never closed."),
        ('send s1 note="', 'The quote " at the end is never closed.'),
        ("who “   ", "The quote “ at the end is never closed."),
        (
            "send s1 follow_up topic=“the refund for order 1024 and more",
            "The quote that opens “the refund for order 102… is never closed.",
        ),
    ],
)
def test_unbalanced_quotes_are_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        split_args(text)
    assert str(caught.value) == message


def test_mentions_and_links_stay_one_token_even_with_spaces() -> None:
    tokens = split_args("swap  <@U1|Jane Doe> <@U2>  <https://x.com/a b|the “page>  <#C1|a b>")
    assert texts(tokens) == [
        "swap",
        "<@U1|Jane Doe>",
        "<@U2>",
        "<https://x.com/a b|the “page>",
        "<#C1|a b>",
    ]
    assert tokens[1].value == "@Jane Doe"


def test_a_slack_construct_inside_quotes_does_not_close_them() -> None:
    assert split_args('"see <https://x.com|say" now> please" done') == [
        Token('see <https://x.com|say" now> please', quoted=True),
        Token("done"),
    ]


def test_a_lone_angle_bracket_is_an_ordinary_character() -> None:
    assert texts(split_args("a <b c")) == ["a", "<b", "c"]


def test_token_value_is_what_the_supervisor_typed() -> None:
    [group, link] = split_args("“Night &amp; Day” <https://x.com/?a=1&amp;b=2|x>")
    assert group.text == "Night &amp; Day"
    assert group.value == "Night & Day"
    assert link.value == "https://x.com/?a=1&b=2"


# --------------------------------------------------------------------------- mentions


@pytest.mark.parametrize(
    ("token", "user_id"),
    [
        ("<@U123ABC>", "U123ABC"),
        ("<@U123ABC|jane>", "U123ABC"),
        ("<@U123ABC|Jane Doe>", "U123ABC"),
        ("<@W024BE7LH>", "W024BE7LH"),
        ("  <@U123ABC>  ", "U123ABC"),
        ("@jane", None),
        ("U123ABC", None),
        ("<#C123|general>", None),
        ("<!here>", None),
        ("<@U123ABC", None),
        ("<@u123abc>", None),
        ("x<@U123ABC>", None),
        ("<@U1> <@U2>", None),
        ("", None),
    ],
)
def test_mention_user_id(token: str, user_id: str | None) -> None:
    assert mention_user_id(token) == user_id


# --------------------------------------------------------------------------- assignments


def test_assignments_from_a_whole_send_command() -> None:
    tokens = split_args(
        "send fd8a2e30 follow_up customer_name=“Jane Doe” "
        "\"topic=the refund & more\" ticket='T-1' note=plain"
    )
    assert texts(tokens[:3]) == ["send", "fd8a2e30", "follow_up"]
    assert parse_assignments(tokens[3:]) == {
        "customer_name": "Jane Doe",
        "topic": "the refund & more",
        "ticket": "T-1",
        "note": "plain",
    }


@pytest.mark.parametrize(
    "text",
    [
        'name="Jane Doe"',
        "name='Jane Doe'",
        "name=“Jane Doe”",
        "name=‘Jane Doe’",
        '"name=Jane Doe"',
        "“name=Jane Doe”",
    ],
)
def test_assignment_values_may_be_quoted_every_way(text: str) -> None:
    assert parse_assignments(split_args(text)) == {"name": "Jane Doe"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("formula=a=b", {"formula": "a=b"}),
        ("q==", {"q": "="}),
        ("empty=", {"empty": ""}),
        ('empty=""', {"empty": ""}),
        ("url=<https://x.com/?a=1&amp;b=2>", {"url": "https://x.com/?a=1&b=2"}),
        ("url=<https://x.com/?a=1|https://x.com/?a=1>", {"url": "https://x.com/?a=1"}),
        ("note=&amp;lt;b&amp;gt;", {"note": "&lt;b&gt;"}),
        ("note=“a &lt;b&gt; c”", {"note": "a <b> c"}),
        ("who=<@U1|jane>", {"who": "@jane"}),
        (
            "customer_name=李女士 topic=“订单 1024 的退款”",
            {"customer_name": "李女士", "topic": "订单 1024 的退款"},
        ),
        ("_private=1 Camel2=x", {"_private": "1", "Camel2": "x"}),
        ("template={{7*7}}", {"template": "{{7*7}}"}),
    ],
)
def test_assignment_values(text: str, expected: dict[str, str]) -> None:
    assert parse_assignments(split_args(text)) == expected


def test_assignments_keep_the_order_given() -> None:
    assert list(parse_assignments(split_args("b=1 a=2 c=3"))) == ["b", "a", "c"]


def test_a_template_looking_value_in_quotes_is_kept_literally() -> None:
    assert parse_assignments(split_args("x=“{{ 7*7 }}”")) == {"x": "{{ 7*7 }}"}


def test_no_tokens_no_assignments() -> None:
    assert parse_assignments([]) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name=Jane Doe",
            "“Doe” is not a key=value pair; write it as name=value "
            '(quote values with spaces: name="Jane Doe").',
        ),
        ("<https://x.com/?a=1>", "“https://x.com/?a=1” is not a key=value pair"),
        ("&lt;b&gt;", "“<b>” is not a key=value pair"),
        ('""', "“” is not a key=value pair"),
    ],
)
def test_a_word_without_equals_is_named(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_assignments(split_args(text))
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "key"),
    [("1st=x", "1st"), ("=x", ""), ("na-me=x", "na-me"), ("名字=x", "名字"), ("a&amp;b=x", "a&b")],
)
def test_a_malformed_key_is_named(text: str, key: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_assignments(split_args(text))
    assert str(caught.value).startswith(f"“{key}” in “")
    assert "is not a valid name" in str(caught.value)


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(ParseError) as caught:
        parse_assignments(split_args("topic=a name=b topic=c"))
    assert str(caught.value) == "topic is given more than once; keep only one topic=…."


def test_parse_errors_are_value_errors_with_one_sentence() -> None:
    for text in ["who “x", "name=a name=b", "loose", "1=2"]:
        with pytest.raises(ValueError) as caught:
            parse_assignments(split_args(text))
        assert isinstance(caught.value, ParseError)
        assert re.fullmatch(r"[^\n]+[.)]", str(caught.value))
