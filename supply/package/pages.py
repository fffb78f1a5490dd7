"""The drill package's own pages, from plain data: the index, the command organisation, the procedure, the roster.

Each page is self-contained HTML (inline CSS, no scripts, no fetched asset) in Chinese (``zh``, with the
English beside it) or English (``en``); the procedure, the roster and the organisation print on A4.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field

from supply.core.errors import InvalidArgumentError

LANGS = ("zh", "en")

#: The package's words: key -> (Chinese, English); the procedure's steps as the console and the film say them.
WORDS: dict[str, tuple[str, str]] = {
    "package": ("演练成果包", "Drill package"),
    "seed": (
        "“1+1+1+1+N”：1个军地联合指挥机构、1套指挥流程、1份行动方案、1部示范录像片、N支保障队伍",
        '"1+1+1+1+N": 1 joint command organisation, 1 command procedure, 1 action plan, 1 demonstration film, N teams',
    ),
    "organisation": ("指挥机构", "Command organisation"),
    "procedure": ("指挥流程", "Command procedure"),
    "plan": ("行动方案", "Action plan"),
    "film": ("示范录像片", "Demonstration film"),
    "teams": ("保障队伍", "Teams"),
    "report": ("演练报告", "Drill report"),
    "map": ("演练地图", "Drill map"),
    "review": ("复盘评估", "After-action review"),
    "also": ("另附", "Also"),
    "film_mp4": ("视频 (MP4)", "video (MP4)"),
    "film_html": ("网页播放 (HTML)", "web player (HTML)"),
    "film_missing": ("本版本未提供录像片", "no film in this build"),
    "offline": (
        "全部文件离线可用，无需网络。演练内容，非实际作战记录。",
        "Every file opens offline, with no network. EXERCISE — not a record of real operations.",
    ),
    "simulated": ("模拟演练", "simulated drill"),
    "live": ("实兵演练", "live drill"),
    "source": ("来源", "source"),
    "start": ("开始时间", "start"),
    "joint_command": ("军地联合指挥部", "Joint command post"),
    "station_command": ("站点指挥", "Station command"),
    "serves_units": ("行动方案中保障", "serves in the action plan"),
    "no_station_teams": ("本站无编组队伍", "no teams of its own in the scenario"),
    "members_note": (
        "模拟演练：成员为想定 [command] 所列职务（非具体人员）；未列出者待任命。",
        "Simulated drill: the members are the role titles the scenario's [command] lists (not people); "
        "any seat it does not fill is to be appointed.",
    ),
    "team_leader": ("队长", "team leader"),
    "members": ("成员与职责", "Members and roles"),
    "member": ("成员", "member"),
    "role": ("职责", "role"),
    "station": ("站点", "station"),
    "team": ("队伍", "team"),
    "chain": ("命令链", "Chain of orders"),
    "chain_note": (
        "命令自联合指挥部下达至各站点指挥，再由站点指挥下达至本站队伍；接收方逐级回报"
        "（已下达→已确认→执行中→完成，或拒绝并说明理由）。",
        "Orders go from the joint command post to the station commands, and from a station command "
        "to its own teams; the recipient reports each step back (issued → acknowledged → in progress "
        "→ done, or refused with a reason).",
    ),
    "orders": ("已下达命令", "Orders issued"),
    "no_orders": ("尚无命令", "No orders yet"),
    "to_appoint": ("待任命", "to be appointed"),
    "issued_by": ("下达人", "issued by"),
    "issued_at": ("下达时间", "issued at"),
    "to": ("接收方", "to"),
    "text": ("内容", "text"),
    "status": ("状态", "status"),
    "step": ("步骤", "step"),
    "target": ("目标用时（分钟）", "target, min"),
    "planned": ("计划时间", "planned"),
    "actual": ("实际时间", "actual"),
    "actual_min": ("实际用时（分钟）", "actual, min"),
    "over": ("超时", "over target"),
    "procedure_note": (
        "计划时间：自演练开始累计各步骤目标用时；实际用时：自上一步骤完成（第一步自演练开始）起算。",
        "Planned: the drill's start plus the targets of this and every earlier step; actual "
        "minutes run from the previous step's time (the first from the drill's start).",
    ),
    "kind": ("类别", "kind"),
    "headcount": ("人数", "headcount"),
    "people": ("人", "people"),
    "vehicles": ("车辆", "vehicles"),
    "leader": ("队长", "leader"),
    "did": ("任务与行动", "what it did"),
    "roster_note": (
        "模拟演练：任务来自行动方案（何时出发或就位、为哪个单位）；实兵演练：来自队伍状态记录与派遣。",
        "Simulated drill: the tasks from the action plan (when to leave or be ready, for which unit); "
        "live drill: the team's status log and dispatch windows.",
    ),
    "no_teams": ("想定中没有队伍（[[teams]]）", "No teams in the scenario ([[teams]])"),
    "none": ("无", "none"),
    "kitchen": ("炊事", "kitchen"),
    "water": ("供水", "water"),
    "fuel": ("油料", "fuel"),
    "transport": ("运输", "transport"),
    "medical": ("医疗", "medical"),
    "security": ("警卫", "security"),
    "notice_received": ("接到通知", "notice received"),
    "plan_approved": ("方案批准", "plan approved"),
    "teams_alerted": ("分队已预警", "teams alerted"),
    "dispatched": ("已出发", "dispatched"),
    "serving": ("保障中", "serving"),
    "reported": ("已报告", "reported"),
    "leave": ("出发", "leaves"),
    "ready": ("就位", "ready"),
    "for": ("保障", "for"),
    "issued": ("已下达", "issued"),
    "acknowledged": ("已确认", "acknowledged"),
    "in_progress": ("执行中", "in progress"),
    "done": ("完成", "done"),
    "refused": ("已拒绝", "refused"),
    "back": ("返回目录", "back to the index"),
}

_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",system-ui,sans-serif;margin:2em auto;color:#222;
max-width:60em;padding:0 1em;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.4em}
.en{color:#555;font-weight:normal;font-size:.85em;margin-left:.4em}
table{border-collapse:collapse;margin:.6em 0;width:100%}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;
vertical-align:top}th{background:#eee}.over{color:#b00;font-weight:bold}.note{color:#555;font-size:.9em}
ol.parts li{margin:.5em 0;font-size:1.1em}.tree ul{list-style:none;padding-left:1.6em;border-left:2px solid #678;
margin:.2em 0}.tree li{margin:.35em 0;position:relative}.tree li::before{content:"";position:absolute;left:-1.6em;
top:.8em;width:1.3em;border-top:2px solid #678}.box{display:inline-block;border:2px solid #345;border-radius:4px;
padding:2px 8px;background:#f4f7fb}.tree>.box{background:#dde8f5;font-weight:bold}
.roster td:last-child{white-space:pre-line;min-width:19em}.roster td:nth-child(3){white-space:nowrap}
.tree ul.seats{border-left:none;list-style:disc;padding-left:2.4em;font-size:.95em}
.tree ul.seats li::before{content:none}nav{font-size:.9em;margin-bottom:1em}
@page{size:A4;margin:15mm}
@media print{body{margin:0;max-width:none}nav{display:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
"""


