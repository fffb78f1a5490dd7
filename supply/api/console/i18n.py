"""The console's languages: Simplified Chinese (default) and English, through Babel/gettext catalogues.

The catalogues are ``locale/<lang>/LC_MESSAGES/console.po`` beside this module, compiled to ``.mo``
files that are committed (a CI machine or a wheel has them without a build step; a test checks
that each ``.mo`` matches its ``.po``). ``tools/console_messages.sh`` re-extracts and recompiles.

The language is, in order: the ``jg_lang`` cookie (the page's switch), the best match of the
request's ``Accept-Language``, else Chinese. Codes (station, item, unit codes) and numbers are
never translated; numbers are formatted by Babel for the chosen locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.core import negotiate_locale
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from starlette.requests import HTTPConnection

from supply.core.errors import JungongError
from supply.core.items import CATALOGUE, ItemSpec

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "console"
#: Locale id -> the ``<html lang>`` value.
LANGUAGES = {"zh_CN": "zh-CN", "en": "en"}
DEFAULT = "zh_CN"
LANG_COOKIE = "jg_lang"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention's marker for strings translated later)
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The locale's catalogue (Babel's ``Translations``); a ``NullTranslations`` if it has none."""
    return Translations.load(str(LOCALE_DIR), [locale], domain=DOMAIN)


@dataclass(frozen=True)
class Lang:
    """One request's language: its gettext functions and number format."""

    locale: str

    @property
    def html_lang(self) -> str:
        return LANGUAGES[self.locale]

    def gettext(self, message: str, **values: object) -> str:
        """``message`` translated, then filled with ``%(name)s`` ``values`` (Jinja's new-style gettext)."""
        text = translations(self.locale).gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = translations(self.locale).ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def word(self, value: object) -> object:
        """A word of the domain's vocabulary (a status, a role, a kind) translated; anything else (codes,
        numbers, names) as it is."""
        return self.gettext(value) if isinstance(value, str) and value in WORDS else value

    def message(self, exc: JungongError) -> str:
        """A domain error in this language: its wording (:meth:`JungongError.worded`) through the catalogue,
        its words translated and its codes and numbers as they are; else its message as written."""
        if exc.template is None:
            return str(exc)
        values = {
            k: ", ".join(str(self.word(w)) for w in v.split(", ")) if isinstance(v, str) else v
            for k, v in exc.values.items()
        }
        return self.gettext(exc.template).format(**values)

    def item(self, spec: ItemSpec | None, code: str) -> str:
        """An item as people call it, with its unit: ``热食 (份)``, ``Hot meals (份)``; its code if unknown.

        A built-in item's name is translated (:data:`ITEM_NAMES`); a scenario's own item keeps its name."""
        if spec is None:
            return code
        return f"{self.gettext(spec.name)} ({self.unit(spec.unit)})"

    def unit(self, unit: str) -> str:
        """An item's unit in this language (``份`` reads "portions" in English, ``kit`` 个 in Chinese)."""
        return self.gettext(unit) if unit in ITEM_UNITS else unit

    def item_name(self, code: str) -> str:
        """A built-in item's name alone, translated, as a sentence says it (``meals``: 热食, "hot meals"); any
        other code as it is."""
        spec = next((s for s in CATALOGUE if s.code == code), None)
        if spec is None:
            return code
        name = self.gettext(spec.name)
        return name[:1].lower() + name[1:] if self.locale == "en" else name

    def num(self, value: float | None, digits: int = 2) -> str:
        """A number as the locale writes it (at most ``digits`` decimals); ``—`` for none."""
        if value is None:
            return "—"
        return format_decimal(
            round(value, digits),
            format=f"#,##0.{'#' * digits}" if digits else "#,##0",
            locale=Locale.parse(self.locale),
        )


def choose(conn: HTTPConnection) -> Lang:
    """The request's language: the switch's cookie, else ``Accept-Language``, else Chinese."""
    chosen = conn.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return Lang(chosen)
    wanted = []
    for part in conn.headers.get("accept-language", "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if tag:
            wanted.append((weight, tag.replace("-", "_")))
    preferred = [tag for _, tag in sorted(wanted, key=lambda w: -w[0])]
    return Lang(negotiate_locale(preferred, list(LANGUAGES), aliases={"zh": "zh_CN", "en": "en"}) or DEFAULT)


#: Words the templates translate from data (roles, tiers, ledger kinds, statuses): listed here for extraction.
VOCABULARY = (
    N_("officer"),
    N_("planner"),
    N_("commander"),
    N_("admin"),
    N_("team_leader"),
    N_("hub"),
    N_("wing"),
    N_("point"),
    N_("receipt"),
    N_("issue"),
    N_("transfer"),
    N_("count"),
    N_("transfer_out"),
    N_("transfer_in"),
    N_("expire"),
    N_("discrepancy"),
    N_("approved"),
    N_("rejected"),
    N_("pending"),
    N_("adjustment"),
    N_("reversal"),
    N_("opening"),
    N_("reserve"),
    N_("release"),
    N_("delivery"),
    N_("proposed"),
    N_("planned"),
    N_("dispatched"),
    N_("delivered"),
    N_("closed"),
    N_("cancelled"),
)
#: Request fields' values shown translated (their codes are what is stored and sent).
REQUEST_VOCABULARY = (
    N_("train"),
    N_("high_speed_train"),
    N_("convoy"),
    N_("ship"),
    N_("aircraft"),
    N_("routine"),
    N_("priority"),
    N_("urgent"),
)
#: A drill unit's state on the board.
UNIT_STATES = (N_("expected"), N_("arrived"), N_("fed"), N_("departed"), N_("open"))
#: A drill's, an order's and a team's statuses, and the kinds of record a refusal names.
STATUS_VOCABULARY = (
    N_("planning"),
    N_("failed"),
    N_("issued"),
    N_("acknowledged"),
    N_("in_progress"),
    N_("done"),
    N_("refused"),
    N_("ready"),
    N_("en_route"),
    N_("on_task"),
    N_("returning"),
    N_("stood_down"),
    N_("none (final)"),
    N_("dispatch"),
    N_("order"),
    N_("team"),
)
#: Team kinds (:data:`supply.core.scenario_teams.KINDS`) and the default procedure's steps
#: (:data:`supply.drills.procedure.DEFAULT_PROCEDURE`; a step's code is shown beside its name).
TEAM_AND_STEP_VOCABULARY = (
    N_("kitchen"),
    N_("water"),
    N_("fuel"),
    N_("transport"),
    N_("medical"),
    N_("security"),
    N_("notice_received"),
    N_("plan_approved"),
    N_("teams_alerted"),
    N_("serving"),
    N_("reported"),
)
#: Every word translated where it comes from data (:meth:`Lang.word`).
WORDS = frozenset(VOCABULARY + REQUEST_VOCABULARY + UNIT_STATES + STATUS_VOCABULARY + TEAM_AND_STEP_VOCABULARY)
#: The built-in catalogue's item names (:data:`supply.core.items.CATALOGUE`), translated as items are shown.
ITEM_NAMES = (
    N_("hot meals (热食)"),
    N_("drinking water (饮用水)"),
    N_("diesel (柴油)"),
    N_("field rations (野战口粮)"),
    N_("medical kits (医疗包)"),
    N_("bed-nights (床位)"),
)
#: The built-in catalogue's units (``L`` reads the same in both languages).
ITEM_UNITS = frozenset((N_("份"), N_("kit"), N_("bed-night")))
