"""The ksh building blocks every node-side script shares: quoting, the helper functions, a
file written only when its content differs.

The scripts run in AIX's ksh93 (and the emulator's ksh-like shell): no arrays, no `[[ ]]`, no
`set -e` reliance. A script stops at the first failure through `|| exit N` / `pb_fail`. The
helpers print `+ COMMAND` on stdout before each change (so a run that finds everything in
place prints none: `parse.changes`) and one line on stderr when something fails
(`powerbridge: exit N on NODE: COMMAND` after a failed command, `ERROR: node NODE: ...` for a
check of the script's own): `parse.script_failure` reads them back.
"""

from __future__ import annotations

import re
import shlex
from typing import Final

__all__ = ["CHECK_FAILED", "LIBRARY", "ere_escape", "quote", "write_file"]

CHECK_FAILED: Final = 3  # the exit status of a script's own check (pb_fail)

LIBRARY: Final = r"""# -- helpers ----------------------------------------------------------------
pb_fail() {     # MESSAGE...: one ERROR line naming this node, then stop
    echo "ERROR: node $THIS_NODE: $*" >&2
    exit 3
}
pb_run() {      # COMMAND...: a change: say it, run it, stop when it fails
    echo "+ $*"
    "$@" || {
        pb_status=$?
        echo "powerbridge: exit $pb_status on $THIS_NODE: $*" >&2
        exit $pb_status
    }
}
pb_disk() {     # WWN WHAT: the hdisk whose UDID (lspv -u) holds the volume's WWN
    [ -n "$1" ] || pb_fail "$2 has no WWN: set its variable at the top of the script"
    pb_found=$(lspv -u | grep -i "$1" | awk 'NR==1 {print $1}')
    [ -n "$pb_found" ] || pb_fail "$2 (WWN $1) is not on this node: lspv -u shows no" \
        "disk with that WWN; attach the volume to this node's server and run cfgmgr"
    echo "$pb_found"
}
pb_pvid() {     # HDISK: its PVID as this node has read it (none: not read)
    lspv | awk -v d="$1" '$1==d {print $2}'
}
pb_attr() {     # CLMGR-QUERY-ARGS...: the value of the one attribute `clmgr -a` printed
    clmgr "$@" 2>/dev/null | cut -d'"' -f2
}
pb_hosts() {    # LINE PATTERN: LINE is the only /etc/hosts line naming a host PATTERN matches
    if [ "$(grep -E -c "$2" /etc/hosts)" = 1 ] && grep -F -x -q "$1" /etc/hosts; then
        return 0
    fi
    echo "+ /etc/hosts: $1"
    cp -p /etc/hosts /etc/hosts.powerbridge || pb_fail "cannot copy /etc/hosts"
    grep -v -E "$2" /etc/hosts > /etc/hosts.powerbridge
    echo "$1" >> /etc/hosts.powerbridge || pb_fail "cannot write /etc/hosts.powerbridge"
    mv /etc/hosts.powerbridge /etc/hosts || pb_fail "cannot replace /etc/hosts"
}
pb_install() {  # NEW TARGET MODE: TARGET gets NEW's content if it differs, then MODE
    if [ -f "$2" ] && [ "$(cat "$2")" = "$(cat "$1")" ]; then
        rm -f "$1"
    else
        echo "+ write $2"
        mv "$1" "$2" || pb_fail "cannot write $2"
    fi
    chmod "$3" "$2" || pb_fail "cannot chmod $3 $2"
}
"""


def quote(value: str) -> str:
    """One shell word (single-quoted when it needs to be)."""
    return shlex.quote(value)


def ere_escape(text: str) -> str:
    """`text` as a literal inside a POSIX extended regular expression."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _delimiter(content: str) -> str:
    lines = set(content.splitlines())
    delimiter, counter = "POWERBRIDGE_EOF", 0
    while delimiter in lines:
        counter += 1
        delimiter = f"POWERBRIDGE_EOF_{counter}"
    return delimiter


def write_file(path: str, content: str, mode: str) -> str:
    """ksh that gives `path` exactly `content` (its directory made) and `mode`, rewriting the
    file only when its content differs. The content is written literally (a quoted
    here-document: no expansion)."""
    body = content if content.endswith("\n") else f"{content}\n"
    delimiter = _delimiter(body)
    directory = path.rsplit("/", 1)[0] or "/"
    new = quote(f"{path}.powerbridge")
    return (
        f"mkdir -p {quote(directory)} || pb_fail {quote(f'cannot create {directory}')}\n"
        f"cat > {new} <<'{delimiter}'\n{body}{delimiter}\n"
        f"pb_install {new} {quote(path)} {mode}\n"
    )
