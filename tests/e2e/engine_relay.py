"""A unix-socket relay in front of the Docker engine, so a test can take the engine away.

    python engine_relay.py LISTEN_SOCKET [ENGINE_SOCKET]

Every connection to LISTEN_SOCKET is piped to ENGINE_SOCKET (default /var/run/docker.sock).
Killing this process cuts every open connection and leaves nothing listening, as an engine
that stopped would: envsim's requests fail, new connections are refused.
"""

from __future__ import annotations

import os
import socket
import sys
import threading


def pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:  # half-close, so the other direction can still finish its reply
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(listen: str, engine: str) -> None:
    if os.path.exists(listen):
        os.unlink(listen)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(listen)
    server.listen(64)
    print("ready", flush=True)  # the test waits for this line before pointing DOCKER_HOST here
    while True:
        client, _ = server.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(engine)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(source, sink), daemon=True).start()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/var/run/docker.sock")
