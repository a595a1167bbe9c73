"""argparse in the reader's language: its own texts ("usage:", "error:", "the following arguments
are required", "invalid choice", "show this help message and exit" …) from the catalogues, every
option's default in its help, and help text wrapped by display width (a Chinese character takes
two columns of a terminal; argparse's textwrap counts it as one).

argparse looks its texts up through `gettext` at the moment it uses them (module functions `_`
and `ngettext`); `speaking(t)` answers those look-ups from the catalogue while the parser is built
and used, then puts gettext back.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import wcwidth

from locales import Translator

# argparse's message ids that a user of `tepai` can meet, and their catalogue keys. Those that only
# a programmer's mistake reaches (a conflicting option, a bad `dest`…) stay in English.
MESSAGES: dict[str, str] = {
    "usage: ": "argparse.usage",
    "positional arguments": "argparse.positionals",
    "options": "argparse.options",
    "show this help message and exit": "argparse.help",
    "show program's version number and exit": "argparse.version",
    "subcommands": "argparse.subcommands",
    "argument %(argument_name)s: %(message)s": "argparse.argument",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse.unknown_parser",
    'argument "-" with mode %r': "argparse.dash_mode",
    "can't open '%(filename)s': %(error)s": "argparse.cant_open",
    "unrecognized arguments: %s": "argparse.unrecognized",
    "not allowed with argument %s": "argparse.not_allowed_with",
    "ignored explicit argument %r": "argparse.ignored_explicit",
    "the following arguments are required: %s": "argparse.required",
    "one of the arguments %s is required": "argparse.one_required",
    "expected one argument": "argparse.expected_one",
    "expected at most one argument": "argparse.expected_at_most_one",
    "expected at least one argument": "argparse.expected_at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "argparse.ambiguous",
    "unexpected option string: %s": "argparse.unexpected_option",
    "invalid %(type)s value: %(value)r": "argparse.invalid_value",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse.invalid_choice",
    "%(prog)s: error: %(message)s\n": "argparse.error",
}
PLURAL_MESSAGES: dict[str, str] = {  # singular message id: key (`<key>_one`, `<key>_other`)
    "expected %s argument": "argparse.expected_n",
}


@contextmanager
def speaking(t: Translator) -> Iterator[None]:
    """argparse's own texts in `t`'s language inside the block."""

    def gettext(message: str) -> str:
        key = MESSAGES.get(message)
        return t(key) if key else message

    def ngettext(singular: str, plural: str, n: int) -> str:
        key = PLURAL_MESSAGES.get(singular)
        if key is None:
            return singular if n == 1 else plural
        return t(f"{key}_one" if n == 1 else f"{key}_other")

    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class CatalogueHelpFormatter(argparse.HelpFormatter):
    """Shows each option's default ("（默认：10）") and wraps by display width."""

    default_text = " (default: %(default)s)"  # replaced by the catalogue's in `formatter(t)`
    heading_colon = ":"  # likewise ("选项：" in Chinese, where argparse writes "选项:")

    def start_section(self, heading: str | None) -> None:
        self._headings = [*getattr(self, "_headings", []), heading]
        super().start_section(heading)

    def format_help(self) -> str:
        text = super().format_help()
        for heading in filter(None, getattr(self, "_headings", [])):
            text = text.replace(f"\n{heading}:\n", f"\n{heading}{self.heading_colon}\n")
        return text

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if _shows_default(action) and "%(default)" not in help_text:
            help_text += self.default_text
        return help_text

    def _format_usage(self, usage, actions, groups, prefix) -> str:  # noqa: ANN001 - argparse's signature
        # argparse indents the usage's next lines by len("用法：tepai …"); "用法：" takes 6 columns, not 3.
        shown = prefix if prefix is not None else argparse._("usage: ")  # noqa: SLF001 - as argparse does
        extra = " " * (wcwidth.width(shown) - len(shown))
        self._width -= len(extra)  # so the lines still fit once moved right
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += len(extra)
        first, *rest = text.split("\n")
        return "\n".join([first, *(f"{extra}{line}" if line.startswith(" ") else line for line in rest)])

    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return text.split("\n", 1)[1]  # the commands, without a line repeating the group's title
        return text

    def _iter_indented_subactions(self, action: argparse.Action) -> Iterator[argparse.Action]:
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            # At the section's indent, where argparse measured their names (indented one step more,
            # a long name like "disqualify" no longer fits beside its help).
            yield from action._get_subactions()  # noqa: SLF001
        else:
            yield from super()._iter_indented_subactions(action)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wcwidth.wrap(self._whitespace_matcher.sub(" ", text).strip(), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        # Descriptions keep their own line breaks (examples); each line is wrapped by display width.
        return "\n".join(wrapped for line in text.splitlines()
                         for wrapped in (wcwidth.wrap(line, width, initial_indent=indent, subsequent_indent=indent)
                                         or [indent]))


def _shows_default(action: argparse.Action) -> bool:
    """A default worth saying: not for flags, nor when leaving the option out means "none"."""
    if action.help in (None, argparse.SUPPRESS) or action.default in (None, "", argparse.SUPPRESS):
        return False
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction,  # noqa: SLF001
                           argparse._HelpAction, argparse._VersionAction)):  # noqa: SLF001
        return False
    return bool(action.option_strings)


def formatter(t: Translator) -> type[CatalogueHelpFormatter]:
    """The help formatter class for `t`'s language (argparse instantiates it itself)."""
    return type("HelpFormatter", (CatalogueHelpFormatter,), {"default_text": t("argparse.default"),
                                                             "heading_colon": t("argparse.heading_colon")})
