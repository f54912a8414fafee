"""The emulator in a process of its own (the CLI), for benchmarks and tests that must not share the client's
interpreter (its GIL, its garbage collector): :meth:`HubSpotEmulator.spawn <._server.HubSpotEmulator.spawn>`."""

from __future__ import annotations

import subprocess
import sys
import threading
from types import TracebackType


class SpawnedEmulator:
    """``python -m airflow_provider_hubassoc.emulator`` started on a free loopback port; stopped on exit.

    :param options: further CLI options (``"--requests-per-10-seconds", "0"``, ``"--fault-503", "0.1"`` ...).
    :param token: the static token the process accepts.
    :param timeout: seconds to wait for it to listen.
    """

    def __init__(self, *options: str, token: str = "test-token", timeout: float = 30.0) -> None:
        self.token = token
        command = [sys.executable, "-m", "airflow_provider_hubassoc.emulator", "--port", "0", "--token", token]
        self.process: subprocess.Popen[str] = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True)
        #: what the CLI printed up to its ``token:`` line (the ``listening on`` line last but one)
        self.banner: list[str] = []
        self.base_url = self._await_listening(timeout)

    def _await_listening(self, timeout: float) -> str:
        """The URL of the CLI's ``listening on`` line; the process is stopped if it exits or stays silent."""
        stdout = self.process.stdout
        assert stdout is not None  # Popen was given stdout=PIPE
        timer = threading.Timer(timeout, self.process.kill)  # reading a silent stdout would block forever
        timer.daemon = True
        timer.start()
        try:
            for line in stdout:
                self.banner.append(line.rstrip("\n"))
                if "listening on" in line:
                    self.banner.append(stdout.readline().rstrip("\n"))  # "token: ..."
                    return line.rsplit(" ", 1)[-1].strip()
        finally:
            timer.cancel()
        self.stop()
        raise RuntimeError(f"the emulator did not start: {self.banner}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> SpawnedEmulator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:  # the token is a credential: never shown
        return f"<SpawnedEmulator {self.base_url} pid {self.process.pid}>"
