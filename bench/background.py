"""Load beside a measured run: a daemon thread that works from `with` until the block ends."""

import threading
from typing import Self


class Background:
    """Runs `_run` in a daemon thread while the `with` block lasts; `_run` ends when `_stop` is set."""

    _stop: threading.Event
    _thread: threading.Thread

    def __enter__(self) -> Self:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        raise NotImplementedError
