"""A first-name dictionary from Faker's person providers (MIT; every locale it ships).

Used as evidence, never alone: a capitalised word that is a known first name starts a ``PERSON``
span (with the capitalised words after it). Words that are first names somewhere and ordinary
words in English (*May*, *Will*, *Grant*) are left out. Nothing is downloaded: the names are in the
installed package.
"""

from __future__ import annotations

import importlib
from functools import cache

_COMMON_WORDS = frozenset(
    [
        "may",
        "will",
        "mark",
        "bill",
        "grant",
        "page",
        "art",
        "rose",
        "hope",
        "can",
        "royal",
        "princess",
        "day",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "texas",
        "my",
        "good",
        "park",
        "street",
        "the",
        "and",
        "for",
        "you",
        "are",
        "but",
        "not",
        "all",
        "any",
        "her",
        "his",
        "him",
        "its",
        "our",
        "out",
        "who",
        "why",
        "how",
        "new",
        "now",
        "see",
        "way",
        "one",
        "two",
        "man",
        "men",
        "son",
        "sun",
        "bank",
        "card",
        "max",
        "ken",
        "joy",
        "faith",
        "summer",
        "autumn",
        "winter",
        "spring",
        "dawn",
        "eve",
        "sky",
        "star",
        "king",
        "queen",
        "prince",
        "duke",
        "earl",
        "baron",
        "lord",
        "lady",
        "sir",
        "miss",
        "rich",
        "young",
        "long",
        "short",
        "brown",
        "black",
        "white",
        "green",
        "gray",
        "grey",
        "love",
        "happy",
        "christian",
        "angel",
        "city",
        "case",
        "else",
        "ever",
        "son",
        "read",
        "reading",
    ]
)


@cache
def first_names() -> frozenset[str]:
    """Lower-cased first names of every Faker locale, common English words left out."""
    from faker.config import AVAILABLE_LOCALES

    names: set[str] = set()
    for locale in AVAILABLE_LOCALES:
        try:
            module = importlib.import_module(f"faker.providers.person.{locale}")
        except ImportError:
            continue
        provider = module.Provider.__dict__
        for attr in ("first_names", "first_names_male", "first_names_female"):
            value = provider.get(attr)
            if isinstance(value, dict | list | tuple | set | frozenset):
                names.update(w.lower() for w in value if isinstance(w, str) and " " not in w)
    return frozenset(n for n in names if len(n) >= 3 and n not in _COMMON_WORDS)