@dataclass
class Package:
    """Everything a package holds, in one language (``zh`` or ``en``), as plain data and ready-made documents.

        ``steps``: ``step``, ``target_minutes``, ``planned`` and ``actual`` (clock strings or ``None``),
        ``actual_minutes``, ``over``; ``teams``: ``code``, ``name``, ``kind``, ``station``, ``headcount``,
        ``vehicles``, ``leader`` and ``did`` (lines); ``members``: ``user``, ``role``, ``station``, ``team``
    (a live drill's users, a simulated drill's ``[command]`` seats as "title — organisation");
    ``serving``: the units the action plan has each station serve; ``command_name``: the post's name;
        ``orders``: ``to``, ``text``, ``status``, ``issued_by``, ``issued_at``; ``documents``: file name ->
        content of the ready-made parts (``plan.html``, ``report.html``, ``map.html``, ``review.html``,
        ``film.mp4``, ``film.html``).
    """

    lang: str
    title: str
    source: str
    live: bool
    start: str
    stations: dict[str, str]
    steps: list[dict]
    teams: list[dict]
    members: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    serving: dict[str, list[str]] = field(default_factory=dict)
    command_name: str = ""
    documents: dict[str, str | bytes] = field(default_factory=dict)


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        msg = f"--lang '{lang}': expected zh or en"
        raise InvalidArgumentError(msg)
    return lang


class _Words:
    """Words in one language: Chinese with the English beside it, or English alone."""

    def __init__(self, lang: str) -> None:
        self.lang = check_lang(lang)

    def plain(self, key: str) -> str:
        """The word alone, in the page's language (a key not in :data:`WORDS` as it is)."""
        zh, en = WORDS.get(key, (key, key))
        return zh if self.lang == "zh" else en

    def both(self, key: str) -> str:
        """The word as plain text: in Chinese with the English beside it in brackets, or English alone."""
        zh, en = WORDS.get(key, (key, key))
        return en if self.lang == "en" or zh == en else f"{zh}（{en}）"

    def __call__(self, key: str) -> str:
        """The word as HTML: in Chinese pages with its English beside it."""
        zh, en = WORDS.get(key, (key, key))
        if self.lang == "en":
            return html.escape(en)
        return f'{html.escape(zh)}<span class="en" lang="en">{html.escape(en)}</span>'


