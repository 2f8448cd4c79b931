"""``python -m mock_server [serve] [--port N] ...``"""

import sys

from .cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or (args[0].startswith("-") and args[0] not in ("--version", "-h", "--help")):
        args = ["serve", *args]
    sys.exit(main(args))
