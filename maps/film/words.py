"""The film's words in Chinese and English: labels, captions made from events, the clock.

Every caption is built from one :class:`~supply.core.timeline.Event`'s facts (codes and numbers
are never translated): ``T-104 arrives at N-WING; 600 seats, 2 sittings`` /
``T-104 抵达 N-WING：600 座，分 2 批就餐``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from supply.core.errors import InvalidArgumentError
from supply.core.timeline import Event, day_clock

LANGS = ("zh", "en")

ITEMS = {
    "meals": {"zh": "热食", "en": "meals"},
    "water_l": {"zh": "饮用水", "en": "water"},
    "diesel_l": {"zh": "柴油", "en": "diesel"},
    "rations": {"zh": "野战口粮", "en": "rations"},
    "medical_kits": {"zh": "医疗包", "en": "medical kits"},
    "bed_nights": {"zh": "床位", "en": "bed-nights"},
}
VEHICLES = {
    "unit": {"zh": "部队", "en": "unit"},
    "kitchen": {"zh": "野战炊事车", "en": "field kitchen"},
    "fuel_truck": {"zh": "加油车", "en": "fuel truck"},
    "water_truck": {"zh": "运水车", "en": "water truck"},
    "restock": {"zh": "补给车", "en": "restock run"},
    "handover": {"zh": "配送分队", "en": "handover team"},
}
#: What a unit's badge colour at a station says.
STATUS_WORDS = {
    "arrives": {"zh": "已到站", "en": "arrived"},
    "queues": {"zh": "排队等座", "en": "queueing for seats"},
    "seated": {"zh": "就餐中", "en": "eating"},
    "fed": {"zh": "就餐完毕", "en": "fed"},
    "refuelled": {"zh": "加油完毕", "en": "refuelled"},
}
LABELS = {
    "title": {"zh": "保障演练示范录像", "en": "Drill demonstration film"},
    "simulation": {"zh": "仿真推演", "en": "simulated drill"},
    "live": {"zh": "实兵演练", "en": "live drill"},
    "stock": {"zh": "库存（占初始量）", "en": "Stock (share of opening)"},
    "at_station": {"zh": "在站部队", "en": "Units at stations"},
    "none": {"zh": "（无）", "en": "(none)"},
    "play": {"zh": "播放", "en": "Play"},
    "pause": {"zh": "暂停", "en": "Pause"},
    "speed": {"zh": "速度", "en": "Speed"},
    "routes": {"zh": "显示路线", "en": "Routes"},
    "closed": {"zh": "封闭", "en": "closed"},
    "legend_closed": {"zh": "封闭路段", "en": "Closed link"},
    "speed_note": {
        "zh": "1 秒录像 = {speed} 秒演练时间",
        "en": "1 s of film = {speed} s of drill time",
    },
    "replication": {
        "zh": "第 {index} 次重复（共 {of} 次，{why}）",
        "en": "replication {index} of {of} ({why})",
    },
    "median": {"zh": "按计划部队准时数取中位", "en": "the median by planned units on time"},
    "worst": {"zh": "按计划部队准时数取最差", "en": "the worst by planned units on time"},
    "chosen": {"zh": "指定", "en": "as asked"},
    "on_time_of": {"zh": "计划部队准时 {on_time}/{of}", "en": "planned units on time: {on_time} of {of}"},
    "plan_vs_actual": {"zh": "计划 {plan}，实际 {actual}", "en": "planned {plan}, actual {actual}"},
    "day": {"zh": "第 {day} 天", "en": "Day {day}"},
    "happening": {"zh": "动态", "en": "What is happening"},
    "next": {"zh": "下一步", "en": "Next"},
}

_CAPTIONS: dict[str, dict[str, str]] = {
    "arrives": {
        "zh": "{subject} 抵达 {station}：{people} 人{extra}",
        "en": "{subject} arrives at {station}: {people} troops{extra}",
    },
    "queues": {
        "zh": "{subject} 在 {station} 排队等座（{people} 人）",
        "en": "{subject} queues for seats at {station} ({people} waiting)",
    },
    "seated": {"zh": "{subject} 在 {station} 开始就餐", "en": "{subject} seated at {station}"},
    "fed": {
        "zh": "{subject} 在 {station} 就餐完毕（{people} 人，到达后 {minutes} 分钟）",
        "en": "{subject} fed at {station}: {people} troops, {minutes} min after arriving",
    },
    "refuelled": {
        "zh": "{subject} 在 {station} 加油完毕：{vehicles}/{of} 台车辆",
        "en": "{subject} refuelled at {station}: {vehicles} of {of} vehicles",
    },
    "leaves": {"zh": "{subject} 离开 {station}（{outcome}）", "en": "{subject} leaves {station} ({outcome})"},
    "missed": {
        "zh": "{subject} 离开 {station}：{unfed} 人未就餐，{unfuelled} 台车辆未加油",
        "en": "{subject} leaves {station} with {unfed} unfed, {unfuelled} vehicles not refuelled",
    },
    "departs": {
        "zh": "{count} 台{what}从 {station} 出发，前往 {to}（{subject}）",
        "en": "{what} ×{count} leave {station} for {to} ({subject})",
    },
    "on_site": {"zh": "{count} 台{what}到达 {to}（{subject}）", "en": "{what} ×{count} reach {to} ({subject})"},
    "restocked": {
        "zh": "{station} 补充{item} {quantity}",
        "en": "{station} restocked: {quantity} {item}",
    },
    "closed": {"zh": "{subject} 封闭{until}", "en": "{subject} closed{until}"},
    "reopened": {"zh": "{subject} 恢复通行", "en": "{subject} reopened"},
    "offline": {"zh": "{subject} 停止保障", "en": "{subject} out of action"},
    "online": {"zh": "{subject} 恢复保障", "en": "{subject} back in action"},
    "slowed": {"zh": "{subject} 通行变慢（×{factor}）", "en": "{subject} slowed (×{factor})"},
    "lost": {"zh": "{station} 损失{item} {quantity}", "en": "{station} loses {quantity} {item}"},
    "order": {"zh": "命令下达 {subject}：{text}", "en": "Order to {subject}: {text}"},
    "chapter": {"zh": "{text_zh}", "en": "{text_en}"},
}
_OUTCOMES = {
    "on_time": {"zh": "准时", "en": "on time"},
    "late": {"zh": "超时", "en": "late"},
    "missed": {"zh": "未完成保障", "en": "not all served"},
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        msg = f"lang must be one of {', '.join(LANGS)}, got {lang!r}"
        raise InvalidArgumentError(msg)
    return lang


def label(key: str, lang: str, **values: Any) -> str:
    return LABELS[key][lang].format(**values)


def item_name(item: str, lang: str) -> str:
    return ITEMS.get(item, {}).get(lang, item)


def clock(minute: float, start_iso: str | None = None) -> str:
    """``D1 06:30``; a live drill's wall clock (``2026-05-01 06:30``) when its start is known."""
    if start_iso:
        return (datetime.fromisoformat(start_iso) + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M")
    return day_clock(minute)


def _qty(x: float) -> str:
    return f"{x:,.0f}"


def caption(e: Event, lang: str) -> str:
    """One line saying what the event was, in ``lang``."""
    d = e.detail
    extra = ""
    if e.kind == "arrives" and d.get("seats"):
        sittings = math.ceil(e.people / d["seats"]) if d["seats"] else 0
        extra = (
            f"；{d['seats']:,} 座，分 {sittings} 批就餐"
            if lang == "zh"
            else f"; {d['seats']:,} seats, {sittings} sitting{'s' if sittings != 1 else ''}"
        )
    if e.kind == "arrives" and e.vehicles:
        extra += f"，{e.vehicles} 台车辆" if lang == "zh" else f", {e.vehicles} vehicles"
    until = ""
    if e.kind == "closed" and d.get("until") is not None:
        until = f"，至 {day_clock(d['until'])}" if lang == "zh" else f" until {day_clock(d['until'])}"
    values = {
        "subject": e.subject,
        "station": e.station,
        "people": _qty(e.people),
        "vehicles": e.vehicles,
        "of": d.get("of", e.vehicles),
        "extra": extra,
        "until": until,
        "minutes": f"{d.get('minutes', 0):.0f}",
        "outcome": _OUTCOMES.get(d.get("outcome", ""), {}).get(lang, d.get("outcome", "")),
        "unfed": _qty(d.get("unfed", 0)),
        "unfuelled": d.get("unfuelled", 0),
        "what": VEHICLES.get(d.get("what", ""), {}).get(lang, d.get("what", "")),
        "count": d.get("count", 1),
        "to": d.get("to", ""),
        "item": item_name(d.get("item", ""), lang),
        "quantity": _qty(d.get("quantity", 0)),
        "factor": d.get("factor", ""),
        "text": d.get("text", ""),
        "text_zh": d.get("zh", e.subject),
        "text_en": d.get("en", e.subject),
    }
    text = _CAPTIONS[e.kind][lang].format(**values)
    if e.planned is not None:
        text += " · " + label("plan_vs_actual", lang, plan=day_clock(e.planned), actual=day_clock(e.minute))
    return text
