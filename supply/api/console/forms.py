"""Forms in, field errors out: the console's half of validation, in the user's language.

A form is validated by the same pydantic models as the API's request bodies
(:mod:`supply.service.inputs`) and then by the domain; both kinds of fault come back as
``{field: message}`` so each message is shown beside its field, with what was typed kept.
Pydantic's errors are worded from their ``type`` and ``ctx``; the domain's from the error's
own attributes (:class:`~supply.core.errors.InsufficientStockError`,
:class:`~supply.core.errors.UnknownCodeError`), else its message as written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from supply.api.console.i18n import N_, Lang
from supply.api.console.i18n import choose as choose_lang
from supply.api.console.session import check_csrf
from supply.api.deps import Writer
from supply.core.errors import FieldError, ForbiddenError, InsufficientStockError, JungongError, UnknownCodeError

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
#: The whole form, not one field.
FORM = "_form"

_PYDANTIC = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("Too long: at most {max_length} characters."),
    "string_pattern_mismatch": N_("Use letters, digits, '-' and '_' only."),
    "greater_than": N_("Must be more than {gt}."),
    "greater_than_equal": N_("Must be at least {ge}."),
    "less_than_equal": N_("Must be at most {le}."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "finite_number": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "literal_error": N_("Choose one of: {expected}."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "datetime_parsing": N_("Enter a date and time."),
    "timezone_aware": N_("Enter a date and time."),
}
_KINDS = {"item": N_("item"), "station": N_("station"), "site": N_("site")}


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form as a plain dict, after its CSRF field is checked."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(request, form.pop("csrf", None))
    return form


Form = Annotated[dict[str, Any], Depends(form_data)]


def flag(value: object) -> bool:
    """A checkbox or hidden boolean field."""
    return value in ("1", "true", "on", True)


def local_time(value: str, tz: ZoneInfo) -> str:
    """A ``datetime-local`` field (no zone) read in the service's zone; anything else unchanged for validation."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()


def pairs(value: str, lang: Lang) -> tuple[dict[str, str], str | None]:
    """``"halal: 12, sick: 3"`` as ``{"halal": "12", "sick": "3"}`` (validated later), or an error message."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.replace("，", ",").split(","))):
        code, sep, count = part.replace("=", ":").replace("：", ":").partition(":")
        if not sep or not code.strip() or not count.strip():
            return {}, lang.gettext("Write each as code: number, separated by commas (halal: 12, sick: 3).")
        out[code.strip()] = count.strip()
    return out, None


def parse(model: type[M], form: Mapping[str, Any], lang: Lang) -> tuple[M | None, dict[str, str]]:
    """``model`` built from the form's fields, or ``None`` and one message per faulty field."""
    data = {k: _as_text(v) for k, v in form.items() if k in model.model_fields or _alias(model, k)}
    try:  # a form's fields are text: validated as such, as JSON bodies are (the API refuses "5" for 5)
        return model.model_validate_strings(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else FORM
            field = {"from_": "from"}.get(field, field)
            errors.setdefault(field, _pydantic_message(e, lang))
        return None, errors


def _as_text(value: Any) -> Any:
    """Form values as the text they were typed as (booleans and numbers the console derived included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_text(v) for v in value]
    return value


def _alias(model: type[BaseModel], key: str) -> bool:
    return any(f.alias == key for f in model.model_fields.values())


def _pydantic_message(e: Any, lang: Lang) -> str:
    template = _PYDANTIC.get(e["type"])
    if template is None:
        return e["msg"]
    # a bound is shown in full (0.001 must not read as 0)
    ctx = {k: (lang.num(v, 6) if isinstance(v, int | float) else v) for k, v in (e.get("ctx") or {}).items()}
    try:
        return lang.gettext(template).format(**ctx)
    except (KeyError, IndexError):
        return e["msg"]


def domain_errors(exc: JungongError, lang: Lang, *, fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """A domain error as ``{field: message}``; ``fields`` maps an unknown code's kind to the form's field."""
    fields = fields or {}
    if isinstance(exc, InsufficientStockError):
        msg = lang.gettext("Not enough {item} available at {station}: {available} available, {asked} asked.")
        return {
            "quantity": msg.format(
                item=lang.item_name(exc.item),
                station=exc.station,
                available=lang.num(exc.available),
                asked=lang.num(exc.asked),
            )
        }
    if isinstance(exc, UnknownCodeError):
        msg = lang.gettext("Unknown {kind} '{code}'.").format(
            kind=lang.gettext(_KINDS.get(exc.kind, exc.kind)), code=exc.code
        )
        if exc.suggestions:
            msg += " " + lang.gettext("Did you mean: {codes}?").format(codes=", ".join(exc.suggestions))
        return {fields.get(exc.kind, FORM): msg}
    if isinstance(exc, FieldError):
        return {exc.field: lang.message(exc)}
    return {FORM: lang.message(exc)}


def submit(
    request: Request,
    writer: Writer,
    model: type[M],
    form: Mapping[str, Any],
    act: Callable[[Any, M], R],
    *,
    fields: Mapping[str, str] | None = None,
) -> tuple[R | None, dict[str, str]]:
    """Validate ``form`` as ``model``, then run ``act(session, body)`` in one write transaction.

    ``(result, {})`` when it was recorded; ``(None, {field: message})`` when the form or the domain
    refused it (``fields`` maps an unknown code's kind to the form's field).
    """
    lang = choose_lang(request)
    body, errors = parse(model, form, lang)
    if body is None:
        return None, errors
    return attempt(lang, lambda: writer.transact(lambda s: act(s, body)), fields=fields)


def attempt(
    lang: Lang, act: Callable[[], R], *, fields: Mapping[str, str] | None = None
) -> tuple[R | None, dict[str, str]]:
    """``(act(), {})``, or ``(None, {field: message})`` when the domain refused it. A refusal of the
    user's role is not a field's fault: it goes on to the 403 error page, as the API answers 403."""
    try:
        return act(), {}
    except ForbiddenError:
        raise
    except JungongError as exc:
        return None, domain_errors(exc, lang, fields=fields)
