"""Customer message templates: what `/desk send` drops into a Tencent IM Desk chat.

A template NAME is the file `templates/messages/NAME.j2`; per-language variants live in
`templates/messages/<lang>/NAME.j2` with Tencent's language codes (zh, en, zh-TW, ja, ko, …).
Templates are written by the team, but the values come from a supervisor's Slack command and
the result goes to a customer, so rendering is strict and sandboxed:

- jinja2's `SandboxedEnvironment` with `StrictUndefined`; autoescape is off because the
  output is plain chat text, not HTML; the output is stripped.
- A template's variables are read from its AST with `jinja2.meta`, so every variable must be
  supplied (a blank value counts as missing: a customer should never read "Dear ,"), and a
  value the template does not use is refused rather than silently dropped (usually a typo).
- Values are data: `{{ 7*7 }}` typed by a supervisor reaches the customer as those characters.
- Templates must be self-contained (no include/extends/import): the variables of another
  file would be invisible to `jinja2.meta`, and `/desk templates` could not list them.

Two kinds of template:

- **text**: the whole template is the message → `TextMessage`.
- **card**: the template defines jinja blocks named `header`, `desc`, `pic`, `url` (header
  required, the others optional) → `CardMessage`, the Desk product card. Each block is rendered
  on its own; text outside the blocks would be lost, so it is refused.

Each template starts with a comment; its `description:` line (or else its first line) is the
one line shown to supervisors, and `variable: hint` lines explain the variables::

    {#
    description: Follow up on a question the customer asked earlier.
    customer_name: how to address the customer, e.g. Ms. Li
    #}

Exceptions (every `str()` is one sentence a supervisor can act on)::

    TemplateError
    ├── TemplateNotFound    no such template, or none in a usable language
    ├── MissingVariables    values the template needs were not given (or were blank)
    ├── UnknownVariables    values the template does not use were given
    ├── TemplateUnsafe      the sandbox refused something the template tried
    ├── TemplateInvalid     the template file itself is broken (syntax, structure, runtime)
    └── CardInvalid         the rendered card breaks the Desk card rules (header, URLs)
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from jinja2 import FileSystemLoader, StrictUndefined, meta, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, safe_range

from bot.models import CardMessage, RenderedMessage, TextMessage

__all__ = [
    "CARD_FIELDS",
    "DEFAULT_TEMPLATE_DIRECTORY",
    "CardInvalid",
    "MessageTemplates",
    "MissingVariables",
    "TemplateError",
    "TemplateInfo",
    "TemplateInvalid",
    "TemplateNotFound",
    "TemplateUnsafe",
    "UnknownVariables",
]

DEFAULT_TEMPLATE_DIRECTORY = Path(__file__).resolve().parents[1] / "templates" / "messages"
TEMPLATE_SUFFIX = ".j2"
CARD_FIELDS: tuple[str, ...] = ("header", "desc", "pic", "url")
# Languages tried when the caller's language (and its base) has no variant; the top-level
# NAME.j2 comes first, then these, in this order.
FALLBACK_LANGUAGES: tuple[str, ...] = ("en", "zh")

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_HINT_LINE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*\S)\s*")
# Sandbox limits on top of jinja's: a template must not be able to exhaust memory or CPU
# with `'x' * 10**9`, `(10**1000)**1000` or `range(10**9)`. A message is at most 12 KB anyway.
_MAX_REPEATED_LENGTH = 12 * 1024
_MAX_POWER_BITS = 100_000

TemplateKind = Literal["text", "card"]
# NAME → {language folder, or None for the top-level file → loader name "en/NAME.j2"}
TemplateIndex = Mapping[str, Mapping[str | None, str]]


# --------------------------------------------------------------------------- errors


class TemplateError(Exception):
    """Base of every template problem; `str()` is one sentence a supervisor can act on."""


class TemplateNotFound(TemplateError):
    """No template called `name`; or, with `language`, none usable for that language."""

    def __init__(
        self,
        name: str,
        available: list[str],
        *,
        language: str | None = None,
        languages: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.available = available
        self.language = language
        self.languages = languages
        if language is not None:
            message = (
                f"Template {name} has no {language} text and no English or Chinese fallback; "
                f"it is written in {_join(languages, 'or')}, so pass lang={languages[0]}."
            )
        elif not available:
            message = (
                f"There is no message template called {name!r}, and no templates are installed."
            )
        else:
            close = difflib.get_close_matches(name, available, n=1)
            suggestion = f" (did you mean {close[0]}?)" if close else ""
            message = (
                f"There is no message template called {name!r}{suggestion}; "
                f"the templates are: {', '.join(available)}."
            )
        super().__init__(message)


class MissingVariables(TemplateError):
    """The template needs values that were not given, or were given blank."""

    def __init__(self, template: str, missing: list[str]) -> None:
        self.template = template
        self.missing = sorted(missing)
        example = " ".join(f'{variable}="…"' for variable in self.missing)
        super().__init__(
            f"Template {template} needs a value for {_join(self.missing)}; add {example}."
        )


class UnknownVariables(TemplateError):
    """Values were given that the template does not use (usually a typo in the key)."""

    def __init__(self, template: str, unknown: list[str], accepted: list[str]) -> None:
        self.template = template
        self.unknown = sorted(unknown)
        self.accepted = sorted(accepted)
        suggestions = sorted(
            {
                match
                for variable in self.unknown
                for match in difflib.get_close_matches(variable, self.accepted, n=1)
            }
        )
        hint = f" (did you mean {_join(suggestions, 'or')}?)" if suggestions else ""
        takes = f"it takes {_join(self.accepted)}" if self.accepted else "it takes no variables"
        super().__init__(f"Template {template} does not use {_join(self.unknown)}{hint}; {takes}.")


class TemplateUnsafe(TemplateError):
    """The sandbox refused something the template tried, such as reaching `__class__`."""

    def __init__(self, template: str, source: str, detail: str) -> None:
        self.template = template
        self.source = source
        self.detail = detail
        super().__init__(
            f"Template {template} was stopped by the sandbox ({detail.rstrip('.')}); "
            f"ask whoever maintains the templates to fix {source}."
        )


class TemplateInvalid(TemplateError):
    """The template file is broken: syntax, structure, or it failed while rendering."""

    def __init__(self, template: str, source: str, problem: str) -> None:
        self.template = template
        self.source = source
        self.problem = problem
        super().__init__(
            f"Template {template} cannot be used because {problem.rstrip('.')}; "
            f"ask whoever maintains the templates to fix {source}."
        )


class CardInvalid(TemplateError):
    """The rendered card would be refused or broken in the Desk UI."""

    def __init__(
        self, template: str, card_field: str, problem: str, variables: tuple[str, ...] = ()
    ) -> None:
        self.template = template
        self.field = card_field
        self.problem = problem
        self.variables = variables
        # Name the values that fill the field: the supervisor typed order_url=, not url=.
        source = f"; it comes from {_join(variables)}" if variables else ""
        super().__init__(f"The {card_field} of card {template} {problem.rstrip('.')}{source}.")


def _join(items: list[str] | tuple[str, ...], conjunction: str = "and") -> str:
    """`a`, `a and b`, `a, b and c`: lists inside one readable sentence."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class TemplateInfo:
    """What `/desk templates` shows: one entry per template NAME across its languages.

    `languages` lists the language folders holding a variant (a top-level NAME.j2 is not a
    language and is not listed). `hints` maps a variable to the explanation its template
    comment gives, when it gives one.
    """

    name: str
    kind: TemplateKind
    description: str
    variables: tuple[str, ...]
    languages: tuple[str, ...]
    hints: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Variant:
    """One template file, analysed: the facts `info()` and `render()` need."""

    name: str
    language: str | None
    source: str  # loader name, relative to the templates directory: "en/follow_up.j2"
    kind: TemplateKind
    description: str
    variables: frozenset[str]
    hints: Mapping[str, str]
    # card field → the variables its block uses, to name them when the field is invalid
    block_variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# --------------------------------------------------------------------------- sandbox


