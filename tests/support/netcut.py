"""A TCP proxy on 127.0.0.1 that drops the connection after the server has sent a given number of bytes.

Used to break a database connection in the middle of a read, the way a network or a
restarted server breaks it, at a point the test chooses. It runs in a process of its own:
connectorx holds the GIL while it waits for a connection, so a proxy thread in the test's
own process would never get to accept it.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from pathlib import Path


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to `target`; once `cut_after` bytes came back from the server, closes both ends."""

    def __init__(self, target: tuple[str, int], cut_after: int, flag: Path) -> None:
        self.flag = flag
        self.proc = subprocess.Popen(
            [sys.executable, __file__, target[0], str(target[1]), str(cut_after), str(flag)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.proc.stdout.readline())

    @property
    def cut(self) -> bool:
        """Whether a connection was dropped."""
        return self.flag.exists()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _pipe(src: socket.socket, dst: socket.socket, cut_after: int | None, flag: Path) -> None:
    sent = 0
    try:
        while True:
            data = src.recv(16384)
            if not data:
                break
            if cut_after is not None:
                if sent + len(data) >= cut_after:
                    dst.sendall(data[: cut_after - sent])
                    flag.touch()
                    break
                sent += len(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def _serve(host: str, port: int, cut_after: int, flag: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        server = socket.create_connection((host, port))
        threading.Thread(target=_pipe, args=(client, server, None, flag), daemon=True).start()
        threading.Thread(target=_pipe, args=(server, client, cut_after, flag), daemon=True).start()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
