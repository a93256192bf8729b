#!/usr/bin/env python3
"""Reads Autobahn's report/index.json and fails on any case whose behaviour is not acceptable.

Acceptable: OK, NON-STRICT, INFORMATIONAL. A case listed in expected.json may instead have the behaviour given
there (each entry says why). wstest itself exits 0 even when cases fail, so this check is the gate.
"""
import json
import sys

GOOD = {"OK", "NON-STRICT", "INFORMATIONAL"}


def main(report_path, expected_path):
    with open(report_path) as f:
        report = json.load(f)
    with open(expected_path) as f:
        expected = json.load(f)["cases"]
    results = next(iter(report.values()))
    bad, excepted, counts = [], [], {}
    for case, result in sorted(results.items(), key=lambda kv: [int(p) for p in kv[0].split(".")]):
        behaviour = result["behavior"]
        close = result.get("behaviorClose", "")
        counts[behaviour] = counts.get(behaviour, 0) + 1
        if behaviour in GOOD and close in GOOD | {""}:
            continue
        allowed = expected.get(case)
        if (
            allowed
            and behaviour in allowed["behavior"]
            and result.get("remoteCloseCode") == allowed.get("remoteCloseCode", result.get("remoteCloseCode"))
        ):
            excepted.append(case)
            continue
        bad.append(f"{case}: behavior={behaviour} close={close}")
    total = sum(counts.values())
    print(f"autobahn: {total} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if excepted:
        print(f"autobahn: {len(excepted)} cases over the message-size limit behaved as expected.json says")
    unused = sorted(set(expected) - set(results))
    if unused:
        print(f"autobahn: expected.json lists cases that did not run: {unused}")
    if bad:
        print("autobahn: FAILED cases:")
        for line in bad:
            print("  " + line)
        print(f"{total - len(bad)} passed, {len(bad)} failed")
        return 1
    print(f"{total} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
