#!/usr/bin/env python3
"""Draws fleet-simulator's JSON results: server memory per waiting agent and policy fan-out time against fleet size.

    python3 Benchmarks/plot-fleet.py fleet.json fleet.png
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(source, target):
    with open(source) as handle:
        results = sorted(json.load(handle), key=lambda result: result["agents"])
    sizes = [result["agents"] for result in results]
    figure, (memory, fanout) = plt.subplots(1, 2, figsize=(10, 4))
    memory.plot(sizes, [result["kibPerWaitingAgent"] for result in results], marker="o", label="measured")
    memory.axhline(15, color="gray", linestyle="--", label="target (15 KiB)")
    memory.set_xlabel("waiting agents")
    memory.set_ylabel("server RSS per waiting agent (KiB)")
    memory.set_ylim(bottom=0)
    memory.legend()
    seen = [(result["agents"], result["fanOutSeconds"]) for result in results if result.get("fanOutSeconds") is not None]
    fanout.plot([size for size, _ in seen], [seconds for _, seconds in seen], marker="o", label="measured")
    fanout.axhline(2, color="gray", linestyle="--", label="target (2 s)")
    fanout.set_xlabel("waiting agents")
    fanout.set_ylabel("one policy change reaches all (s)")
    fanout.set_ylim(bottom=0)
    fanout.legend()
    first = results[0]
    figure.suptitle(f"flotilla server, mutual TLS, {first['store']}; {first['machine']}; {first['date'][:10]}", fontsize=9)
    figure.tight_layout()
    figure.savefig(target, dpi=100)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot-fleet.py RESULTS.json PLOT.png")
    main(sys.argv[1], sys.argv[2])
