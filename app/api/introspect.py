"""List the app's HTTP routes with their dependency trees (for audits and tests).

FastAPI 0.16x keeps included routers as lazy ``_IncludedRouter`` entries whose
routes are reached through ``effective_route_contexts()``; plain ``APIRoute``
entries are still listed directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


@dataclass(frozen=True, slots=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    dependant: Dependant
    endpoint: Callable[..., Any]

    @property
    def roles(self) -> frozenset[str]:
        """The role rule of the route: roles from every ``quvvat_roles`` dependency."""
        return frozenset(_roles(self.dependant))


def _roles(dep: Dependant) -> set[str]:
    found: set[str] = set(getattr(dep.call, "quvvat_roles", set()))
    for sub in dep.dependencies:
        found |= _roles(sub)
    return found


def api_routes(app: FastAPI) -> Iterator[RouteInfo]:
    """Every HTTP API route of ``app`` (not the docs, not WebSockets, not mounts)."""
    for r in app.routes:
        if isinstance(r, APIRoute):
            yield RouteInfo(r.path, frozenset(r.methods or ()), r.dependant, r.endpoint)
            continue
        contexts = getattr(r, "effective_route_contexts", None)
        if contexts is None:
            continue
        for c in contexts():
            if not getattr(c, "methods", None) or getattr(c, "dependant", None) is None:
                continue
            yield RouteInfo(c.path, frozenset(c.methods), c.dependant, c.endpoint)
