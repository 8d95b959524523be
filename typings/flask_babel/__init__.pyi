from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from babel.core import Locale
from babel.support import NullTranslations, Translations
from flask import Flask

class Babel:
    def __init__(
        self,
        app: Flask | None = None,
        date_formats: dict[str, str] | None = None,
        configure_jinja: bool = True,
        *args: Any,
        locale_selector: Callable[[], str | Locale | None] | None = None,
        timezone_selector: Callable[[], str | tzinfo | None] | None = None,
        **kwargs: Any,
    ) -> None: ...

def gettext(string: str, **variables: Any) -> str: ...
def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str: ...

# A LazyString at run time that turns into the translated str wherever it is used; typed as str
# because that is what it stands for (WTForms' labels and messages take str).
def lazy_gettext(string: str, **variables: Any) -> str: ...
def get_locale() -> Locale | None: ...
def get_timezone() -> tzinfo | None: ...
def get_translations() -> Translations | NullTranslations: ...
def refresh() -> None: ...
def format_decimal(number: float, format: str | None = None) -> str: ...
