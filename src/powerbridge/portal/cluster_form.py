"""The field-by-field cluster form: every field a labelled input, choices from the live
inventory (read with the user's token), each wrong value's error beside its field.

Each field is named by its path in the cluster spec (`nodes.count`, `repository.size_gb`), so
the form becomes a spec (YAML, as `ha plan` reads it) by splitting the names, and the server's
located errors (`SpecError.key`, the same path) land beside the field they concern; an error
no field owns, and a blocked plan, show above the form. Plan shows the CLI's plan; Deploy
submits the spec the form made, exactly as the text area ("advanced") does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from powerbridge.deploy.errors import SpecErrors
from powerbridge.ha.spec import parse_cluster_spec
from powerbridge.portal.api.inventory import read_inventory
from powerbridge.portal.auth import Principal, check_csrf, optional_principal, refuse_viewer
from powerbridge.portal.clouds import user_cloud
from powerbridge.portal.clusters import plan_spec, read_spec, submit_text
from powerbridge.portal.errors import portal_error
from powerbridge.portal.rendering import page, to
from powerbridge.portal.state import PortalState, portal_state

__all__ = ["FIELDS", "cluster_form_routes", "form_spec"]

State = Annotated[PortalState, Depends(portal_state)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


@dataclass(frozen=True)
class Field:
    path: str  # the key in the cluster spec, dotted
    label: str
    kind: str = "text"  # text, number, textarea, or a choice list's inventory name
    help: str = ""
    required: bool = True

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-").replace("_", "-")


CHOICES = ("templates", "images", "networks", "storage-templates", "scgs")
FIELDS = (
    Field("name", "Cluster name", help="letters, digits and _ (PowerHA's rule)"),
    Field("nodes.count", "Number of nodes", "number", "2 to 8"),
    Field("template", "Compute template", "templates"),
    Field("image", "Image", "images", "AIX with PowerHA SystemMirror"),
    Field("network", "Network", "networks"),
    Field("shared_storage.count", "Shared disks", "number", "how many shared data volumes"),
    Field("shared_storage.size_gb", "Shared disk size (GB)", "number", "each shared disk"),
    Field("shared_storage.storage_template", "Storage template", "storage-templates"),
    Field("repository.size_gb", "Repository disk size (GB)", "number", "CAA: 1 to 460"),
    Field("repository.storage_template", "Repository storage template", "storage-templates"),
    Field(
        "placement.storage_connectivity_group", "Storage connectivity group", "scgs", required=False
    ),
    Field("service_ip.label", "Service IP label", help="a host name, in every node's /etc/hosts"),
    Field(
        "service_ip.address",
        "Service IP address",
        help="in the network's subnet, outside its pool; empty: PowerVC allocates one",
        required=False,
    ),
    Field("application.start.path", "Start script path", help="an absolute path"),
    Field("application.start.content", "Start script", "textarea"),
    Field("application.stop.path", "Stop script path", help="an absolute path"),
    Field("application.stop.content", "Stop script", "textarea"),
)
NUMBERS = frozenset(f.path for f in FIELDS if f.kind == "number")


def example_values() -> dict[str, str]:
    """The shipped 2-node example's values: what the form starts from."""
    text = resources.files("powerbridge.examples").joinpath("ha-2node.yaml").read_text()
    data = yaml.safe_load(text)
    values = {}
    for field in FIELDS:
        value: Any = data
        for part in field.path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values[field.path] = "" if value is None else str(value)
    return values


def form_spec(values: Mapping[str, str]) -> dict[str, Any]:
    """The cluster spec the fields make: numbers as numbers when they are whole (else kept
    as typed, for the spec check to name), empty optional fields left out."""
    spec: dict[str, Any] = {}
    for field in FIELDS:
        raw = values.get(field.path, "")
        text = raw if field.kind == "textarea" else raw.strip()
        if not text and not field.required:
            continue
        value: Any = int(text) if field.path in NUMBERS and text.isdigit() else text
        if field.kind == "textarea":
            value = text.replace("\r\n", "\n")
        parts = field.path.split(".")
        here = spec
        for part in parts[:-1]:
            here = here.setdefault(part, {})
        here[parts[-1]] = value
    if "address" not in spec.get("service_ip", {}):
        spec.setdefault("service_ip", {})["allocate"] = True
    spec["nodes"]["name"] = "{cluster}-node{index}"
    return spec


