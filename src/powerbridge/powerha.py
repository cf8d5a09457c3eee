"""PowerHA SystemMirror 7's rules that need no node: what each level supports, which resource
group policies combine, how big a repository disk may be.

Pure (no I/O, imports nothing of the project): the emulator's clmgr answers with these
messages, and the HA planner refuses at plan time what clmgr would refuse on the nodes.
Every check takes plain values and returns the `ERROR:` lines PowerHA prints (empty:
accepted), never raises.

What differs between levels:
- Heartbeat: CAA heartbeats over multicast up to 7.1.2; 7.1.3 adds unicast and makes it the
  default (IBM, "PowerHA SystemMirror 7.1.3 ... solution guide"; AIX "Unicast communication").
- Automatic repository disk replacement (ARR): from 7.2.0 CAA swaps a failed repository for
  the first backup repository; before, the cluster stays in restricted mode until an
  administrator replaces the disk (IBM, "Repository disk failure", PowerHA 7.2.0 concepts).
- Split and merge policies: before AIX 7.2.1 / PowerHA 7.2.1 a standard cluster (NSC) has no
  split policy and only the majority merge policy, stretched and linked clusters have their
  own lists; from 7.2.1 every cluster type takes the same "universal" pairs (IBM, "Configuring
  split and merge policies", PowerHA 7.2, tables 1 and 2).
"""

from __future__ import annotations

__all__ = [
    "AUTO_REPOSITORY_REPLACE_FROM",
    "FALLBACK",
    "FALLOVER",
    "NODE_PRIORITY_POLICIES",
    "REPOSITORY_MAX_MB",
    "REPOSITORY_MIN_MB",
    "STARTUP",
    "UNICAST_FROM",
    "UNIVERSAL_SPLIT_MERGE_FROM",
    "check_heartbeat",
    "check_split_merge",
    "default_heartbeat",
    "parse",
    "policy_errors",
    "replaces_repository_automatically",
]

UNICAST_FROM = (7, 1, 3)
UNIVERSAL_SPLIT_MERGE_FROM = (7, 2, 1)
AUTO_REPOSITORY_REPLACE_FROM = (7, 2, 0)

# 7.2.1 and later, every cluster type: split policy -> the merge policies it pairs with
UNIVERSAL_PAIRS = {
    "none": ("majority", "none"),
    "tiebreaker": ("tiebreaker",),
    "manual": ("manual",),
    "cloud": ("cloud",),
}
# before 7.2.1: cluster type -> split policy -> merge policies ({} : no split policy at all)
LEGACY_PAIRS: dict[str, dict[str, tuple[str, ...]]] = {
    "NSC": {},
    "SC": {"none": ("majority",), "tiebreaker": ("tiebreaker",)},
    "LC": {"none": ("majority",), "tiebreaker": ("tiebreaker",), "manual": ("manual",)},
}


def parse(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def default_heartbeat(version: str) -> str:
    return "unicast" if parse(version) >= UNICAST_FROM else "multicast"


def replaces_repository_automatically(version: str) -> bool:
    return parse(version) >= AUTO_REPOSITORY_REPLACE_FROM


def check_heartbeat(version: str, heartbeat: str) -> list[str]:
    allowed = ["unicast", "multicast"] if parse(version) >= UNICAST_FROM else ["multicast"]
    if heartbeat in allowed:
        return []
    return [
        f'ERROR: "{heartbeat}" is not a valid value for HEARTBEAT_TYPE at PowerHA '
        f"SystemMirror {version}. Valid values: {', '.join(allowed)}."
    ]


def check_split_merge(version: str, cluster_type: str, split: str, merge: str) -> list[str]:
    """The split/merge pair this level and cluster type accept (names lower case)."""
    if parse(version) >= UNIVERSAL_SPLIT_MERGE_FROM:
        pairs = dict(UNIVERSAL_PAIRS)
    else:
        pairs = LEGACY_PAIRS.get(cluster_type, {})
        if not pairs:
            return [
                f"ERROR: the SPLIT_POLICY and MERGE_POLICY attributes are not supported for a "
                f"standard cluster (TYPE={cluster_type}) at PowerHA SystemMirror {version}. "
                f"The split and merge policies for every cluster type need 7.2.1 or later."
            ]
    if split not in pairs:
        return [
            f'ERROR: "{split}" is not a valid value for SPLIT_POLICY at PowerHA SystemMirror '
            f"{version}. Valid values: {', '.join(pairs)}."
        ]
    if merge not in pairs[split]:
        return [
            f'ERROR: the merge policy "{merge}" cannot be used with the split policy '
            f'"{split}". Valid values: {", ".join(pairs[split])}.'
        ]
    return []


# -- resource groups and the repository disk --------------------------------------------------

REPOSITORY_MIN_MB, REPOSITORY_MAX_MB = 512, 460 * 1024
STARTUP = frozenset({"OHN", "OFAN", "OAAN", "OUDP"})
FALLOVER = frozenset({"FNPN", "FUDNP", "BO"})
FALLBACK = frozenset({"NFB", "FBHPN"})
NODE_PRIORITY_POLICIES = frozenset(
    {"cl_highest_free_mem", "cl_highest_idle_cpu", "cl_lowest_disk_busy"}
)


def policy_errors(
    startup: str,
    fallover: str,
    fallback: str,
    node_priority_policy: str | None = None,
    *,
    has_service_labels: bool = False,
) -> list[str]:
    """The startup/fallover/fallback combinations PowerHA refuses (the first one found)."""
    for attr, value, allowed in (
        ("STARTUP", startup, STARTUP),
        ("FALLOVER", fallover, FALLOVER),
        ("FALLBACK", fallback, FALLBACK),
    ):
        if value not in allowed:
            valid = ", ".join(sorted(allowed))
            return [f'ERROR: "{value}" is not a valid value for {attr}. Valid values: {valid}.']
    if startup == "OAAN" and (fallover, fallback) != ("BO", "NFB"):
        return [
            "ERROR: a resource group that starts Online On All Available Nodes (OAAN) must "
            "use the fallover policy BO (Bring Offline) and the fallback policy NFB (Never "
            "Fallback)."
        ]
    if startup == "OAAN" and has_service_labels:
        return [
            "ERROR: a concurrent resource group (OAAN) cannot contain service IP labels: a "
            "service IP can be active on one node only."
        ]
    if startup == "OUDP" and fallback != "NFB":
        return [
            "ERROR: a resource group that starts Online Using Distribution Policy (OUDP) must "
            "use the fallback policy NFB (Never Fallback)."
        ]
    if fallover == "FUDNP" and node_priority_policy not in NODE_PRIORITY_POLICIES:
        valid = ", ".join(sorted(NODE_PRIORITY_POLICIES))
        return [
            "ERROR: the fallover policy FUDNP (Fallover Using Dynamic Node Priority) needs "
            f"NODE_PRIORITY_POLICY, one of: {valid}."
        ]
    if node_priority_policy and fallover != "FUDNP":
        return ["ERROR: NODE_PRIORITY_POLICY applies only with FALLOVER=FUDNP."]
    return []