class _MessageSandbox(SandboxedEnvironment):
    """jinja2's sandbox, plus limits on `*`, `**` and `range` so a template cannot exhaust
    memory or CPU; every refusal is a `SecurityError`, which `render()` reports as unsafe."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _bounded_range

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for sequence, times in ((left, right), (right, left)):
                if (
                    isinstance(sequence, str | list | tuple)
                    and isinstance(times, int)
                    and len(sequence) * times > _MAX_REPEATED_LENGTH
                ):
                    raise SecurityError(
                        f"repeating a value to more than {_MAX_REPEATED_LENGTH} items is not allowed"
                    )
        if (
            operator_name == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and left.bit_length() * abs(right) > _MAX_POWER_BITS
        ):
            raise SecurityError(f"powers above {_MAX_POWER_BITS} bits are not allowed")
        return super().call_binop(context, operator_name, left, right)


def _bounded_range(*arguments: int) -> range:
    """jinja's `safe_range` (at most MAX_RANGE items), refusing as a sandbox violation."""
    try:
        return safe_range(*arguments)
    except OverflowError as error:
        raise SecurityError(str(error)) from error


# --------------------------------------------------------------------------- templates


class MessageTemplates:
    """The customer message templates of one directory: list, describe, resolve and render.

    The directory is scanned on every call (it holds a handful of files), and each file's
    analysis is cached by modification time, so edited templates take effect without a
    restart. Names and languages are only ever looked up in the scanned index, never joined
    into a path, so `../x` or `/etc/passwd` simply is not found.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else DEFAULT_TEMPLATE_DIRECTORY
        self._environment = _MessageSandbox(
            loader=FileSystemLoader(self.directory, encoding="utf-8"),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._analysed: dict[str, tuple[tuple[int, int], _Variant]] = {}

    # ------------------------------------------------------------------ public

    def list(self) -> list[TemplateInfo]:
        """Every template, sorted by name. A broken template file raises `TemplateInvalid`."""
        index = self._index()
        return [self._info(index, name, None) for name in sorted(index)]

    def info(self, name: str, *, language: str | None = None) -> TemplateInfo:
        """One template; `language` picks whose description and hints are shown."""
        index = self._index()
        return self._info(index, _canonical_name(index, name), language)

    def resolve_language(self, name: str, language: str | None) -> str | None:
        """The variant `render()` uses: a language folder name ("zh-TW"), or None for NAME.j2.

        With a language: that language, its base (zh-TW → zh), the top-level NAME.j2, then
        English, then Chinese; if none exists, `TemplateNotFound` rather than a language the
        customer may not read. Without a preference: top-level, English, Chinese, then the
        first other language, since there is nothing better to go on.
        """
        index = self._index()
        return _resolve(index, _canonical_name(index, name), language)

    def render(
        self, name: str, values: Mapping[str, str], *, language: str | None = None
    ) -> RenderedMessage:
        """Render `name` with `values` for a customer who reads `language` (None: no preference).

        Checks, in this order: the template exists; every variant agrees on kind and
        variables; no unknown keys (a typo is the likeliest mistake, and its "did you mean"
        explains the missing value too); no missing or blank values; the output is non-empty
        and, for a card, a valid card.
        """
        index = self._index()
        canonical = _canonical_name(index, name)
        variants = self._consistent_variants(canonical, index[canonical])
        variant = variants[_resolve(index, canonical, language)]
        unknown = [key for key in values if key not in variant.variables]
        if unknown:
            raise UnknownVariables(canonical, unknown, sorted(variant.variables))
        missing = [
            variable
            for variable in variant.variables
            if variable not in values or not str(values[variable]).strip()
        ]
        if missing:
            raise MissingVariables(canonical, missing)
        context = {variable: values[variable] for variable in variant.variables}
        if variant.kind == "card":
            return self._render_card(variant, context)
        text = self._run(variant, lambda template: template.render(context)).strip()
        if not text:
            raise TemplateInvalid(canonical, variant.source, "it renders an empty message")
        return TextMessage(text)

    def _info(self, index: TemplateIndex, canonical: str, language: str | None) -> TemplateInfo:
        variants = self._consistent_variants(canonical, index[canonical])
        chosen = variants[_resolve(index, canonical, language)]
        return TemplateInfo(
            name=canonical,
            kind=chosen.kind,
            description=chosen.description,
            variables=tuple(sorted(chosen.variables)),
            languages=tuple(sorted(lang for lang in variants if lang is not None)),
            hints=dict(chosen.hints),
        )

    # ------------------------------------------------------------------ rendering

    def _render_card(self, variant: _Variant, context: dict[str, str]) -> CardMessage:
        def render_blocks(template: Any) -> dict[str, str]:
            jinja_context = template.new_context(context)
            return {
                block: "".join(template.blocks[block](jinja_context)).strip()
                if block in template.blocks
                else ""
                for block in CARD_FIELDS
            }

        card = self._run(variant, render_blocks)
        if not card["header"]:
            raise CardInvalid(variant.name, "header", "is empty; a card needs a title.")
        for card_field in ("url", "pic"):
            if card[card_field] and not _is_http_url(card[card_field]):
                raise CardInvalid(
                    variant.name,
                    card_field,
                    f"must be a full http(s) address such as https://example.com/…, "
                    f"not {card[card_field]!r}.",
                    variant.block_variables.get(card_field, ()),
                )
        return CardMessage(
            header=card["header"], desc=card["desc"], pic=card["pic"], url=card["url"]
        )

    def _run(self, variant: _Variant, action: Callable[[Any], Any]) -> Any:
        """Load the compiled template and run `action` on it, turning failures into ours."""
        try:
            return action(self._environment.get_template(variant.source))
        except SecurityError as error:
            raise TemplateUnsafe(variant.name, variant.source, str(error)) from error
        except UndefinedError as error:
            raise TemplateInvalid(
                variant.name, variant.source, f"it uses something undefined ({error})"
            ) from error
        except Exception as error:
            # Template code is arbitrary: any failure inside it is the template's fault.
            raise TemplateInvalid(
                variant.name, variant.source, f"it failed while rendering ({error})"
            ) from error

    # ------------------------------------------------------------------ discovery

    def _index(self) -> dict[str, dict[str | None, str]]:
        """NAME → {language folder or None for top level → loader name}, from the disk."""
        index: dict[str, dict[str | None, str]] = {}
        if not self.directory.is_dir():
            return index
        for name, path in _template_files(self.directory):
            index.setdefault(name, {})[None] = path
        for entry in sorted(os.scandir(self.directory), key=lambda e: e.name):
            if entry.is_dir() and _LANGUAGE.fullmatch(entry.name):
                for name, path in _template_files(Path(entry.path)):
                    index.setdefault(name, {})[entry.name] = f"{entry.name}/{path}"
        return index

    def _consistent_variants(
        self, name: str, sources: Mapping[str | None, str]
    ) -> dict[str | None, _Variant]:
        """All variants of `name`, analysed; they must agree on kind and variables.

        A Chinese customer and an English one get the same `/desk send` line, so a variant
        that takes other variables is a template bug, reported loudly.
        """
        variants = {
            language: self._analyse(name, language, source) for language, source in sources.items()
        }
        reference = next(iter(variants.values()))
        for variant in variants.values():
            if (variant.kind, variant.variables) != (reference.kind, reference.variables):
                raise TemplateInvalid(
                    name,
                    variant.source,
                    f"{variant.source} is a {variant.kind} taking "
                    f"{_join(sorted(variant.variables)) or 'nothing'} while {reference.source} "
                    f"is a {reference.kind} taking {_join(sorted(reference.variables)) or 'nothing'}",
                )
        return variants

    def _analyse(self, name: str, language: str | None, source: str) -> _Variant:
        """Parse one file (cached by mtime and size) into its kind, variables and comment."""
        path = self.directory / source
        try:
            stat = path.stat()
        except OSError as error:
            raise TemplateInvalid(name, source, f"the file cannot be read ({error})") from error
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._analysed.get(source)
        if cached is not None and cached[0] == version:
            return cached[1]
        try:
            text = path.read_text(encoding="utf-8")
            ast = self._environment.parse(text, name=source, filename=str(path))
            leading_comment = _leading_comment(self._environment, text)
        except TemplateSyntaxError as error:
            raise TemplateInvalid(
                name, source, f"of a syntax error on line {error.lineno}: {error.message}"
            ) from error
        except (OSError, UnicodeDecodeError) as error:
            raise TemplateInvalid(name, source, f"the file cannot be read ({error})") from error

        for node_type, what in (
            (nodes.Extends, "extends"),
            (nodes.Include, "include"),
            (nodes.Import, "import"),
            (nodes.FromImport, "import"),
        ):
            if ast.find(node_type) is not None:
                raise TemplateInvalid(
                    name,
                    source,
                    f"it uses {{% {what} %}}; message templates must be self-contained "
                    "so their variables can be listed",
                )
        variables = frozenset(meta.find_undeclared_variables(ast)) - set(self._environment.globals)
        kind = _kind(name, source, ast)
        description, hints = _describe(leading_comment, variables)
        variant = _Variant(
            name=name,
            language=language,
            source=source,
            kind=kind,
            description=description,
            variables=variables,
            hints=hints,
            block_variables={
                block.name: tuple(
                    sorted(
                        {node.name for node in block.find_all(nodes.Name) if node.ctx == "load"}
                        & variables
                    )
                )
                for block in ast.find_all(nodes.Block)
            },
        )
        self._analysed[source] = (version, variant)
        return variant


# --------------------------------------------------------------------------- helpers


def _canonical_name(index: TemplateIndex, name: str) -> str:
    """The index key for `name` (case-insensitive), or `TemplateNotFound`, also for paths."""
    canonical = name.strip().lower()
    if not _NAME.fullmatch(canonical) or canonical not in index:
        raise TemplateNotFound(name, sorted(index))
    return canonical


def _resolve(index: TemplateIndex, name: str, language: str | None) -> str | None:
    """The variant of `name` to use for `language`; see `MessageTemplates.resolve_language`."""
    available = index[name]
    by_key = {_language_key(lang): lang for lang in available if lang is not None}
    shown = language.strip() if language is not None else ""
    requested = _language_key(shown) if shown else None
    candidates: list[str | None] = []
    if requested is not None:
        candidates += [requested, requested.split("-", 1)[0]]
    candidates += [None, *FALLBACK_LANGUAGES]
    for candidate in candidates:
        if candidate is None:
            if None in available:
                return None
        elif candidate in by_key:
            return by_key[candidate]
    languages = tuple(sorted(by_key.values()))
    if requested is not None:
        raise TemplateNotFound(name, sorted(index), language=shown, languages=languages)
    return languages[0]


def _template_files(folder: Path) -> list[tuple[str, str]]:
    """(NAME, file name) of every well-named `*.j2` file directly in `folder`."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if not entry.is_file() or not entry.name.endswith(TEMPLATE_SUFFIX):
            continue
        name = entry.name[: -len(TEMPLATE_SUFFIX)]
        if _NAME.fullmatch(name):
            found.append((name, entry.name))
    return found


