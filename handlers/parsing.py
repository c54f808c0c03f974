"""Parse the text of a `/desk` command: pure functions, no Slack objects.

Slack delivers the text escaped: `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`; links,
mentions and channels arrive as `<https://x.com|label>`, `<@U123|jane>`, `<#C123|name>`,
`<!here>`; and some clients turn quotes into smart quotes “ ” ‘ ’. So a raw `<` in the text is
always the start of one of Slack's constructs, never something the supervisor typed.

The pipeline is: `split_args` (tokens that still carry Slack's escaping, so mentions can be
recognised) → `mention_user_id` for agents given as mentions, `Token.value` / `unslack` for
plain words, `parse_assignments` for the `key=value` tail of `/desk send`.

Quoting is deliberately forgiving of apostrophes, which chat text is full of (and which iOS
turns into ’): a quote opens a group only at the start of a word or right after `=`, and
closes only where it is followed by a space or the end of the text. So `order’s` and
`'Jane's shop'` both come out as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ParseError",
    "Token",
    "mention_user_id",
    "parse_assignments",
    "split_args",
    "unslack",
]

# opening quote → the quotes that close it. Straight quotes pair only with themselves; a smart
# quote pairs with either smart quote of its family, since clients and keyboards disagree on
# which of “ and ” to produce (and „ opens in German layouts).
_CLOSING_QUOTES: dict[str, str] = {
    '"': '"',
    "'": "'",
    "“": "“”",
    "”": "“”",
    "„": "“”",
    "‘": "‘’",
    "’": "‘’",
}
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SLACK_CONSTRUCT = re.compile(r"<([^<>]*)>")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_BROADCASTS = frozenset({"here", "channel", "everyone"})
_SNIPPET_LENGTH = 24


class ParseError(ValueError):
    """The command text cannot be understood; `str()` is a sentence a supervisor can act on."""


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the command, quotes removed but Slack's escaping kept.

    `text` keeps `<@U123|jane>` intact so `mention_user_id` can read it; `value` is what the
    supervisor typed. `quoted` tells a deliberate `""` or `"help"` from a bare word.
    """

    text: str
    quoted: bool = False

    @property
    def value(self) -> str:
        return unslack(self.text)


def split_args(text: str) -> list[Token]:
    """Split command text into words, shell-like: quotes group words; spaces separate.

    Slack constructs (`<@U123|Jane Doe>`, `<https://x|a b>`) are always one piece, even with
    spaces or quotes inside. Raises `ParseError` for a quote that is never closed.
    """
    tokens: list[Token] = []
    position, end = 0, len(text)
    while position < end:
        if text[position].isspace():
            position += 1
            continue
        pieces: list[str] = []
        quoted = False
        while position < end and not text[position].isspace():
            character = text[position]
            if character == "<":
                construct_end = _construct_end(text, position)
                pieces.append(text[position:construct_end])
                position = construct_end
            elif character in _CLOSING_QUOTES and (not pieces or pieces[-1].endswith("=")):
                closing = _find_closing_quote(text, position)
                pieces.append(text[position + 1 : closing])
                quoted = True
                position = closing + 1
            else:
                pieces.append(character)
                position += 1
        tokens.append(Token("".join(pieces), quoted))
    return tokens


def _construct_end(text: str, start: int) -> int:
    """Index just past the Slack construct starting at `text[start] == "<"`.

    A `<` without a `>` cannot come from Slack (it escapes a typed one), so it is kept as a
    plain character rather than swallowing the rest of the command.
    """
    closing = text.find(">", start + 1)
    return start + 1 if closing == -1 else closing + 1


def _find_closing_quote(text: str, opening: int) -> int:
    """Index of the quote closing the one at `opening`: a matching quote followed by a
    space or the end of the text, skipping over Slack constructs."""
    closers = _CLOSING_QUOTES[text[opening]]
    position, end = opening + 1, len(text)
    while position < end:
        character = text[position]
        if character == "<":
            position = _construct_end(text, position)
            continue
        if character in closers and (position + 1 == end or text[position + 1].isspace()):
            return position
        position += 1
    quote = text[opening]
    rest = unslack(text[opening + 1 :]).strip()
    if not rest:
        raise ParseError(f"The quote {quote} at the end is never closed.")
    if len(rest) > _SNIPPET_LENGTH:
        rest = rest[:_SNIPPET_LENGTH].rstrip() + "…"
    raise ParseError(f"The quote that opens {quote}{rest} is never closed.")


