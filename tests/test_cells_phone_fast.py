"""The quick phone reader gives exactly what phonenumbers gives, or stands aside.

``sheetcrm.cells`` reads plainly typed numbers without ``phonenumbers.parse``
and checks them without ``phonenumbers.is_valid_number``.  These tests hold
the quick path to the library's answer: ``_quick_parse`` returns either None
(the caller then parses) or the very PhoneNumber that ``parse`` returns, and
``_is_valid`` agrees with ``is_valid_number`` on every number.
"""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sheetcrm.cells import _is_valid, _quick_parse, _whole_valid, parse_phone

REGIONS = ["UG", "KE", "TZ", "RW", "GB", "US"]
CODE_REGIONS = ["UG", "KE", "TZ", "RW", "GB", "US", "NG", "IN", "IT", "AR", "MX"]
CODES = [str(phonenumbers.country_code_for_region(r)) for r in CODE_REGIONS]
PLAIN_SEPARATORS = ["", "", "", " ", "-", ".", "(", ")", "  ", " - "]
SEPARATORS = [*PLAIN_SEPARATORS, "/", "\u00a0", ",", "x", "#", ";"]


def _slow_parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _slow_whole_valid(text: str, region: str) -> str | None:
    """sheetcrm.cells._whole_valid as it was, with phonenumbers doing all the work."""
    candidates = [text]
    digits = re.sub(r"\D", "", text)
    if not text.lstrip().startswith("+") and len(digits) > 10:
        candidates.append("+" + digits)
    for candidate in candidates:
        number = _slow_parse(candidate, region)
        if number is not None and phonenumbers.is_valid_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return None


@st.composite
def typed_numbers(draw: st.DrawFn) -> str:
    """A number as an owner might type it: a prefix, maybe a country code, digits, separators."""
    start = draw(st.sampled_from(["", "+", "0", "00", "+0", "+ ", "(", "++", "+(", " "]))
    code = draw(st.sampled_from(["", "", *CODES]))
    rest = draw(st.text(alphabet="0123456789", min_size=0, max_size=16))
    # Mostly the separators the quick path takes, sometimes any, so both paths come up.
    separators = draw(st.sampled_from([PLAIN_SEPARATORS] * 3 + [SEPARATORS]))
    text = start
    for ch in code + rest:
        text += ch + draw(st.sampled_from(separators))
    return text.strip()


@st.composite
def near_valid_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A region's example mobile or fixed-line number, written nationally or with +, maybe
    with a digit changed, added or dropped, so both valid and invalid ones come up."""
    region = draw(st.sampled_from(REGIONS))
    home = draw(st.sampled_from(CODE_REGIONS))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE,
                                 phonenumbers.PhoneNumberType.FIXED_LINE]))
    example_number = phonenumbers.example_number_for_type(home, kind)
    assert example_number is not None
    nsn = list(phonenumbers.national_significant_number(example_number))
    for _ in range(draw(st.integers(0, 2))):
        nsn[draw(st.integers(0, len(nsn) - 1))] = draw(st.sampled_from("0123456789"))
    if draw(st.booleans()):
        nsn.append(draw(st.sampled_from("0123456789")))
    elif draw(st.booleans()):
        nsn.pop()
    sep = draw(st.sampled_from([" ", "-", ".", ""]))
    body = "".join(nsn)
    body = sep.join([body[:3], body[3:6], body[6:]]).strip(sep)
    if home == region and draw(st.booleans()):
        return "0" + body, region
    return f"+{example_number.country_code} {body}", region


@settings(max_examples=3000, deadline=None)
@given(text=typed_numbers(), region=st.sampled_from(REGIONS))
@example(text="0772 123456", region="UG")
@example(text="+44 (0)20 7946 0958", region="GB")
@example(text="0 772 123456", region="UG")
def test_quick_parse_is_parse_or_nothing(text: str, region: str) -> None:
    quick = _quick_parse(text, region)
    if quick is not None:
        assert quick == phonenumbers.parse(text, region)
    assert _whole_valid(text, region) == _slow_whole_valid(text, region)


@settings(max_examples=3000, deadline=None)
@given(case=near_valid_numbers())
def test_quick_reading_agrees_on_near_valid_numbers(case: tuple[str, str]) -> None:
    text, region = case
    quick = _quick_parse(text, region)
    if quick is not None:
        assert quick == phonenumbers.parse(text, region)
    assert _whole_valid(text, region) == _slow_whole_valid(text, region)
    slow = _slow_parse(text, region)
    if slow is not None:
        assert _is_valid(slow) == phonenumbers.is_valid_number(slow)


@pytest.mark.parametrize("region", sorted(phonenumbers.SUPPORTED_REGIONS))
def test_is_valid_agrees_for_every_region(region: str) -> None:
    # Every type's example number of every region, and the same with its last digit
    # changed or dropped: the quick check must agree with phonenumbers on each.
    for kind in phonenumbers.PhoneNumberType.values():
        found = phonenumbers.example_number_for_type(region, kind)
        if found is None:
            continue
        nsn = phonenumbers.national_significant_number(found)
        for variant in (nsn, nsn[:-1] + str((int(nsn[-1]) + 1) % 10), nsn[:-1], nsn + "5"):
            number = _slow_parse(f"+{found.country_code}{variant}", region)
            if number is not None:
                assert _is_valid(number) == phonenumbers.is_valid_number(number), (region, variant)


@pytest.mark.parametrize(
    ("text", "region", "code", "national"),
    [
        ("0772 123456", "UG", 256, 772123456),
        ("0772-123-456", "UG", 256, 772123456),
        ("(0772) 123.456", "UG", 256, 772123456),
        ("+256 772 123456", "UG", 256, 772123456),
        ("+254 712 345678", "UG", 254, 712345678),
        ("+44 20 7946 0958", "UG", 44, 2079460958),
        ("0712 345678", "KE", 254, 712345678),
    ],
)
def test_plain_numbers_take_the_quick_path(text: str, region: str, code: int,
                                           national: int) -> None:
    assert _quick_parse(text, region) == phonenumbers.PhoneNumber(
        country_code=code, national_number=national)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("+44 (0)20 7946 0958", "GB"),  # a national prefix after the country code
        ("000 44 20 7946 0958", "UG"),  # an international dialling prefix
        ("256772123456", "UG"),  # the country code without its plus
        ("+39 06 6982 0000", "UG"),  # an Italian leading zero
        ("+1 1 202 555 0100", "US"),  # "1" is also the US national prefix
        ("0772 123456 ext 12", "UG"),  # an extension
        ("Tel: 0772 123456", "UG"),  # words around the number
        ("077", "UG"),  # too short to be sure how phonenumbers reads it
    ],
)
def test_other_shapes_are_left_to_phonenumbers(text: str, region: str) -> None:
    assert _quick_parse(text, region) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 (0)20 7946 0958", "+442079460958"),
        # Uganda's international dialling prefixes are 000, 005 and 007 (not 00).
        ("000 44 20 7946 0958", "+442079460958"),
        ("+39 06 6982 0000", "+390669820000"),
    ],
)
def test_numbers_left_to_phonenumbers_still_read(text: str, expected: str) -> None:
    assert parse_phone(text, region="UG").value == expected
