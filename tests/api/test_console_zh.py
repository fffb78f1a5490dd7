"""Every console page in Chinese, with every message it shows translated by the catalogue.

The pages are walked as an officer and as the drill's joint command, in zh-CN, over a database
holding a request, a dispatch and a live drill with an order (so the board, its map data, its
controls and the coverage map all render); an error page and a refused form are walked too.
Every message looked up in the catalogue is recorded: one without a Chinese translation fails
the test, naming the page. The visible text is also searched for English left in it (words of
four or more lowercase letters that are not codes of the data).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from supply.api.console import i18n
from supply.core.network import build_network
from supply.core.scenario import load_scenario
from tests.api.drill_helpers import drill_body, post_drill, start_at
from tests.conftest import GUANGZHOU


class _Text(HTMLParser):
    """The visible text of a page: no script, style or JSON data blocks; attribute values left out."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _translated() -> set[str]:
    with (i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "console.po").open("rb") as f:
        return {m.id for m in read_po(f, locale="zh_CN") if m.id and m.string}


def _sign_in(client, token: str) -> None:
    client.cookies.clear()
    page = client.get("/console/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post("/console/signin", data={"csrf": csrf, "token": token}, follow_redirects=False)
    assert answer.status_code == 303


def test_every_console_page_in_chinese_is_translated(client, db, monkeypatch):
    done = _translated()
    asked: dict[str, str] = {}
    current = {"page": ""}
    real_gettext = i18n.Lang.gettext

    def recording(self, message, **values):
        if self.locale == "zh_CN" and message not in done:
            asked.setdefault(message, current["page"])
        return real_gettext(self, message, **values)

    monkeypatch.setattr(i18n.Lang, "gettext", recording)
    officer = db.headers("officer")
    s = start_at(30)
    drill = post_drill(client, drill_body(s, replications=5), officer)["id"]
    client.post(f"/drills/{drill}/orders", json={"team": "T-MED", "text": "stand by"}, headers=officer)
    request = {"unit": "Walk battalion", "headcount": 80, "site": "GZN-RAIL", "arrive_at": s.isoformat()}
    req = client.post("/requests", json=request, headers=officer).json()["id"]
    dispatch = client.get("/dispatches", params={"exercise": True}, headers=officer).json()[0]["id"]  # the drill's
    # a lot, stock on the road to the hub and a draw (the lot view, the receive form, the survive table)
    lot = {"item": "rations", "quantity": 50, "lot": "L-2030", "expires_on": "2030-01-01"}
    client.post("/stations/GZ-HUB/receipts", json=lot, headers=officer)
    sent = {"from": "NS-WING", "to": "GZ-HUB", "item": "water_l", "quantity": 100}
    client.post("/transfers", json=sent, headers=officer)
    client.post("/stations/GZ-HUB/issues", json={"item": "meals", "quantity": 700}, headers=officer)

    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    _sign_in(client, db.tokens["officer"])
    pages = [
        "/console/stations",
        "/console/stations?exercise=true",
        "/console/stations/GZ-HUB",
        "/console/requests",
        f"/console/requests/{req}",
        "/console/dispatches",
        "/console/drills",
        f"/console/drills/{drill}",
        f"/console/drills/{drill}?done=unit",
        f"/console/drills/{drill}/board",
        "/console/map",
        "/console/stations/NO-SUCH",
        f"/console/dispatches/{dispatch}",
        "/console/approvals",
        "/console/survive",
        "/console/survive?cut=GZ-NS-BRIDGE",
    ]
    english = {}
    codes = {"water_l", "diesel_l", "meals", "rations", "medical_kits", "bed_nights", "jungong"}
    # what the data say in English (names from the scenario, what this test typed, the users' names,
    # the ledger's opening reason), cut out before looking for English words the console wrote
    sc = load_scenario(GUANGZHOU)
    data = sorted(
        [p.name for p in (*sc.stations, *sc.sites) if p.name]
        + [ref for ref, _a, _b in build_network(sc).links()]
        + ["Test drill: two trains", "stand by", "Walk battalion", "opening stock from the scenario test"]
        + [f"{role}-1" for role in db.tokens],
        key=len,
        reverse=True,
    )
    for path in pages:
        current["page"] = path
        page = client.get(path)
        assert page.status_code in (200, 404), (path, page.status_code)
        assert '<html lang="zh-CN">' in page.text or path.endswith(("/map", "/board")), path
        if path != "/console/map":  # the folium page's own scripts and class names are not words
            text = visible(page.text)
            for value in data:
                text = text.replace(value, " ")
            text = re.sub(r"\([a-z_-]+\)|\b(?:bed-night|kit)\b", " ", text)  # codes and units in brackets
            found = [m for m in re.finditer(r"\b[a-z]{4,}\b", text) if m.group() not in codes]
            if found:
                english[path] = sorted({text[max(0, m.start() - 25) : m.end() + 25] for m in found})
    # a refused form: its messages beside the fields, in Chinese
    current["page"] = "POST unit time"
    csrf = client.cookies.get("jg_csrf")
    refused = client.post(f"/console/drills/{drill}/units", data={"csrf": csrf, "unit": "U1", "event": "x"})
    assert refused.status_code == 422
    assert asked == {}, f"untranslated catalogue entries (message: first page): {asked}"
    assert english == {}, f"English left on Chinese pages: {english}"
