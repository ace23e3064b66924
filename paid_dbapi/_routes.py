"""The API's two route sets and the one production host: where the three endpoints live.

The vendor's definition serves the same endpoints and shapes under a stable and an
experimental prefix. `auto` starts on the stable one and, when a request there answers 404,
moves once to the other, so a user never has to know which one a deployment serves.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ._contract import ENDPOINTS

STABLE = "/api/v2/analytics"
EXPERIMENTAL = "/api/v2/experimental/analytics"
#: route-set name -> path prefix
ROUTE_SETS = {"stable": STABLE, "experimental": EXPERIMENTAL}
#: what `routes=` accepts; `auto` falls back between the two on 404
ROUTES_CHOICES = ("auto", *ROUTE_SETS)
PRODUCTION_HOST = "https://api.agentpaid.io"


def default_path(routes: str) -> str:
    """The path prefix a URL without one gets: `auto` means stable first."""
    return ROUTE_SETS.get(routes, STABLE)


def production_url(routes: str = "auto") -> str:
    return PRODUCTION_HOST + default_path(routes)


def alternate(base_url: str) -> str | None:
    """The same host under the other route set, or None if the path is neither prefix."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    for own, other in ((STABLE, EXPERIMENTAL), (EXPERIMENTAL, STABLE)):
        if path.endswith(own):
            return urlunsplit(parts._replace(path=path[: -len(own)] + other))
    return None


def endpoint(path: str) -> str | None:
    """The endpoint (`/query`, ...) a request path names under either prefix, else None."""
    for prefix in ROUTE_SETS.values():
        if path.startswith(prefix) and path[len(prefix) :] in ENDPOINTS:
            return path[len(prefix) :]
    return None
