"""Entry point: python -m client."""

import sys


def main() -> int:
    """Run the client (grown by the client issue)."""
    print("agentcore-client: not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
