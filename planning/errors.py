"""Errors raised by :mod:`planning`; ``app.errors`` maps them to HTTP answers.

Every error is a :class:`ValueError` subclass whose message names the offending
parameter or input and, where there is a closed set, the allowed values.
"""

from __future__ import annotations


class PlanningError(ValueError):
    """Base class of every error raised by :mod:`planning`."""


class InvalidParameterError(PlanningError):
    """A parameter is missing, negative, out of range or not finite."""


class EmptyInputError(PlanningError):
    """An input that must have rows (cells, candidates, roads) has none."""


class MissingColumnError(PlanningError):
    """A GeoDataFrame lacks a required column or has the wrong geometry type."""


class InfeasibleError(PlanningError):
    """The optimisation problem has no feasible solution (e.g. budget too small)."""


class SolverError(PlanningError):
    """The solver ended without a proven optimum (time limit, numerical trouble)."""


class CancelledError(PlanningError):
    """A long run was cancelled through its progress callback."""
