"""Example phone numbers of a country, for notes and help texts.

Its own module, importing only phonenumbers, so that the template loader can
fill them in without importing the cell readers (which import the model, which
refers to the template).
"""

from __future__ import annotations

import functools

import phonenumbers


@functools.cache
def phone_examples(region: str) -> str:
    """Made-up local and international mobile numbers of the region, for notes and help."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "with the country code, like +256 712 345678"
    local = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    world = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return f"{local} or {world}"
