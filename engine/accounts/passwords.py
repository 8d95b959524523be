"""What a password must be: at least 12 characters, and not common or easy to guess (zxcvbn).

Length and a check against known passwords are what NIST SP 800-63B asks for, instead of
rules about digits and signs. zxcvbn ships the 30 000 most common passwords of leaked
lists and estimates how many guesses a password takes, counting common words, names,
keyboard patterns, dates and what the account itself is called ("ordforande2024").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from engine.kernel.errors import ValidationError

__all__ = ["MIN_LENGTH", "check_strength"]

MIN_LENGTH = 12
# zxcvbn's score 3 means about 10^8 guesses or more: out of reach of an online attack, and
# slow against argon2 hashes. Lower scores are common words with digits, names, keyboard rows.
_MIN_SCORE = 3
# zxcvbn refuses longer input (its matching is quadratic); the first 72 characters decide.
_ESTIMATE_LENGTH = 72


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_strength(password: str, context: Iterable[str] = ()) -> None:
    """Refuse, with a ValidationError saying why, a password that is short, common or easy to guess.

    `context` holds what an attacker knows of the account (user name, name, e-mail); a
    password built from it is easy to guess.
    """
    if len(password) < MIN_LENGTH:
        raise ValidationError("password", "A password needs at least 12 characters; a few unrelated words "
                                          "make a long password that is easy to remember.", code="password_short")
    if password.lower() in _common():
        raise ValidationError("password", "This password is in a list of the most common passwords; "
                                          "choose another.", code="password_common")
    # Each item whole ("karin.lund") and in its parts ("karin", "lund"): zxcvbn matches either.
    words = [*context, *(w for item in context for w in item.replace("@", " ").replace(".", " ").split())]
    if zxcvbn(password[:_ESTIMATE_LENGTH], user_inputs=["samverkan", *filter(None, words)])["score"] < _MIN_SCORE:
        raise ValidationError("password", "This password is easy to guess: it is built on a common word, a name, "
                                          "a date, a keyboard pattern or the user's own name. Choose a few "
                                          "unrelated words instead.", code="password_guessable")
