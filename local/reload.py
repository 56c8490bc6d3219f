"""Code reload: when a function's or layer's Python files change, the pool retires its warm workers so the
next invocation imports the new code (as a new deployment would). Polls modification times once a second."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from local.procutil import BackgroundLoop

log = logging.getLogger("pitchey-local")


def snapshot(directories: set[Path]) -> dict[str, float]:
    state: dict[str, float] = {}
    for directory in directories:
        for root, dirs, files in os.walk(directory):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    try:
                        state[path] = os.stat(path).st_mtime_ns
                    except OSError:
                        continue
    return state


class CodeWatcher(BackgroundLoop):
    name = "reload"

    def __init__(self, runtime: Any, interval: float = 1.0) -> None:
        self.runtime = runtime
        self.interval = interval
        super().__init__()

    def directories(self) -> set[Path]:
        dirs: set[Path] = set()
        for spec in self.runtime.model.functions.values():
            dirs.add(spec.code_dir)
            dirs.update(spec.layer_dirs)
        return {d for d in dirs if d.is_dir()}

    def _loop(self) -> None:
        directories = self.directories()
        before = snapshot(directories)
        while not self._stop.wait(self.interval):
            now = snapshot(directories)
            if now != before:
                changed = sorted(set(now.items()) ^ set(before.items()))
                log.info("code changed (%s): workers restart on their next call", Path(changed[0][0]).name)
                self.runtime.functions.recycle()
                before = now
