"""The console's catalogues: complete, current and compiled; the language follows the browser and the switch."""

from __future__ import annotations

from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from supply.api.console import i18n

CONSOLE = i18n.LOCALE_DIR.parent
METHODS = [("templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _po(lang: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "console.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_every_message_in_the_code_is_in_both_catalogues_and_translated_to_chinese():
    """The console's messages, the domain's worded errors (``ConflictError.worded("…", …)``) and the maps' words."""
    found = {
        m[2]
        for m in extract_from_dir(
            CONSOLE, METHODS, OPTIONS, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
        )
    }
    # the domain's worded errors, which the console shows translated
    for package in ("drills", "core", "service"):
        found |= {m[2] for m in extract_from_dir(CONSOLE.parent.parent / package, keywords={"worded": None})}
    # the maps' words, which the console's coverage map shows translated
    maps = CONSOLE.parent.parent.parent / "maps"
    found |= {m[2] for m in extract_from_dir(maps, keywords={"tr": None, "tr_mark": None})}
    found = {m if isinstance(m, str) else m[0] for m in found}
    zh, en = _po("zh_CN"), _po("en")
    missing = sorted(m for m in found if m not in zh or not zh[m].string)
    assert missing == [], f"run tools/console_messages.sh and translate: {missing}"
    assert sorted(m for m in found if m not in en) == []


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_compiled_catalogues_match_their_sources(lang):
    buf = BytesIO()
    write_mo(buf, _po(lang))
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "console.mo").open("rb") as f:
        committed = read_mo(f)
    fresh = read_mo(BytesIO(buf.getvalue()))
    assert {m.id: m.string for m in committed if m.id} == {m.id: m.string for m in fresh if m.id}, (
        "run tools/console_messages.sh compile"
    )


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        ("zh-CN,zh;q=0.9", None, "zh-CN"),
        ("en-US,en;q=0.9", None, "en"),
        ("fr-FR", None, "zh-CN"),
        ("en;q=0.3, zh;q=0.8", None, "zh-CN"),
        ("zh-CN", "en", "en"),
        ("", None, "zh-CN"),
    ],
)
def test_language_from_accept_language_then_the_switch(client, header, cookie, expected):
    if cookie:
        client.cookies.set(i18n.LANG_COOKIE, cookie, path="/console")
    page = client.get("/console/", headers={"Accept-Language": header})
    assert f'<html lang="{expected}">' in page.text
    assert ("登录" in page.text) == (expected == "zh-CN")


def test_numbers_follow_the_locale_and_codes_stay_as_they_are():
    assert i18n.Lang("en").num(12345.678) == "12,345.68"
    assert i18n.Lang("zh_CN").num(12345.5, 1) == "12,345.5"
    assert (
        i18n.Lang("zh_CN").gettext("Unknown {kind} '{code}'.").format(kind="物资", code="water_l")
        == "未知物资“water_l”。"
    )


def test_items_show_by_name_and_unit_in_both_languages():
    from supply.core.items import CATALOGUE

    assert {spec.name for spec in CATALOGUE} == set(i18n.ITEM_NAMES), "list every built-in item's name"
    meals = next(spec for spec in CATALOGUE if spec.code == "meals")
    assert {spec.unit for spec in CATALOGUE} - {"L"} == i18n.ITEM_UNITS, "list every built-in unit"
    assert i18n.Lang("en").item(meals, "meals") == "Hot meals (portion)"  # 份 read in English
    assert i18n.Lang("zh_CN").item(meals, "meals") == "热食 (份)"
    kits, beds = (next(s for s in CATALOGUE if s.code == c) for c in ("medical_kits", "bed_nights"))
    assert i18n.Lang("zh_CN").item(kits, "medical_kits") == "医疗包 (个)"
    assert i18n.Lang("zh_CN").item(beds, "bed_nights") == "床位 (床·夜)"
    assert i18n.Lang("en").item(kits, "medical_kits") == "Medical kits (kit)"
    # an error names the item as people call it, never its code
    assert i18n.Lang("zh_CN").item_name("meals") == "热食" and i18n.Lang("en").item_name("meals") == "hot meals"
    assert i18n.Lang("en").item_name("custom_kit") == "custom_kit"
    assert i18n.Lang("en").item(None, "custom_kit") == "custom_kit"


def test_a_shortfall_names_the_item_and_a_step_its_name_without_its_code():
    from supply.api.console.drills import step_name
    from supply.api.console.forms import domain_errors
    from supply.core.errors import InsufficientStockError

    short = InsufficientStockError("GZ-HUB", "meals", 500, 20)
    zh = domain_errors(short, i18n.Lang("zh_CN"))["quantity"]
    en = domain_errors(short, i18n.Lang("en"))["quantity"]
    assert "热食" in zh and "meals" not in zh, zh
    assert en.startswith("Not enough hot meals available at GZ-HUB"), en
    assert step_name(i18n.Lang("zh_CN"), "notice_received") == "接到通知"
    assert step_name(i18n.Lang("en"), "notice_received") == "notice received"
    assert step_name(i18n.Lang("zh_CN"), "own_step") == "own_step"  # a drill's own step: its code
