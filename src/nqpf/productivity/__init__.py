"""Productivity and efficiency: DEA (CCR/BCC, SBM, super-efficiency, DDF) and productivity indices
(Malmquist, Malmquist–Luenberger, Global ML, Luenberger); growth accounting, SFA and firm-level TFP.
"""

from __future__ import annotations

# --- DEA and productivity indices (dea.py, malmquist.py) ---
from nqpf.productivity.dea import dea
from nqpf.productivity.malmquist import malmquist

__all__ = ["dea", "malmquist"]

# --- growth accounting, KLEMS, SFA, firm TFP (owned by the growth/SFA helper; add exports below) ---
