"""How services declare routes: auth responses derived from the guards, and path aliases."""

from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, get_parameterless_sub_dependant
from fastapi.routing import APIRoute

from microshop.common.errors import Responses
from microshop.common.security import guard_responses


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def auth_responses(path: str, endpoint: Callable[..., Any], dependencies: Sequence[params.Depends] = ()) -> Responses:
    """The 401 and 403 the guards among a route's dependencies can answer (`common/security.py`).

    The endpoint's own parameters come last, so a route that also takes `AdminUser` under a router
    for any user documents the admin's 403.
    """
    dependants = [get_parameterless_sub_dependant(depends=depends, path=path) for depends in dependencies]
    dependants.append(get_dependant(path=path, call=endpoint))
    responses: Responses = {}
    for dependant in dependants:
        for call in _calls(dependant):
            responses.update(guard_responses(call))
    return responses


class AuthDocumentedRoute(APIRoute):
    """A route whose OpenAPI lists the 401 and 403 its guards answer; what the route documents itself wins.

    Every service router is `APIRouter(route_class=AuthDocumentedRoute)`; the bearer check that every
    route gets documents its 401 where `create_service_app` adds it.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        responses: Responses | None = None,
        dependencies: Sequence[params.Depends] | None = None,
        **kwargs: Any,
    ) -> None:
        documented = {**auth_responses(path, endpoint, dependencies or ()), **(responses or {})}
        super().__init__(path, endpoint, responses=documented, dependencies=dependencies, **kwargs)


def with_aliases(
    router: APIRouter, *, prefix: str, alias_prefix: str, paths: Collection[str] | None = None
) -> APIRouter:
    """`router` under `prefix`, and again under `alias_prefix`: every route, or those at `paths`.

    An alias is the same route (handler, status, responses, dependencies) at another path, for
    clients of the original specification (docs/architecture.md#spec-differences); it is left out
    of OpenAPI, so each operation is documented once.
    """
    aliased = router
    if paths is not None:
        aliased = APIRouter(routes=[route for route in router.routes if getattr(route, "path", None) in paths])
    served = APIRouter()
    served.include_router(router, prefix=prefix)
    served.include_router(aliased, prefix=alias_prefix, include_in_schema=False)
    return served
