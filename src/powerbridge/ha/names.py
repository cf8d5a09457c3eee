"""The name rules of a cluster's parts: PowerHA objects, AIX host names, LVM names, paths.

Each `*_problem(name)` returns None for a valid name, else why it is not; the matching
`*_RULE` says what is allowed, for a message's "allowed" part. Sources:
- PowerHA object names (cluster, resource group, application controller and monitor): 1 to 64
  letters, digits and `_`, not starting with a digit (IBM's PowerHA SystemMirror create-cluster
  help: "A name cannot begin with a number"); a leading `_` is refused too, to be safe.
  PowerHA also refuses its reserved words (`/usr/es/sbin/cluster/etc/reserved_words` on a
  node): not checked here, `clmgr` reports them.
- Host names (node names, the service label): an RFC 1123 label, as CAA needs the host name,
  the CAA node name and the communication path to agree (IBM, "Host name requirements",
  PowerHA 7.2). Lower case only, since PowerVC makes the LPAR's host name from the VM's name in
  lower case (nova's sanitize_hostname): a node name in capitals would not be its host name.
- AIX LVM names (volume group, logical volume): at most 15 characters (AIX's mkvg and mklv).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "HOST_NAME_RULE",
    "LVM_NAME_RULE",
    "MOUNT_POINT_RULE",
    "POWERHA_NAME_RULE",
    "ROOTVG_MOUNT_POINTS",
    "SCRIPT_PATH_RULE",
    "host_name_problem",
    "lvm_name_problem",
    "mount_point_problem",
    "powerha_name_problem",
    "script_path_problem",
    "volume_group_problem",
]

POWERHA_NAME_MAX: Final = 64
HOST_NAME_MAX: Final = 63
LVM_NAME_MAX: Final = 15

POWERHA_NAME_RULE: Final = (
    f"letters, digits and _, starting with a letter, at most {POWERHA_NAME_MAX} characters"
)
HOST_NAME_RULE: Final = (
    "an AIX host name: lower-case letters, digits and -, starting with a letter, not ending "
    f"with -, at most {HOST_NAME_MAX} characters"
)
LVM_NAME_RULE: Final = (
    f"letters, digits and _, starting with a letter, at most {LVM_NAME_MAX} characters"
)
SCRIPT_PATH_RULE: Final = "an absolute path without blanks, e.g. /opt/app/start.sh"
MOUNT_POINT_RULE: Final = "an absolute path without blanks outside rootvg's, e.g. /appdata"

ROOTVG_MOUNT_POINTS: Final = frozenset(
    {"/", "/usr", "/var", "/tmp", "/home", "/opt", "/proc", "/admin", "/etc", "/dev"}
)
RESERVED_VOLUME_GROUPS: Final = frozenset({"rootvg", "caavg_private"})

_POWERHA: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_HOST: Final = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
_LVM: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def powerha_name_problem(name: str) -> str | None:
    if len(name) > POWERHA_NAME_MAX:
        return f"'{name}' is longer than {POWERHA_NAME_MAX} characters"
    if not _POWERHA.fullmatch(name):
        return f"'{name}' is not a valid PowerHA name"
    return None


def host_name_problem(name: str) -> str | None:
    if len(name) > HOST_NAME_MAX:
        return f"'{name}' is longer than {HOST_NAME_MAX} characters"
    if _HOST.fullmatch(name):
        return None
    if _HOST.fullmatch(name.lower()):
        return f"'{name}' has capitals: PowerVC makes the host name {name.lower()!r}"
    return f"'{name}' is not a valid host name"


def lvm_name_problem(name: str) -> str | None:
    if len(name) > LVM_NAME_MAX:
        return f"'{name}' is longer than {LVM_NAME_MAX} characters"
    if not _LVM.fullmatch(name):
        return f"'{name}' is not a valid LVM name"
    return None


def volume_group_problem(name: str) -> str | None:
    if name in RESERVED_VOLUME_GROUPS:
        return f"'{name}' is AIX's own volume group"
    return lvm_name_problem(name)


def _path_problem(path: str) -> str | None:
    if not path.startswith("/"):
        return f"'{path}' is not an absolute path"
    if any(character.isspace() for character in path):
        return f"'{path}' has a blank"
    if path != "/" and path.endswith("/"):
        return f"'{path}' ends with /"
    return None


def script_path_problem(path: str) -> str | None:
    return _path_problem(path)


def mount_point_problem(path: str) -> str | None:
    problem = _path_problem(path)
    if problem is None and path in ROOTVG_MOUNT_POINTS:
        return f"'{path}' is a rootvg file system"
    return problem
