#!/usr/bin/env bash
# Re-extract the console's messages, merge them into the zh_CN and en catalogues and compile the .mo
# files (committed, so an install needs no build step). Translate new entries in the .po files between
# `extract` and `compile` (the domain's worded errors included): ./tools/console_messages.sh update; edit; ./tools/console_messages.sh compile
set -euo pipefail
cd "$(dirname "$0")/../supply/api/console"
step=${1:-all}
if [[ $step == update || $step == all ]]; then
  # the console's own messages, the domain's worded errors (ConflictError.worded("...", ...)) and the
  # maps' words (tr("..."), maps/words.py) it translates
  pybabel -q extract -F babel.cfg -k N_ -k worded -k tr -k tr_mark --no-location --sort-output --project jungong \
    -o locale/console.pot . ../simulations.py ../../drills ../../core ../../service ../../../maps
  for lang in zh_CN en; do
    if [[ -f locale/$lang/LC_MESSAGES/console.po ]]; then
      pybabel -q update -D console -i locale/console.pot -d locale -l "$lang" --no-fuzzy-matching --ignore-obsolete
    else
      pybabel -q init -D console -i locale/console.pot -d locale -l "$lang"
    fi
  done
fi
if [[ $step == compile || $step == all ]]; then
  pybabel -q compile -D console -d locale --statistics
fi
