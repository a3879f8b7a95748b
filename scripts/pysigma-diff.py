#!/usr/bin/env python3
"""Reference detections from pySigma, for the differential test (Tests/HuntingTests/PySigmaDifferentialTests).

Usage: pysigma-diff.py RULES_DIR EVENTS_JSONL OUT_JSON

EVENTS_JSONL holds `sightline events dump` lines ({"record_id","file","event":{"Event":{...}}}). Each event
is flattened as Zircolite does (System fields, Provider_Name, EventData / UserData members as columns) into
one SQLite table `logs`; every rule is converted with pySigma's SQLite backend and the Sysmon + Windows
log-source pipelines, and each query is run. OUT_JSON: {"detections": {rule_id: [[file, record_id], ...]},
"failed": {rule_id: reason}, "seconds": {...}}.
"""
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.pipelines.sysmon import sysmon_pipeline
from sigma.pipelines.windows import windows_logsource_pipeline


def text(v):
    if isinstance(v, dict):
        if "#text" in v:
            return text(v["#text"])
        return None
    if isinstance(v, list):
        return ",".join(str(text(x)) for x in v if text(x) is not None)
    return v


def cell(v):
    """SQLite keeps 64-bit signed integers; larger ones (unsigned 64-bit values) become text."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int) and not -(2**63) <= v < 2**63:
        return str(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v


def flatten(event):
    root = event.get("Event", {})
    row = {}
    system = root.get("System", {})
    for k, v in system.items():
        if isinstance(v, dict) and "#attributes" in v:
            for ak, av in v["#attributes"].items():
                row[f"{k}_{ak}"] = av
        t = text(v)
        if t is not None:
            row[k] = t
    for section in ("EventData", "UserData"):
        data = root.get(section)
        if not isinstance(data, dict):
            continue
        if section == "UserData":
            for child in data.values():
                if isinstance(child, dict):
                    for k, v in child.items():
                        if k != "#attributes":
                            row[k] = text(v)
        else:
            for k, v in data.items():
                if k != "#attributes":
                    row[k] = text(v)
    return row


def main():
    rules_dir, events_path, out_path = sys.argv[1:4]
    started = time.monotonic()
    rows = []
    for line in open(events_path, encoding="utf-8"):
        d = json.loads(line)
        row = flatten(d["event"])
        row["_file"] = d["file"]
        row["_record"] = d["record_id"]
        rows.append(row)
    # SQLite column names are case-insensitive: keep one column per name ignoring case.
    canonical = {}
    for r in rows:
        for k in r:
            canonical.setdefault(k.lower(), k)
    rows = [{canonical[k.lower()]: v for k, v in r.items()} for r in rows]
    columns = sorted(set(canonical.values()))
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, lambda p, s: s is not None and re.search(p, str(s)) is not None)
    db.execute("CREATE TABLE logs (" + ", ".join(f'"{c}"' for c in columns) + ")")
    db.executemany(
        "INSERT INTO logs VALUES (" + ",".join("?" * len(columns)) + ")",
        [[cell(r.get(c)) for c in columns] for r in rows],
    )
    loaded = time.monotonic()
    backend = sqliteBackend(processing_pipeline=sysmon_pipeline() + windows_logsource_pipeline())
    detections, failed = {}, {}
    for path in sorted(Path(rules_dir).rglob("*.yml")):
        try:
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
        except Exception as e:  # noqa: BLE001 - report every failure
            failed[str(path)] = f"load: {e}"
            continue
        for rule in collection.rules:
            rid = str(rule.id) if rule.id else str(path)
            try:
                queries = backend.convert_rule(rule)
            except Exception as e:  # noqa: BLE001
                failed[rid] = f"convert: {type(e).__name__}: {e}"
                continue
            hits = []
            for q in queries:
                q = q.replace("SELECT * FROM logs", 'SELECT "_file", "_record" FROM logs', 1)
                for _ in range(50):
                    try:
                        hits += [list(r) for r in db.execute(q)]
                        break
                    except sqlite3.Error as e:
                        # A field no event has is NULL in every row, as in Zircolite's table.
                        m = re.match(r"no such column: (.+)", str(e))
                        if not m:
                            failed[rid] = f"sqlite: {e}"
                            break
                        db.execute(f'ALTER TABLE logs ADD COLUMN "{m.group(1).strip("`")}"')
            if hits:
                detections[rid] = sorted(hits)
    done = time.monotonic()
    json.dump(
        {
            "detections": detections,
            "failed": failed,
            "seconds": {"load_events": loaded - started, "rules": done - loaded},
            "events": len(rows),
        },
        open(out_path, "w"),
    )


if __name__ == "__main__":
    main()
