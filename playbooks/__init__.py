"""Rituals: the YAML schema, the pure engine and the bundled library."""
