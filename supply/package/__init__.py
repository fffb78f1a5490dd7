"""A drill's "1+1+1+1+N" as one offline package: the composition both edges (CLI and API) share.

It sits between the edges and the live drills (``pyproject.toml``'s layers): it composes the
simulation, the maps and the drills' record, as only the edges may, so that ``jungong package``
and ``GET /drills/{id}/package.zip`` write the same package.
"""