def _page(w: _Words, title_key: str, pkg: Package, body: str, *, index: bool = False) -> str:
    nav = "" if index else f'<nav><a href="index.html">← {w("back")}</a></nav>'
    lang = "zh-CN" if w.lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(w.plain(title_key))} — {html.escape(pkg.title)}</title><style>{_CSS}</style></head>"
        f"<body>{nav}<h1>{w(title_key)}</h1><p><b>{html.escape(pkg.title)}</b> · "
        f"{w('live' if pkg.live else 'simulated')} · {w('source')}: {html.escape(pkg.source)} · "
        f"{w('start')}: {html.escape(pkg.start)}</p>{body}"
        f'<p class="note">{w("offline")}</p></body></html>\n'
    )


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    """A table: ``head`` is HTML already, ``rows`` are plain text (escaped here)."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        f'<tr class="{(classes or [""] * len(rows))[i]}">' + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
        for i, r in enumerate(rows)
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _station(pkg: Package, code: str | None) -> str:
    if not code:
        return "—"
    name = pkg.stations.get(code)
    return f"{code} ({name})" if name else code


def index_page(pkg: Package, w: _Words) -> str:
    d = pkg.documents
    film = (
        " · ".join(
            f'<a href="{name}">{w(key)}</a>'
            for name, key in (("film.mp4", "film_mp4"), ("film.html", "film_html"))
            if name in d
        )
        or f'<span class="note">{w("film_missing")}</span>'
    )
    parts = [
        f'<li><a href="organisation.html">{w("organisation")}</a>'
        + (f": {html.escape(pkg.command_name)}" if pkg.command_name else "")
        + "</li>",
        f'<li><a href="procedure.html">{w("procedure")}</a></li>',
        f'<li><a href="plan.html">{w("plan")}</a></li>',
        f"<li>{w('film')}: {film}</li>",
        f'<li><a href="teams.html">{w("teams")}</a> ({_totals(pkg, w)})</li>',
    ]
    extra = [
        f'<li><a href="{name}">{w(key)}</a></li>'
        for name, key in (("report.html", "report"), ("map.html", "map"), ("review.html", "review"))
        if name in d
    ]
    also = f"<h2>{w('also')}</h2><ul>{''.join(extra)}</ul>" if extra else ""
    body = f'<p>{w("seed")}</p><ol class="parts">{"".join(parts)}</ol>{also}'
    return _page(w, "package", pkg, body, index=True)


def _stations_in_command(pkg: Package, teams: Mapping[str, list[dict]], commands: Mapping[str, str]) -> list[str]:
    """Every station with a command box: it serves a planned unit, owns a team or has a commander; the
    scenario's order (hub, wings, points), then any other code."""
    wanted = set(pkg.serving) | set(teams) | set(commands)
    known = [code for code in pkg.stations if code in wanted]
    return known + sorted(wanted - set(known))


