"""Golden files: outputs reviewed once and kept in a JSON file next to the fixtures.

``ANIMATEUR_REGOLD=1 pytest …`` rewrites the file from the current code; review its diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Golden:
    def __init__(self, folder: Path, compute: Callable[[str], Any]) -> None:
        self.path = folder / "expected.json"
        self.names = sorted(p.stem for p in folder.glob("*.json") if p != self.path)
        self._compute = compute

    def refresh_if_asked(self) -> None:
        if os.environ.get("ANIMATEUR_REGOLD"):
            golden = {name: self._compute(name) for name in self.names}
            self.path.write_text(json.dumps(golden, indent=2, ensure_ascii=False) + "\n", "utf-8")

    def expected(self, name: str) -> Any:
        return json.loads(self.path.read_text("utf-8"))[name]

    def reviewed_names(self) -> list[str]:
        return sorted(json.loads(self.path.read_text("utf-8")))


class GoldenOutputs:
    """Golden outputs produced by a test run (through a live stack) rather than computed from
    an input file: ``check`` compares with the reviewed value, or stores it under
    ANIMATEUR_REGOLD."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _stored(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        stored: dict[str, Any] = json.loads(self.path.read_text("utf-8"))
        return stored

    def check(self, name: str, actual: Any) -> None:
        stored = self._stored()
        if os.environ.get("ANIMATEUR_REGOLD"):
            stored[name] = actual
            text = json.dumps(stored, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
            self.path.write_text(text, "utf-8")
            return
        assert name in stored, f"no reviewed output {name!r} in {self.path}: regold and review"
        assert actual == stored[name], f"{name} differs from {self.path}"
