"""Live drills: teams, the command chain (members, orders, procedure), starting a drill from its
action plan, the board, "what if, from now", and the after-action review.

A drill writes only exercise-marked records; its tables are in :mod:`supply.drills.models`.
"""