def _language_key(language: str) -> str:
    """Compare languages as Tencent writes them, forgiving case and `_`: zh_tw == zh-TW."""
    return language.strip().replace("_", "-").casefold()


def _kind(name: str, source: str, ast: nodes.Template) -> TemplateKind:
    """A template with blocks is a card; its blocks must be card fields, header included."""
    blocks = [block.name for block in ast.find_all(nodes.Block)]
    if not blocks:
        return "text"
    strangers = sorted(set(blocks) - set(CARD_FIELDS))
    if strangers:
        raise TemplateInvalid(
            name,
            source,
            f"it defines block {_join(strangers)}, but a card has only the blocks "
            f"{_join(CARD_FIELDS)}",
        )
    if "header" not in blocks:
        raise TemplateInvalid(name, source, "it is a card without a header block")
    for node in ast.body:
        if isinstance(node, nodes.Block):
            continue
        if isinstance(node, nodes.Output) and all(
            isinstance(part, nodes.TemplateData) and not part.data.strip() for part in node.nodes
        ):
            continue
        raise TemplateInvalid(
            name,
            source,
            f"it has content outside the card blocks on line {node.lineno}, which would be lost",
        )
    return "card"


def _leading_comment(environment: SandboxedEnvironment, text: str) -> str | None:
    """The text of the comment the template starts with (after whitespace), if any.

    Uses jinja's own lexer, so custom delimiters and `{#-` trimming are understood.
    """
    tokens = iter(environment.lex(text))
    for _lineno, token_type, value in tokens:
        if token_type == "data" and not value.strip():
            continue
        if token_type != "comment_begin":
            return None
        for _lineno, inner_type, inner_value in tokens:
            if inner_type == "comment":
                return inner_value
            if inner_type == "comment_end":
                return ""
        return None
    return None


def _describe(comment: str | None, variables: frozenset[str]) -> tuple[str, dict[str, str]]:
    """(description, variable hints) from the leading comment.

    The description is the `description:` line, or else the comment's first line; lines
    `variable: hint` naming one of the template's variables are hints; other lines are notes.
    """
    if not comment:
        return "", {}
    lines = [line.strip() for line in comment.strip().splitlines() if line.strip()]
    description = next(
        (
            line.partition(":")[2].strip()
            for line in lines
            if line.lower().startswith("description:")
        ),
        None,
    )
    if description is None:
        description = lines[0] if lines else ""
    hints: dict[str, str] = {}
    for line in lines:
        match = _HINT_LINE.fullmatch(line)
        if match and match.group(1) in variables and not line.lower().startswith("description:"):
            hints.setdefault(match.group(1), match.group(2))
    return description, hints


def _is_http_url(value: str) -> bool:
    """A full http(s) address with a host and no spaces: what the Desk card can open."""
    if any(character.isspace() for character in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
