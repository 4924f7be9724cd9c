"""Moved: KPI goals live in :mod:`cmokit.campaigns.goals` ("targets" means target lists).

Importing this module still works, with a ``FutureWarning``; ``load_targets`` is
``cmokit.campaigns.goals.load_goals``.
"""

from __future__ import annotations

import warnings

from cmokit.campaigns.goals import kpi_status, load_goals, load_targets  # noqa: F401  (old import path)

warnings.warn("cmokit.campaigns.targets is renamed cmokit.campaigns.goals (load_targets -> load_goals)",
              FutureWarning, stacklevel=2)

__all__ = ["kpi_status", "load_goals", "load_targets"]
