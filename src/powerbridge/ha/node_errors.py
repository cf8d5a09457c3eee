"""Why a node could not be reached or a command on it did not finish: one line each.

NodeAccessError
 +-- NodeUnreachable      no SSH answer before the deadline (the LPAR never came up)
 +-- NodeAuthFailed       the node refused our key
 +-- HostKeyError
 |    +-- HostKeyChanged     the key differs from the pinned one (man in the middle?)
 |    +-- HostKeyNotTrusted  first contact: known_hosts does not vouch for the key
 +-- CommandTimedOut      a command ran past its timeout
 +-- NodeConnectionLost   the connection dropped again on the retried command
 +-- NodeNotConnected     `run` on a node `connect` was never called for
"""

from __future__ import annotations

import asyncssh

__all__ = [
    "LOGIN_REFUSED",
    "CommandTimedOut",
    "HostKeyChanged",
    "HostKeyError",
    "HostKeyNotTrusted",
    "NodeAccessError",
    "NodeAuthFailed",
    "NodeConnectionLost",
    "NodeNotConnected",
    "NodeUnreachable",
    "sha256_fingerprint",
]


def sha256_fingerprint(public_key_line: str) -> str:
    """OpenSSH's `SHA256:...` fingerprint, as `ssh` prints it in its warnings."""
    return str(asyncssh.import_public_key(public_key_line).get_fingerprint("sha256"))


class NodeAccessError(Exception):
    """A node could not be reached or used over SSH; `node` names it."""

    def __init__(self, node: str, message: str) -> None:
        super().__init__(message)
        self.node = node


class NodeUnreachable(NodeAccessError):
    def __init__(self, node: str, address: str, reason: str, waited: float) -> None:
        super().__init__(
            node,
            f"node {node} ({address}) did not answer SSH within {waited:.0f} s (last: {reason}):"
            " check that the LPAR is up, that sshd runs, and that the ssh_config in use reaches"
            " it",
        )
        self.address, self.reason = address, reason


LOGIN_REFUSED = "refused the login"  # in a node's reason: the key, not the network


class NodeAuthFailed(NodeAccessError):
    def __init__(self, node: str, address: str, user: str, source: str, fingerprint: str):
        super().__init__(
            node,
            f"node {node} ({address}) {LOGIN_REFUSED} as {user} with {source}: the nova key"
            f" pair the node was deployed with must hold this key's public half (fingerprint"
            f" {fingerprint})",
        )
        self.address, self.user, self.source = address, user, source


class HostKeyError(NodeAccessError):
    """The node's host key is not the one we may trust."""

    def __init__(self, node: str, address: str, presented: str, message: str) -> None:
        super().__init__(node, message)
        self.address, self.presented = address, presented


class HostKeyChanged(HostKeyError):
    def __init__(self, node: str, address: str, pinned: str, presented: str, cluster: str):
        super().__init__(
            node,
            address,
            presented,
            f"WARNING: node {node} ({address}) presents host key {sha256_fingerprint(presented)}"
            f" but {sha256_fingerprint(pinned)} is pinned for it: someone may be intercepting"
            " the connection (man in the middle); nothing was sent. If the node was rebuilt on"
            f" purpose, re-pin with `powerbridge ha trust-host-key {cluster} {node}`",
        )
        self.pinned = pinned


class HostKeyNotTrusted(HostKeyError):
    def __init__(self, node: str, address: str, presented: str) -> None:
        super().__init__(
            node,
            address,
            presented,
            f"node {node} ({address}) presents host key {sha256_fingerprint(presented)}, which"
            " no known_hosts file of the ssh_config in use lists for it: add the node's key"
            " there (check it on the console first), or pass --accept-new-host-keys to trust"
            " it on first contact",
        )


class CommandTimedOut(NodeAccessError):
    def __init__(self, node: str, command: str, seconds: float) -> None:
        super().__init__(
            node,
            f"node {node}: `{_short(command)}` did not finish within {seconds:g} s"
            " (raise the command timeout if it may take longer)",
        )
        self.command, self.seconds = command, seconds


class NodeConnectionLost(NodeAccessError):
    def __init__(self, node: str, command: str) -> None:
        super().__init__(
            node,
            f"node {node}: the SSH connection dropped during `{_short(command)}`, again after"
            " reconnecting: check the node and its network, then resume",
        )
        self.command = command


class NodeNotConnected(NodeAccessError):
    def __init__(self, node: str) -> None:
        super().__init__(node, f"node {node}: not connected (call connect(node, address) first)")


def _short(command: str, limit: int = 120) -> str:
    line = " ".join(command.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
