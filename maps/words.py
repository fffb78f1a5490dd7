"""The maps' words, translatable: every label a reader reads passes through a ``tr`` function.

The maps take plain data and know no web framework, so they carry no catalogue of their own:
``tr`` is the identity by default (the CLI's maps speak as written) and the console passes its
catalogue's gettext, so a map it serves speaks the user's language. Strings are written
``tr("...")`` so the console's extraction (``tools/console_messages.sh``) finds them; values
go in after translation (``tr("≤ {minutes} min").format(minutes=30)``); codes and numbers never
pass through ``tr``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from supply.core.items import ItemSpec

_BILINGUAL = re.compile(r"^(.*\S) \(([^()]+)\)$")
#: A translation function: the English wording in, the reader's language out.
Tr = Callable[[str], str]


def same(text: str) -> str:
    """No translation: the words as written."""
    return text


#: Marks a constant's words for extraction; they are translated where shown (``tr(CONSTANT)``).
tr_mark = same


def item_label(spec: ItemSpec | None, code: str, tr: Tr = same) -> str:
    """An item as people call it, with its unit (``Hot meals (份)``); its code if the catalogue lacks it."""
    if spec is None:
        return code
    name = _BILINGUAL.sub(r"\1 \2", tr(spec.name))  # "hot meals (热食)" untranslated reads "Hot meals 热食"
    return f"{name[:1].upper()}{name[1:]} ({spec.unit})"
