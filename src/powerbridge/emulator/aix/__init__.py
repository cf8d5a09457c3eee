"""Simulated AIX nodes: every ACTIVE server deployed from an AIX image is an SSH host whose
shell answers AIX and PowerHA SystemMirror commands from one shared model.

The map (each module one purpose; commands never touch the host machine):
- `node`: one node's record (facts, interfaces, SRC subsystems, SSH identity, its files).
- `world`: `AixWorld`, the one object commands reach: every node, the disks, the clusters,
  the clock and the PowerVC records a node reflects (servers, volumes, ports, images).
- `nodes`: which servers are nodes, and when they boot, stop and come back (SSH helper).
- `vfs`: a node's virtual file system (never a host path; `..` stops at `/`).
- `shell/`: the ksh-like command line parser and interpreter.
- `commands/`: one module per command family, found through `commands.COMMANDS`.
- `disks`: hdisks, PVIDs, reserve policies and volume groups over PowerVC volumes.
- `powerha/`: the PowerHA cluster model (CAA, topology, resources, events, fallover).
- `sshd`, `ssh_files`: the SSH servers and the OpenSSH client config and known_hosts;
  `sftp`: SFTP over a node's files; `cloud_config`: root's keys from nova and user data.
"""
