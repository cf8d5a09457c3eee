"""Fault injection (mimic's "behaviours"): reproducible failures, off by default.

Server rules match a server by name regex and/or metadata and change its lifecycle:
- `fail_at`: the deploy goes to ERROR when it reaches `task_state`, with `message`;
- `stuck_in_build`: the deploy stays in BUILD for `seconds` more before going on;
- `active_then_error`: the server becomes ACTIVE, then ERROR `seconds` later with `message`.
API rules make a fraction of calls to a service fail with `status` and/or wait `latency`
seconds; `times` limits a rule to the next N calls it matches (then it stays listed, spent), and
`after_handling` carries the call out before answering `status` (a lost answer: the create
happened, the client cannot tell). An API rule of mode `reset_connection` closes the socket with
a TCP reset instead of answering: before the call is carried out (mid-request), or with
`after_handling` once it is, halfway through the answer's body (mid-response).
Token rules (`kind: token`) make every token issued while the rule exists expire `seconds`
clock-seconds after its issue (`seconds / speed` of wall time on the real clock), so a run sped
up by the clock still crosses token expiries.
Node rules match a simulated AIX node by host name regex and change how its sshd answers:
- `refuse_ssh`: nothing listens on its port (connections refused) while the rule exists;
- `reset_ssh`: a session's connection is cut while its command runs (`times`, `fraction`);
- `changed_host_key`: sshd presents another host key than ssh/known_hosts holds;
- `fail_command`: a command line matching `command_regex` prints `message` on stderr and exits
  `exit_status` (default 1) instead of running (`times`, `fraction`);
- `slow_command`: a command line matching `command_regex` waits `latency` wall-clock seconds
  before it runs (a slow node, a hung disk: `times`, `fraction`);
- `crash`, `host_failure` (every node on `host`), `lose_repository_disk` (the CAA repository of
  the matching nodes' cluster): one-shot events, applied when the rule is added, then spent.
A seeded random generator makes fractions reproducible.
Rules come from the admin API and from the estate's `behaviours` section (checked by the same
`parse_behaviour`).
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.errors import ApiError, bad_request, not_found
from powerbridge.emulator.services import SERVICE_NAMES
from powerbridge.emulator.store import Store

SERVER_MODES = ("fail_at", "stuck_in_build", "active_then_error")
SSH_MODES = ("refuse_ssh", "reset_ssh", "changed_host_key")
# one-shot node events: applied as soon as the rule is added, then the rule is spent
EVENT_MODES = ("crash", "host_failure", "lose_repository_disk")
COMMAND_MODES = ("fail_command", "slow_command")  # rules matched against a command line
NODE_MODES = (*SSH_MODES, *COMMAND_MODES, *EVENT_MODES)
API_MODES = ("", "reset_connection")  # "": answer `status` and/or wait `latency`
KINDS = ("server", "api", "node", "token")
TASK_STATES = ("scheduling", "block_device_mapping", "networking", "spawning")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class Behaviour:
    id: str
    kind: str  # "server", "api" or "node"
    mode: str = ""  # server rules: one of SERVER_MODES; node rules: one of NODE_MODES
    name_regex: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    task_state: str | None = None
    message: str = ""
    seconds: float = 0.0
    service: str | None = None  # api rules
    method: str | None = None
    path_regex: str | None = None
    status: int | None = None
    latency: float = 0.0
    fraction: float = 1.0
    times: int | None = None  # api rules: only the next N matching calls (None: all)
    after_handling: bool = False  # api rules: carry the call out, then answer `status`
    command_regex: str | None = None  # node command rules: the command lines they strike
    exit_status: int | None = None  # node rules, fail_command: the status (None: 1)
    host: str | None = None  # node rules, host_failure: the estate host that fails

    def to_wire(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", {}) and v is not False}


@dataclass(frozen=True)
class ApiFault:
    status: int | None
    latency: float
    message: str
    after_handling: bool = False
    reset: bool = False  # close the connection (a TCP reset) instead of answering


ESTATE_PREFIX = "estate-"


class Behaviours:
    def __init__(
        self, store: Store, seed: int = 0, declared: Sequence[Mapping[str, Any]] = ()
    ) -> None:
        """`declared`: the estate's rules, applied at every start ahead of the rules added
        through the API (ids `estate-1`, `estate-2`...); they are not stored, so the estate
        file stays their one source and a rule removed through the API is back next start."""
        self._store = store
        self._watchers: list[Callable[[], None]] = []
        self._rules: dict[str, Behaviour] = {}
        self._random = random.Random(seed)
        for number, body in enumerate(declared, start=1):
            rule = parse_behaviour(body)
            rule.id = f"{ESTATE_PREFIX}{number}"
            self._rules[rule.id] = rule
        for body in store.load("behaviour"):
            rule = Behaviour(**body)
            self._rules[rule.id] = rule

    def list(self) -> list[Behaviour]:
        return list(self._rules.values())

    def watch(self, watcher: Callable[[], None]) -> None:
        """Call `watcher()` after every added or removed rule (the nodes' sshd follows)."""
        self._watchers.append(watcher)

    def _changed(self) -> None:
        for watcher in self._watchers:
            watcher()

    def add(self, body: Mapping[str, Any]) -> Behaviour:
        rule = parse_behaviour(body)
        self._rules[rule.id] = rule
        self._store.put("behaviour", rule.id, asdict(rule))
        self._changed()
        return rule

    def remove(self, rule_id: str) -> None:
        if self._rules.pop(rule_id, None) is None:
            raise not_found(f"Behaviour {rule_id} could not be found.")
        if not rule_id.startswith(ESTATE_PREFIX):
            self._store.delete("behaviour", rule_id)
        self._changed()

    def clear(self) -> None:
        for rule_id in list(self._rules):
            self.remove(rule_id)

    def for_server(self, name: str, metadata: Mapping[str, str]) -> Behaviour | None:
        for rule in self._rules.values():
            if rule.kind != "server":
                continue
            if rule.name_regex and not re.search(rule.name_regex, name):
                continue
            if any(metadata.get(k) != v for k, v in rule.metadata.items()):
                continue
            return rule
        return None

    def node_rule(self, node_name: str, mode: str, command: str | None = None) -> Behaviour | None:
        """The first node rule of `mode` matching the host name (and `command`, the command
        line, for the command rules) that is not spent."""
        for rule in self._rules.values():
            if rule.kind != "node" or rule.mode != mode or rule.times == 0:
                continue
            if rule.name_regex is not None and not re.search(rule.name_regex, node_name):
                continue
            if command is not None and not re.search(rule.command_regex or "", command):
                continue
            return rule
        return None

    def node_fault(self, node_name: str, mode: str, command: str | None = None) -> Behaviour | None:
        """A node rule of `mode` that strikes now (by its fraction), spending one of its
        `times`."""
        rule = self.node_rule(node_name, mode, command)
        if rule is None or self._random.random() >= rule.fraction:
            return None
        self._spend(rule)
        return rule

    def pending_events(self) -> Sequence[Behaviour]:
        """The one-shot node rules (crash, host_failure...) not yet applied."""
        return [
            rule
            for rule in self._rules.values()
            if rule.kind == "node" and rule.mode in EVENT_MODES and rule.times != 0
        ]

    def spend_event(self, rule: Behaviour) -> None:
        """A one-shot rule was applied: it stays listed, spent (`times` 0)."""
        rule.times = 0
        if not rule.id.startswith(ESTATE_PREFIX):
            self._store.put("behaviour", rule.id, asdict(rule))

    def api_fault(self, service: str, method: str, path: str) -> ApiFault | None:
        if not self._rules:
            return None
        for rule in self._rules.values():
            if rule.kind != "api" or rule.service != service:
                continue
            if rule.method and rule.method.upper() != method:
                continue
            if rule.path_regex and not re.search(rule.path_regex, path):
                continue
            if rule.times == 0:
                continue  # spent
            if self._random.random() < rule.fraction:
                self._spend(rule)
                reset = rule.mode == "reset_connection"
                return ApiFault(rule.status, rule.latency, rule.message, rule.after_handling, reset)
        return None

    def token_lifetime(self) -> float | None:
        """The clock-seconds a token issued now lives by the token rules (the shortest), or
        None when no token rule exists."""
        lifetimes = [rule.seconds for rule in self._rules.values() if rule.kind == "token"]
        return min(lifetimes) if lifetimes else None

    def _spend(self, rule: Behaviour) -> None:
        if rule.times is None:
            return
        rule.times -= 1
        if not rule.id.startswith(ESTATE_PREFIX):
            self._store.put("behaviour", rule.id, asdict(rule))


def parse_behaviour(body: Mapping[str, Any]) -> Behaviour:
    """Validate a behaviour rule from the API or the estate; errors name the field."""
    if not isinstance(body, Mapping):
        raise bad_request("A behaviour must be a JSON object.")
    allowed = set(Behaviour.__dataclass_fields__) - {"id"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(
            f"Unknown behaviour field '{unknown[0]}'; allowed: {', '.join(sorted(allowed))}."
        )
    kind = body.get("kind")
    if kind not in KINDS:
        raise bad_request("Behaviour 'kind' must be 'server', 'api', 'node' or 'token'.")
    try:
        rule = Behaviour(id=str(uuid.uuid4()), **body)
        _check_types(rule)
    except (TypeError, ValueError) as problem:
        raise bad_request(f"Invalid behaviour: {problem}.") from None
    if kind == "server":
        _check_server_rule(rule)
    elif kind == "node":
        _check_node_rule(rule)
    elif kind == "token":
        _check_token_rule(rule)
    else:
        _check_api_rule(rule)
    return rule


def _check_types(rule: Behaviour) -> None:
    rule.seconds = _finite(rule.seconds, "seconds")
    rule.latency = _finite(rule.latency, "latency")
    rule.fraction = _finite(rule.fraction, "fraction")
    if not isinstance(rule.metadata, dict) or not all(
        isinstance(v, str) for v in rule.metadata.values()
    ):
        raise ValueError("'metadata' must be an object of strings")
    if not isinstance(rule.message, str):
        raise ValueError("'message' must be a string")
    if rule.times is not None and (
        isinstance(rule.times, bool) or not isinstance(rule.times, int) or rule.times < 1
    ):
        raise ValueError("'times' must be a whole number of at least 1")
    if not isinstance(rule.after_handling, bool):
        raise ValueError("'after_handling' must be true or false")
    if rule.exit_status is not None and (
        isinstance(rule.exit_status, bool)
        or not isinstance(rule.exit_status, int)
        or not 0 <= rule.exit_status <= 255
    ):
        raise ValueError("'exit_status' must be a whole number from 0 to 255")
    if rule.host is not None and not isinstance(rule.host, str):
        raise ValueError("'host' must be a string")
    patterns = {
        "name_regex": rule.name_regex,
        "path_regex": rule.path_regex,
        "command_regex": rule.command_regex,
    }
    for name, pattern in patterns.items():
        if pattern is None:
            continue
        if not isinstance(pattern, str):
            raise ValueError(f"'{name}' must be a regular expression (a string)")
        try:
            re.compile(pattern)
        except re.error as problem:
            raise ValueError(f"bad regular expression {pattern!r} in '{name}': {problem}") from None


def _finite(value: Any, name: str) -> float:
    # NaN and infinity would pass every range check below and break sleeps and schedules
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"'{name}' must be a finite number")
    return number


def _check_server_rule(rule: Behaviour) -> None:
    if rule.mode not in SERVER_MODES:
        raise bad_request(f"Server behaviour 'mode' must be one of {', '.join(SERVER_MODES)}.")
    if not rule.name_regex and not rule.metadata:
        raise bad_request("A server behaviour needs 'name_regex' or 'metadata' to match on.")
    if rule.mode == "fail_at" and rule.task_state not in TASK_STATES:
        raise bad_request(f"'fail_at' needs 'task_state', one of {', '.join(TASK_STATES)}.")
    if rule.seconds < 0:
        raise bad_request("'seconds' cannot be negative.")
    if rule.times is not None or rule.after_handling:
        raise bad_request("'times' and 'after_handling' apply to API behaviours only.")


def _check_node_rule(rule: Behaviour) -> None:
    if rule.mode not in NODE_MODES:
        raise bad_request(f"Node behaviour 'mode' must be one of {', '.join(NODE_MODES)}.")
    if not 0.0 <= rule.fraction <= 1.0:
        raise bad_request("'fraction' must be between 0 and 1.")
    if rule.after_handling or rule.status is not None or rule.service is not None:
        raise bad_request("'status', 'service' and 'after_handling' apply to API behaviours.")
    if rule.mode in COMMAND_MODES:
        if not rule.command_regex:
            raise bad_request(
                f"'{rule.mode}' needs 'command_regex', a regular expression matching the "
                "command lines it strikes (e.g. '^clmgr sync')."
            )
    elif rule.command_regex is not None:
        raise bad_request("'command_regex' applies to 'fail_command' and 'slow_command' only.")
    if rule.exit_status is not None and rule.mode != "fail_command":
        raise bad_request("'exit_status' applies to 'fail_command' only.")
    if rule.mode == "slow_command" and rule.latency <= 0:
        raise bad_request("'slow_command' needs 'latency', the seconds each command waits.")
    if rule.mode != "slow_command" and rule.latency:
        raise bad_request("'latency' applies to 'slow_command' and API behaviours only.")
    if rule.mode == "host_failure":
        if not rule.host:
            raise bad_request(
                "'host_failure' needs 'host', the name of an estate host (its 'name' under "
                "'hosts:')."
            )
    elif rule.host is not None:
        raise bad_request("'host' applies to 'host_failure' only.")
    if rule.mode in EVENT_MODES and (rule.times is not None or rule.fraction != 1.0):
        raise bad_request(f"'{rule.mode}' is a one-shot event: drop 'times' and 'fraction'.")


def _check_token_rule(rule: Behaviour) -> None:
    if rule.seconds <= 0:
        raise bad_request(
            "A token behaviour needs 'seconds', the clock-seconds a token lives (e.g. 60)."
        )
    other = {"mode", "name_regex", "metadata", "service", "status", "times", "after_handling"}
    given = sorted(name for name in other if getattr(rule, name) not in (None, "", {}, False))
    if given:
        raise bad_request(f"A token behaviour takes 'seconds' only, not '{given[0]}'.")


def _check_api_rule(rule: Behaviour) -> None:
    if rule.mode not in API_MODES:
        raise bad_request("API behaviour 'mode' must be 'reset_connection' or left out.")
    if rule.mode == "reset_connection":
        if rule.status is not None:
            raise bad_request("'reset_connection' answers nothing: drop 'status'.")
    elif rule.status is None and not rule.latency:
        raise bad_request("An API behaviour needs 'status' or 'latency'.")
    if rule.service not in SERVICE_NAMES:
        raise bad_request(f"API behaviour 'service' must be one of {', '.join(SERVICE_NAMES)}.")
    if rule.method is not None:
        # checked here, not at match time: a bad rule would otherwise break every request
        if not isinstance(rule.method, str) or rule.method.upper() not in HTTP_METHODS:
            raise bad_request(f"API behaviour 'method' must be one of {', '.join(HTTP_METHODS)}.")
        rule.method = rule.method.upper()
    if rule.status is not None and not (isinstance(rule.status, int) and 400 <= rule.status <= 599):
        raise bad_request("'status' must be an HTTP error status between 400 and 599.")
    if rule.after_handling and rule.status is None and rule.mode != "reset_connection":
        raise bad_request("'after_handling' needs the 'status' to answer instead.")
    if not 0.0 <= rule.fraction <= 1.0:
        raise bad_request("'fraction' must be between 0 and 1.")
    if rule.latency < 0:
        raise bad_request("'latency' cannot be negative.")


def error_for(rule: Behaviour) -> ApiError:
    return ApiError("computeFault", rule.message or "Injected failure", status=500)
