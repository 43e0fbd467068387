"""`python -m outreach` and the `outreach` command."""

from __future__ import annotations

import sys

from outreach.cli import main as cli_main


def main() -> int:
    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
