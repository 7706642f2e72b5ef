"""No dependency of any route runs in FastAPI's worker threads: a sync
dependency (or a parameter class's constructor) costs a thread hop per request,
more than a vector tile's own work."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant

from app.api.introspect import api_routes
from app.main import create_app
from app.settings import Settings


def _calls(dep: Dependant) -> Iterator[Any]:
    for sub in dep.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _is_async(call: Any) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    if inspect.isclass(call):
        return False  # Depends() on a class: its constructor runs in a thread
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def test_every_dependency_of_every_route_is_async() -> None:
    app = create_app(
        Settings(database_url="postgresql+psycopg://nobody@127.0.0.1/none")
    )
    sync = sorted(
        {
            f"{r.path}: {getattr(c, '__qualname__', type(c).__name__)}"
            for r in api_routes(app)
            for c in _calls(r.dependant)
            if not _is_async(c)
        }
    )
    assert sync == []
