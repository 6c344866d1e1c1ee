"""``python -m bench [--quick] [--<setting> VALUE ...]``: run the benchmark, print the markdown report.

Numbers go to ``bench/results/latest.json`` (``--output`` to change), the report beside it as ``latest.md``.
Exit code 0 when the run completed (missed budgets are reported, not failed), 2 for invalid settings.
"""

from __future__ import annotations

import sys

from bench.config import BenchConfigError, config_from
from bench.runner import run


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    try:
        config = config_from(argv)
    except BenchConfigError as error:
        print(str(error), file=sys.stderr)
        return 2
    _, report = run(config)
    print(report)
    print(f"\nresults written to {config.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
