#!/usr/bin/env python3
"""Runs `sightline pattern eval` cases through the OASIS reference matcher (stix2-matcher, STIX 2.1).

Reads the same JSON lines as `sightline pattern eval` on stdin and writes the same result lines:
{"id": ..., "match": true|false} or {"id": ..., "error": "..."}, one per case, in order.
"""
import json
import sys

from stix2matcher.matcher import match


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        case_id = None
        try:
            case = json.loads(line)
            case_id = case.get("id")
            bundle = {
                "type": "bundle",
                "id": "bundle--00000000-0000-4000-8000-000000000000",
                "objects": case["observed_data"],
            }
            result = {"id": case_id, "match": bool(match(case["pattern"], [bundle], stix_version="2.1"))}
        except Exception as e:  # the reference raises many kinds; each is an error line
            result = {"id": case_id, "error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(result) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
