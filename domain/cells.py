"""Cleaning what people type into spreadsheet cells: codes and phone numbers. Pure.

Codes (编号, 单位编号, 企业编号, 特派员编号…) are compared exactly, so a code copied from a web page
or a Word table with a byte-order mark, a zero-width space or full-width letters ("Ｃ００１") must
come out as the code it looks like. Phone numbers are stored in one form, whatever the separators.
"""
from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Characters that print as nothing: byte-order mark, zero-width space/joiners, word joiner, soft hyphen.
INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)


def visible_text(text: str) -> str:
    """`text` without invisible characters and without spaces at either end (str.strip takes the
    full-width space U+3000 and the no-break space too)."""
    return text.translate(INVISIBLE).strip()


def clean_code(text: str) -> str:
    """A code as typed, made comparable: NFKC folds full-width letters, digits and spaces to their
    ASCII forms (a Chinese input method's "Ｃ００１" is C001), then invisible characters and spaces
    at the ends go."""
    return visible_text(unicodedata.normalize("NFKC", text.translate(INVISIBLE)))


# A mainland mobile number: 11 digits, 13x–19x. Checked by this rule rather than by phonenumbers'
# allocation tables, which refuse real numbers in newly opened ranges and read 179xx as a dialling
# prefix.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-.()/]")  # after NFKC: full-width （）－ are ASCII
_WORDED_EXTENSION = re.compile(r"^(?P<main>.+?)\s*(?:转|分机|ext\.?|x|#)\s*(?P<ext>\d{1,6})$", re.IGNORECASE)
_DASHED_EXTENSION = re.compile(r"^(?P<main>.+\d)\s*-\s*(?P<ext>\d{1,6})$")
_LANDLINE_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalise_phone(text: str) -> str:
    """A mainland mobile ("13800000001") or a landline with its area code ("0353-1234567", with
    "-801" for an extension), from what people write: spaces, dashes, dots, brackets, +86 or 0086,
    full-width digits, 转/分机/ext for an extension. Raises ValueError for anything else: a number
    without its area code, too short or long, an unknown area code, or two numbers in one cell."""
    typed = unicodedata.normalize("NFKC", visible_text(text))
    worded = _WORDED_EXTENSION.match(typed)
    if worded:
        return _with_extension(worded["main"], worded["ext"], typed)
    whole = _number(typed)
    if whole is not None:
        return whole
    dashed = _DASHED_EXTENSION.match(typed)  # 0353-1234567-801
    if dashed:
        return _with_extension(dashed["main"], dashed["ext"], typed)
    raise ValueError(text)


def _with_extension(main: str, extension: str, typed: str) -> str:
    number = _number(main)
    if number is None or _MOBILE.fullmatch(number):  # mobiles have no extensions
        raise ValueError(typed)
    return f"{number}-{extension}"


def _number(text: str) -> str | None:
    digits = _SEPARATORS.sub("", text)
    international = digits.startswith(("+86", "0086"))
    national = digits.removeprefix("+").removeprefix("00").removeprefix("86") if international else digits
    if not national.isdigit():
        return None
    if len(national) == 13 and national.startswith("86") and _MOBILE.fullmatch(national[2:]):
        national = national[2:]  # 86 13800000001: the + left out
    if _MOBILE.fullmatch(national):
        return national
    if international:
        national = "0" + national  # +86 353 1234567 is 0353-1234567
    return _landline(national)


def _landline(national: str) -> str | None:
    """0 + area code + local number, checked against phonenumbers' table of area codes."""
    if not national.startswith("0"):
        return None  # a local number without its area code cannot be dialled from elsewhere
    try:
        number = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _LANDLINE_TYPES:
        return None
    significant = phonenumbers.national_significant_number(number)
    area = phonenumbers.length_of_geographical_area_code(number)
    if not area:
        return None
    return f"0{significant[:area]}-{significant[area:]}"
