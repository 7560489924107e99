"""Platforms: one folder each (local, slack, teams) — verify + normalize in, render + send out."""
