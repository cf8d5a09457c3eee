"""The API's OpenAPI document as the portal answers, not as FastAPI guesses it.

FastAPI documents a validation error as `{"detail": [...]}`; the portal answers every error
as `{"error": {"message", "hint", ...}}` (errors.py), so each operation's error answers are
documented with that `Error` schema instead, the statuses it can give listed. And the
operations are linked (OpenAPI links), so a client, or schemathesis's stateful tests,
follow a submitted create or action to its job and its events, and a listed cluster or job
to its own routes. With several clouds every operation takes the optional
`X-PowerBridge-Cloud` header, one of the portal's clouds (clouds.py); with one it is left
out (its only value changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from powerbridge.portal.clouds import CLOUD_HEADER

__all__ = ["install_openapi"]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string", "minLength": 1},
                "hint": {"type": ["string", "null"]},
            },
            "additionalProperties": True,  # problems, blocks, retry_after
        }
    },
}
ERRORS = {
    "400": f"{CLOUD_HEADER} names no cloud of this portal, or not the session's",
    "401": "Not signed in, or the X-Auth-Token is not valid",
    "403": "A viewer's write, a missing CSRF token, or PowerVC's policy",
    "404": "No such job or cluster in your project",
    "409": "The cluster is busy with another job",
    "413": "The body is too large",
    "422": "The request, the spec or the plan is not valid (each problem located)",
    "429": "Too many failed sign-ins from this address (Retry-After)",
    "502": "PowerVC failed or could not be reached",
    "503": "The job store is not available",
}
JOB = "/api/v1/jobs/{job_id}"
CLUSTER = "/api/v1/clusters/{name}"
# (path, method, status) -> links: (target path, method, parameter, runtime expression)
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = {
    ("/api/v1/jobs", "get", "200"): [
        (JOB, "get", "job_id", "$response.body#/jobs/0/id"),
        (f"{JOB}/events", "get", "job_id", "$response.body#/jobs/0/id"),
    ],
    ("/api/v1/clusters", "get", "200"): [
        (CLUSTER, "get", "name", "$response.body#/clusters/0/name"),
        (f"{CLUSTER}/topology.svg", "get", "name", "$response.body#/clusters/0/name"),
        (f"{CLUSTER}/failover", "post", "name", "$response.body#/clusters/0/name"),
        (f"{CLUSTER}/stop", "post", "name", "$response.body#/clusters/0/name"),
        (f"{CLUSTER}/start", "post", "name", "$response.body#/clusters/0/name"),
        (f"{CLUSTER}/disks", "post", "name", "$response.body#/clusters/0/name"),
        (CLUSTER, "delete", "name", "$response.body#/clusters/0/name"),
    ],
    **{
        (path, method, "202"): [
            (JOB, "get", "job_id", "$response.body#/job/id"),
            (f"{JOB}/events", "get", "job_id", "$response.body#/job/id"),
        ]
        for path, method in (
            ("/api/v1/clusters", "post"),
            (f"{CLUSTER}/failover", "post"),
            (f"{CLUSTER}/stop", "post"),
            (f"{CLUSTER}/start", "post"),
            (f"{CLUSTER}/disks", "post"),
            (CLUSTER, "delete"),
        )
    },
}


def install_openapi(app: FastAPI, clouds: tuple[str, ...]) -> None:
    """`app.openapi` builds (once) the document described above; `clouds`: the names the
    cloud header takes, the default first."""
    built: dict[str, Any] = {}

    def document() -> dict[str, Any]:
        if not built:
            built.update(portal_openapi(app, clouds))
        return built

    setattr(app, "openapi", document)  # noqa: B010 (FastAPI's documented override)


def portal_openapi(app: FastAPI, clouds: tuple[str, ...]) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Error"] = ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    for operations in paths.values():
        for operation in operations.values():
            _document_errors(operation)
            if len(clouds) > 1:
                operation.setdefault("parameters", []).append(_cloud_parameter(clouds))
    _link(paths, lambda path, method: paths[path][method]["operationId"])
    return schema


def _cloud_parameter(clouds: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": CLOUD_HEADER,
        "in": "header",
        "required": False,
        "description": f"The cloud (one PowerVC per site) to work on; default {clouds[0]}."
        " A session works on the cloud it signed in to.",
        "schema": {"type": "string", "enum": list(clouds)},
    }


def _document_errors(operation: dict[str, Any]) -> None:
    answers = operation.setdefault("responses", {})
    for status, description in ERRORS.items():
        answers[status] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }


def _link(paths: dict[str, dict[str, Any]], operation_id: Callable[[str, str], str]) -> None:
    for (path, method, status), targets in LINKS.items():
        answer = paths[path][method]["responses"].setdefault(status, {"description": "Accepted"})
        links = answer.setdefault("links", {})
        for target, target_method, parameter, expression in targets:
            name = operation_id(target, target_method)
            links[name] = {"operationId": name, "parameters": {parameter: expression}}
