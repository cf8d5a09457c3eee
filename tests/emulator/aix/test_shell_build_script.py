"""A cluster build's first steps as one multi-line script: name resolution and clcomd's
rhosts written with here-documents, clcomd refreshed, the result checked the way a workflow
checks it."""

from __future__ import annotations

from pathlib import Path

from tests.emulator.aix.shellkit import Shell, add_node, emulator

BUILD = """\
#!/usr/bin/ksh
# prepare this node for a two-node cluster
set -e
NODES="node1 node2"
cat > /etc/hosts <<EOF
127.0.0.1       loopback localhost
192.168.100.10  node1
192.168.100.11  node2
EOF
cat > /etc/cluster/rhosts <<'EOF'
192.168.100.10
192.168.100.11
EOF
chmod 600 /etc/cluster/rhosts
refresh -s clcomd
for n in $NODES; do
    if grep -qw "$n" /etc/hosts; then
        echo "$n resolves to $(awk -v n=$n '$2==n {print $1}' /etc/hosts)"
    else
        echo "$n does not resolve" >&2
        exit 1
    fi
done
lssrc -s clcomd | awk 'NR>1 {print $1, $NF}'
"""


def test_the_build_script_as_one_line(tmp_path: Path) -> None:
    with emulator(tmp_path, data=True) as instance:
        node = add_node(instance)
        shell = Shell(instance, node)
        result = shell.run(BUILD)
        assert result.err == ""
        assert result.status == 0
        assert result.out.splitlines() == [
            "0513-095 The request for subsystem refresh was completed successfully.",
            "node1 resolves to 192.168.100.10",
            "node2 resolves to 192.168.100.11",
            "clcomd active",
        ]
        assert node.record.clcomd_rhosts == ["192.168.100.10", "192.168.100.11"]
        assert shell.out("ls -l /etc/cluster/rhosts").startswith("-rw-------")
        mirrored = tmp_path / "data" / "logs" / "nodes" / "node1" / "etc" / "cluster" / "rhosts"
        assert mirrored.read_text() == "192.168.100.10\n192.168.100.11\n"
        stored = {body["server_id"]: body for body in instance.store.load("aix_node")}
        assert stored["srv-1"]["clcomd_rhosts"] == ["192.168.100.10", "192.168.100.11"]


def test_the_build_script_as_a_file(tmp_path: Path) -> None:
    with emulator(tmp_path) as instance:
        node = add_node(instance)
        shell = Shell(instance, node)
        shell.session.node.fs.write_text("/tmp/build.sh", BUILD, mode=0o755)
        result = shell.run("/tmp/build.sh && echo built")
        assert result.status == 0
        assert result.out.endswith("clcomd active\nbuilt\n")
        assert node.record.clcomd_rhosts == ["192.168.100.10", "192.168.100.11"]


def test_the_script_stops_at_the_first_failure(tmp_path: Path) -> None:
    with emulator(tmp_path) as instance:
        node = add_node(instance)
        shell = Shell(instance, node)
        shell.out("stopsrc -s clcomd")
        result = shell.run(f"ksh -c '{BUILD.replace(chr(39), chr(39) + chr(92) + chr(39) * 2)}'")
        assert result.err == "0513-004 The Subsystem or Group, clcomd, is currently inoperative.\n"
        assert result.status == 1
        assert result.out == ""
        assert node.record.clcomd_rhosts is None
