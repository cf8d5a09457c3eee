"""The PowerHA SystemMirror cluster model shared by a cluster's nodes."""
