"""Scoping of the finance app's models (none yet), built from dualcarbon.registry.access."""