def unslack(text: str) -> str:
    """Undo Slack's escaping, giving back what the supervisor typed.

    - `&lt;` `&gt;` `&amp;` → `<` `>` `&`, in one pass, so `&amp;lt;` → `&lt;`.
    - Links → the URL, since the supervisor typed the address and Slack added the label:
      `<https://x.com|x.com>` → `https://x.com` (a bare `x.com` thus gains Slack's `http://`,
      which a card link needs anyway); `<mailto:a@b.c|a@b.c>` → `a@b.c`.
    - `<@U123|jane>` → `@jane`, `<#C123|general>` → `#general`: the name is what was typed.
      Without a label (`<@U123>`, `<#C123>`) the ID is all there is, so the construct is kept.
    - `<!here>`, `<!channel>`, `<!everyone>` → `@here` …; other specials (`<!subteam^S1|@ops>`,
      `<!date^…|fallback>`) → their label, or kept as they are when they have none.
    """
    pieces: list[str] = []
    position = 0
    for match in _SLACK_CONSTRUCT.finditer(text):
        pieces.append(_decode_entities(text[position : match.start()]))
        pieces.append(_unslack_construct(match.group(0), match.group(1)))
        position = match.end()
    pieces.append(_decode_entities(text[position:]))
    return "".join(pieces)


def _decode_entities(text: str) -> str:
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], text)


def _unslack_construct(construct: str, inside: str) -> str:
    target, has_label, label = inside.partition("|")
    label = _decode_entities(label)
    if target.startswith("@"):
        return f"@{label}" if has_label and label else construct
    if target.startswith("#"):
        return f"#{label}" if has_label and label else construct
    if target.startswith("!"):
        keyword = target[1:]
        if keyword in _BROADCASTS:
            return f"@{keyword}"
        if has_label and label:
            return label
        return construct
    address = _decode_entities(target)
    if address.lower().startswith("mailto:"):
        return address[len("mailto:") :]
    return address


def mention_user_id(token: str) -> str | None:
    """The user ID of a Slack mention token: `<@U123ABC|jane>` → "U123ABC"; else None."""
    match = _USER_MENTION.fullmatch(token.strip())
    return match.group(1) if match else None


def parse_assignments(tokens: Iterable[Token]) -> dict[str, str]:
    """`key=value` tokens → {key: value}, values unslacked (what the supervisor typed).

    Values may be quoted (`name="Jane Doe"`, `name=“Jane Doe”`, `"name=Jane Doe"`) and may
    contain `=` (only the first one separates). Keys are identifiers, as template variables
    are. Raises `ParseError` for a word without `=`, a malformed key, or a key given twice,
    since guessing which one was meant would put words in a customer's chat.
    """
    assignments: dict[str, str] = {}
    for token in tokens:
        separator = _assignment_separator(token.text)
        if separator is None:
            raise ParseError(
                f"“{token.value}” is not a key=value pair; write it as name=value "
                '(quote values with spaces: name="Jane Doe").'
            )
        key, raw_value = token.text[:separator], token.text[separator + 1 :]
        if not _KEY.fullmatch(key):
            raise ParseError(
                f"“{unslack(key)}” in “{token.value}” is not a valid name; names start with "
                "a letter or _ and contain only letters, digits and _."
            )
        if key in assignments:
            raise ParseError(f"{key} is given more than once; keep only one {key}=….")
        assignments[key] = unslack(raw_value)
    return assignments


def _assignment_separator(text: str) -> int | None:
    """Index of the first `=` outside Slack constructs: `<https://x?a=1>` is not key=value."""
    position, end = 0, len(text)
    while position < end:
        if text[position] == "<":
            position = _construct_end(text, position)
        elif text[position] == "=":
            return position
        else:
            position += 1
    return None
