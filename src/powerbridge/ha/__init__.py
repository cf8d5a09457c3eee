"""HA as a service: a PowerHA SystemMirror 7 cluster spec -> a plan -> a durable job of steps.

`model` holds the cluster spec's dataclasses, `topology` what PowerVC made of it (addresses,
disks by WWN). The spec parser, the planner, the node executor and the workflow build on them.
"""
