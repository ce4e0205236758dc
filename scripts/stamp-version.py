#!/usr/bin/env python3
"""Writes a copy of a flotilla binary that reports another version: the stamp `flotilla-version:X` (padded with
spaces to a fixed width, see Sources/FleetProtocol/FlotillaVersion.swift) is rewritten in place.

    scripts/stamp-version.py IN OUT VERSION
"""
import os
import sys

PREFIX = b"flotilla-version:"
WIDTH = 48


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source, target, version = sys.argv[1:]
    data = bytearray(open(source, "rb").read())
    start = data.find(PREFIX)
    if start < 0 or data.find(PREFIX, start + 1) >= 0:
        print(f"{source} has no single version stamp; is it a flotilla binary?", file=sys.stderr)
        return 1
    stamp = (PREFIX + version.encode()).ljust(WIDTH, b" ")
    if len(stamp) > WIDTH or b" " in version.encode():
        print(f"The version {version!r} does not fit the stamp of {WIDTH - len(PREFIX)} characters", file=sys.stderr)
        return 1
    data[start:start + WIDTH] = stamp
    with open(target, "wb") as out:
        out.write(data)
    os.chmod(target, 0o755)
    return 0


if __name__ == "__main__":
    sys.exit(main())
