"""Drill rehearsal: a SimPy model of the supply network under a drill's timeline, run as Monte Carlo.

``spec`` validates a scenario's ``[drill]`` section; ``plan`` compiles it with the network into
plain, picklable data; ``model`` runs one replication; ``runner`` runs many (locally or on a Dask
cluster) and ``stats`` aggregates them as they stream in; ``compare`` and ``report`` present them.
"""

from simulation.runner import run_drill
from simulation.spec import DrillSpec, drill_spec

__all__ = ["DrillSpec", "drill_spec", "run_drill"]
