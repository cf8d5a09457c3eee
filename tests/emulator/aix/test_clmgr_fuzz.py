"""Random clmgr and status command lines never raise: each answers with a status (and an
ERROR on stderr when it fails), whatever the state of the cluster."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.powerha_lab import Lab, configured

WORDS = [
    "add",
    "modify",
    "delete",
    "query",
    "online",
    "offline",
    "sync",
    "verify",
    "move",
    "replace",
    "q",
    "rm",
    "ls",
    "cluster",
    "cl",
    "node",
    "rp",
    "nw",
    "si",
    "ac",
    "am",
    "vg",
    "lv",
    "fs",
    "rg",
    "sn",
    "rg1",
    "ha1",
    "ha2",
    "hdisk1",
    "hdisk2",
    "hdisk9",
    "-a",
    "-c",
    "-v",
    "-d",
    "NODES=",
    "NODES=ha1,ha2",
    "NODE=ha2",
    "STARTUP=OAAN",
    "FALLOVER=FUDNP",
    "SPLIT_POLICY=cloud",
    "MERGE_POLICY=",
    "REPOSITORIES=hdisk1",
    "PHYSICAL_VOLUMES=hdisk2",
    "VOLUME_GROUP=datavg",
    "SERVICE_LABEL=hasvc",
    "STARTSCRIPT=../../etc",
    "=",
    "x=y",
    '"quoted"',
    "../../",
]
COMMANDS = ["clmgr", "clRGinfo", "lscluster", "clstat", "cldump", "clshowsrv", "clcmd"]


def test_random_command_lines_never_raise() -> None:
    lab = Lab(Path(tempfile.mkdtemp()))
    nodes = configured(lab, 2)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(COMMANDS),
        st.lists(st.sampled_from(WORDS), max_size=6),
        st.integers(min_value=0, max_value=40),
    )
    def run(command: str, words: list[str], seconds: int) -> None:
        result = lab.run(nodes[0], " ".join([command, *words]))
        assert isinstance(result.status, int)
        if result.status not in (0, 127):
            assert result.err
        lab.advance(seconds)

    try:
        run()
    finally:
        lab.close()