def field_errors(problem: SpecErrors) -> tuple[dict[str, list[str]], list[str]]:
    """Each located error by the field it concerns (the longest path that is a prefix of its
    key); the rest, for above the form."""
    by_field: dict[str, list[str]] = {}
    others = []
    paths = sorted((f.path for f in FIELDS), key=len, reverse=True)
    for error in problem.errors:
        key = error.key or ""
        owner = next((p for p in paths if key == p or key.startswith(p + ".")), None)
        if owner is None:
            others.append(str(error).removeprefix("<spec>: "))
            continue
        text = error.message + (f" ({error.allowed})" if error.allowed else "")
        by_field.setdefault(owner, []).append(text)
    return by_field, others


async def _scgs(state: PortalState, who: Principal) -> list[dict[str, Any]]:
    async with user_cloud(state.settings, who) as cloud:
        found = await cloud.powervc.storage_connectivity_groups()
    return [{"name": scg.name} for scg in found]


async def choices(state: PortalState, who: Principal) -> tuple[dict[str, list[str]], list[str]]:
    """The names to choose from per inventory list; the lists PowerVC refused, said why."""
    reads = [read_inventory(state, who, what) for what in CHOICES[:-1]] + [_scgs(state, who)]
    found = await asyncio.gather(*reads, return_exceptions=True)
    lists: dict[str, list[str]] = {}
    problems = []
    for what, result in zip(CHOICES, found, strict=True):
        if isinstance(result, Exception):  # the field becomes a text box, the reason said
            problems.append(f"{what}: {portal_error(result).message}")
        elif isinstance(result, BaseException):
            raise result
        else:
            lists[what] = sorted(str(item["name"]) for item in result)
    return lists, problems


async def _render(
    request: Request,
    state: PortalState,
    user: Principal,
    values: Mapping[str, str],
    status: int = 200,
    **context: Any,
) -> Response:
    lists, problems = await choices(state, user)
    name = "cluster_form_body.html" if request.headers.get("hx-request") else "cluster_form.html"
    status = 200 if request.headers.get("hx-request") else status
    return page(
        request,
        name,
        status,
        user=user,
        fields=FIELDS,
        values=values,
        lists=lists,
        inventory_problems=problems,
        errors=context.pop("errors", {}),
        others=context.pop("others", []),
        **context,
    )


async def _values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {f.path: v for f in FIELDS if isinstance(v := form.get(f.path, ""), str)}


def cluster_form_routes(router: APIRouter) -> None:
    @router.get("/clusters/new/form")
    async def form_page(request: Request, state: State, user: MaybeUser) -> Response:
        if user is None:
            return to("/signin")
        return await _render(request, state, user, example_values())

    @router.post("/clusters/new/form")
    async def form_post(request: Request, state: State, user: MaybeUser) -> Response:
        """Plan (the `plan` button) or deploy (`deploy`) what the fields say."""
        if user is None:
            return to("/signin")
        values = await _values(request)
        deploy = (await request.form()).get("do") == "deploy"
        text = yaml.safe_dump(form_spec(values), sort_keys=False, allow_unicode=True)
        try:
            await check_csrf(request, user)
            parse_cluster_spec(text, source=None)  # located errors, before anything else
            if deploy:
                refuse_viewer(user)
                job = await submit_text(state, user, text)
            else:
                plan = await plan_spec(state, user, read_spec(state, text))
                return await _render(request, state, user, values, plan=plan, rows=plan.rows())
        except SpecErrors as problem:
            errors, others = field_errors(problem)
            return await _render(request, state, user, values, 422, errors=errors, others=others)
        except Exception as problem:  # a blocked plan, PowerVC's refusal: above the form
            answer = portal_error(problem)
            shown = [answer.message, *answer.extra.get("blocks", [])[1:]]
            return await _render(request, state, user, values, answer.status, others=shown)
        target = f"/jobs/{job.id}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return to(target)
