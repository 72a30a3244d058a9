"""`python -m shop`: serve until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import sys

from .config import Settings
from .server import configure_logging, log, make_server


def main() -> None:
    configure_logging()
    settings = Settings.from_env()
    server = make_server(settings)
    # As PID 1 in a container, SIGTERM is ignored unless handled: `docker stop` would wait
    # out its grace period and kill.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("listening on %s:%d", settings.host, settings.port)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.RequestHandlerClass.shop.database.close()
        server.RequestHandlerClass.shop.cache.close()
        log.info("stopped")


if __name__ == "__main__":
    main()
