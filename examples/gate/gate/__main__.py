"""`python -m gate`: serve until SIGTERM/SIGINT."""

from .server import main

if __name__ == "__main__":
    main()