def organisation_page(pkg: Package, w: _Words) -> str:
    by_station: dict[str, list[dict]] = {}
    for t in pkg.teams:
        by_station.setdefault(t["station"], []).append(t)
    commands: dict[str, str] = {}
    for m in pkg.members:
        if m["role"] == "station_command" and m["station"]:
            commands[m["station"]] = f"{commands[m['station']]}, {m['user']}" if m["station"] in commands else m["user"]
    joint = [m["user"] for m in pkg.members if m["role"] == "joint_command"]
    appoint = w.plain("to_appoint")

    def team_box(t: dict) -> str:
        name = f" {t['name']}" if t.get("name") else ""
        return (
            f'<li><span class="box">{w("team")} {html.escape(t["code"] + name)} · {w(t["kind"])} · '
            f"{w('headcount')} {t['headcount']} · {w('leader')}: {html.escape(t['leader'] or appoint)}</span></li>"
        )

    def station_box(st: str) -> str:
        units = pkg.serving.get(st, [])
        serves = f' <span class="note">{w("serves_units")}: {html.escape(", ".join(units))}</span>' if units else ""
        teams = "".join(team_box(t) for t in by_station.get(st, [])) or (
            f'<li><span class="note">{w("no_station_teams")}</span></li>'
        )
        return (
            f'<li><span class="box">{w("station_command")}: {html.escape(_station(pkg, st))} — '
            f"{html.escape(commands.get(st, appoint))}</span>{serves}<ul>{teams}</ul></li>"
        )

    post = html.escape(pkg.command_name) if pkg.command_name else w("joint_command")
    seats = "".join(f"<li>{html.escape(name)}</li>" for name in joint) or f"<li>{html.escape(appoint)}</li>"
    stations = _stations_in_command(pkg, by_station, commands)
    tree = (
        f'<div class="tree"><span class="box">{post}</span><ul class="seats">{seats}</ul>'
        f"<ul>{''.join(station_box(st) for st in stations)}</ul></div>"
    )
    members = (
        _table(
            [w("member"), w("role"), w("station"), w("team")],
            [[m["user"], w.both(m["role"]), _station(pkg, m["station"]), m["team"] or "—"] for m in pkg.members],
        )
        if pkg.members
        else f'<p class="note">{w("to_appoint")}</p>'
    )
    orders = (
        _table(
            [w("issued_at"), w("issued_by"), w("to"), w("text"), w("status")],
            [[o["issued_at"], o["issued_by"], o["to"], o["text"], w.plain(o["status"])] for o in pkg.orders],
        )
        if pkg.orders
        else f'<p class="note">{w("no_orders")}</p>'
    )
    note = "" if pkg.live else f'<p class="note">{w("members_note")}</p>'
    body = f"<h2>{w('chain')}</h2>{tree}<p class='note'>{w('chain_note')}</p><h2>{w('members')}</h2>{members}{note}" + (
        f"<h2>{w('orders')}</h2>{orders}" if pkg.live else ""
    )
    return _page(w, "organisation", pkg, body)


def procedure_page(pkg: Package, w: _Words) -> str:
    head = [w("step"), w("target"), w("planned")]
    if pkg.live:
        head += [w("actual"), w("actual_min")]
    rows = []
    for s in pkg.steps:
        row = [w.both(s["step"]), f"{s['target_minutes']:g}"]
        row.append(s["planned"] or "—")
        if pkg.live:
            mins = s.get("actual_minutes")
            over = f" ({w.plain('over')})" if s.get("over") else ""
            row += [s.get("actual") or "—", "—" if mins is None else f"{mins:g}{over}"]
        rows.append(row)
    classes = ["over" if s.get("over") else "" for s in pkg.steps]
    body = f"{_table(head, rows, classes)}<p class='note'>{w('procedure_note')}</p>"
    return _page(w, "procedure", pkg, body)


def _totals(pkg: Package, w: _Words) -> str:
    """``N = 12 · 141 people · 43 vehicles``: the teams, their headcount and vehicles summed."""
    people = sum(int(t["headcount"]) for t in pkg.teams)
    vehicles = sum(int(t.get("vehicles") or 0) for t in pkg.teams)
    return f"N = {len(pkg.teams)} · {people} {w('people')} · {vehicles} {w('vehicles')}"


def roster_page(pkg: Package, w: _Words) -> str:
    if not pkg.teams:
        return _page(w, "teams", pkg, f'<p class="note">{w("no_teams")}</p>')
    rows = [
        [
            t["code"] + (f" {t['name']}" if t.get("name") else ""),
            w.both(t["kind"]),
            t["station"] or "—",  # its name: on the organisation page
            str(t["headcount"]),
            str(t.get("vehicles", 0)),
            t["leader"] or w.plain("to_appoint"),
            "\n".join(t["did"]) or w.plain("none"),
        ]
        for t in pkg.teams
    ]
    head = [w("team"), w("kind"), w("station"), w("headcount"), w("vehicles"), w("leader"), w("did")]
    table = f"<div class='roster'>{_table(head, rows)}</div>"
    body = f"<p>{_totals(pkg, w)}</p>{table}<p class='note'>{w('roster_note')}</p>"
    return _page(w, "teams", pkg, body)


def pages(pkg: Package) -> Mapping[str, str]:
    """The package's own pages by file name, in its language."""
    w = _Words(pkg.lang)
    return {
        "index.html": index_page(pkg, w),
        "organisation.html": organisation_page(pkg, w),
        "procedure.html": procedure_page(pkg, w),
        "teams.html": roster_page(pkg, w),
    }


def did_line(lang: str, action: str, unit: str, when: str, to: str | None = None) -> str:
    """One planned task of a team: ``D1 05:50 leaves for T-101 (→ GZ-RAIL)``."""
    w = _Words(lang)
    where = f" (→ {to})" if to else ""
    return f"{when} {w.plain(action)} {w.plain('for')} {unit}{where}"
