#!/usr/bin/env python3
"""How far can ranking by technique and software overlap go on ATT&CK? An exploration, not a test.

Replays `sightline evaluate attribution` in Python on the graph it runs on, then scores the same queries
with families of ranking methods over a grid of parameters, and reports each method's top-1 and MRR and,
per variant, how many queries *some* method of the grid ranks right (the per-query oracle: what a perfect
choice among these methods, made with the answer known, would reach).

    .build/release/sightline evaluate attribution --export-graph /tmp/graph.json
    python3 scripts/attribution-families.py /tmp/graph.json              # every method, then the oracle
    python3 scripts/attribution-families.py --shipped-only /tmp/graph.json

The first line ("shipped") must equal the Sightline rows of `sightline evaluate attribution`: the replica
uses the same features, smoothing, resemblance floor, seeds (SplitMix64, FNV-1a) and shuffle as
Sources/Attribution, and the corpus benchmark test checks that it does. Pure Python; under a minute.

    python3 scripts/attribution-families.py --sweep-constants /tmp/graph.json  # the shipped model's constants
    python3 scripts/attribution-families.py --fitted-combination /tmp/graph.json  # needs numpy
    python3 scripts/attribution-families.py --cross-validate-close-match /tmp/graph.json

--fitted-combination asks what no fixed mixture of the scorers can do: it fits a conditional logit (softmax
over the actors of each query) on twelve per-actor scores, each raw and standardized within its query
(24 weights), by maximum likelihood, to each variant's own queries with their answers known, and ranks
those same queries with it (an in-sample fit, so an upper bound for linear combinations of these scores,
not an estimate); then, for comparison, fitted on four fifths of the true groups and tested on the rest.

Families (see README, "What the data allows"):
  shipped  naive-Bayes likelihood ratios + w x IDF cosine with a floor (w and floor varied)
  TF-IDF   the benchmark's baseline
  lm       Jelinek-Mercer query likelihood: log(c [f in profile] / size^e + (1 - c) popularity) + g log(size)
  cos      IDF cosine over direct items, profile norm raised to an exponent, with and without a floor
  bm25     BM25 over profile items (k1, b), IDF from the share of actors
  bern     Bernoulli with inclusion probability c q / size^e (capped), charging unmatched profile items
  chance   per-item likelihood ratio against the chance an actor of this size holds the item
"""
import collections
import json
import math
import sys

M64 = (1 << 64) - 1


def fnv(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h & 0x7FFFFFFFFFFFFFFF


class SplitMix:
    """Swift's shuffle(using:) over SplitMix64, bit for bit."""

    def __init__(self, state):
        self.state = state & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):  # Lemire's method, as RandomNumberGenerator.next(upperBound:)
        m = self.next() * n
        if m & M64 < n:
            t = ((1 << 64) - n) % n
            while m & M64 < t:
                m = self.next() * n
        return m >> 64

    def shuffled(self, items):
        a, left, i = list(items), len(items), 0
        while left > 1:
            r = self.below(left)
            left -= 1
            a[i], a[i + r] = a[i + r], a[i]
            i += 1
        return a


class Graph:
    def __init__(self, path):
        g = json.load(open(path))
        self.actors = g["actors"]
        self.nodes = {n["id"]: n for n in g["nodes"]}
        self.edges = g["edges"]
        for e in self.edges:
            e["refs"] = frozenset(e["references"])
        self.parents = g["parents"]
        self.actor_of = {m: a["id"] for a in self.actors for m in a["members"]}
        self.by_id = {a["id"]: a for a in self.actors}

    def attack_id(self, node):
        return self.nodes.get(node, {}).get("attack_id")

    def campaigns_by_actor(self, edges):
        out = collections.defaultdict(set)
        for e in edges:
            if e["type"] == "attributed-to" and self.nodes.get(e["source"], {}).get("type") == "campaign":
                a = self.actor_of.get(e["target"])
                if a:
                    out[a].add(e["source"])
        return out


# AttributionModel.Parameters (Sources/Attribution/AttributionModel.swift).
SHIPPED = dict(parent=0.25, software_technique=0.2, software=2.0, smoothing=1.0)


class Model:
    """The shipped model's profiles (AttributionModel.init) for one graph under test."""

    def __init__(self, g, edges, constants=SHIPPED):
        self.constants = constants
        pw, sw = constants["parent"], constants["software_technique"]
        sw_techniques, campaign_items = collections.defaultdict(list), collections.defaultdict(list)
        direct, campaign_actors = collections.defaultdict(list), collections.defaultdict(list)
        for e in edges:
            if e["type"] == "attributed-to":
                a = g.actor_of.get(e["target"])
                if a:
                    campaign_actors[e["source"]].append(a)
                continue
            f = g.attack_id(e["target"])
            if not f:
                continue
            kind = g.nodes.get(e["source"], {}).get("type")
            if e["source"] in g.actor_of:
                direct[g.actor_of[e["source"]]].append((f, "direct"))
            elif kind == "campaign":
                campaign_items[e["source"]].append(f)
            elif kind in ("malware", "tool") and f.startswith("T") and g.attack_id(e["source"]):
                sw_techniques[g.attack_id(e["source"])].append(f)
        for c, actors in campaign_actors.items():
            for a in actors:
                direct[a] += [(f, "campaign") for f in campaign_items.get(c, [])]
        self.ids, self.names, self.profiles, self.countries = [], [], [], []
        for a in g.actors:
            m = {}

            def add(f, w, why):
                if m.get(f, (0,))[0] < w:
                    m[f] = (w, why)

            for f, why in direct.get(a["id"], []):
                add(f, 1, why)
                if f in g.parents:
                    add(g.parents[f], pw, why)
                for t in sw_techniques.get(f, []) if f.startswith("S") else []:
                    add(t, sw, "software")
                    if t in g.parents:
                        add(g.parents[t], sw * pw, "software")
            if not m:
                continue
            for s in a["sectors"]:
                add("sector:" + s, 1, "targets")
            for c in a["target_countries"]:
                add("victim:" + c, 1, "targets")
            self.ids.append(a["id"])
            self.names.append(a["name"])
            self.countries.append((a["countries"] or [None])[0])
            self.profiles.append(m)
        self.n = len(self.profiles)
        self.background, direct_df = collections.Counter(), collections.Counter()
        for m in self.profiles:
            for f, (w, why) in m.items():
                self.background[f] += w
                if w >= 1 and why == "direct" and not f.startswith(("sector:", "victim:")):
                    direct_df[f] += 1
        self.idf = {f: math.log(self.n / d) for f, d in direct_df.items()}
        self.norms = [math.sqrt(sum(self.idf[f] ** 2 for f, (w, why) in m.items() if w >= 1 and why == "direct" and f in self.idf)) for m in self.profiles]
        self.sizes = [max(sum(1 for w, _ in m.values() if w >= 1), 1) for m in self.profiles]
        # The close match's view: each actor's record (own and campaigns' items), IDF over records.
        self.records = [{f for f, (w, why) in m.items() if w >= 1 and why in ("direct", "campaign") and not f.startswith(("sector:", "victim:"))}
                        for m in self.profiles]
        record_df = collections.Counter(f for r in self.records for f in r)
        self.record_idf = {f: math.log(self.n / d) for f, d in record_df.items()}
        self.record_norms = [math.sqrt(sum(self.record_idf[f] ** 2 for f in r)) for r in self.records]
        self.mean_size = sum(self.sizes) / self.n

    def share(self, f):
        return max(self.background.get(f, 0), 0.5) / self.n

    def evidence(self, g, items):
        """(feature, weight, implied) as AttributionModel.features(of:)."""
        out, seen = [], set()
        techniques = [i for i in items if i.startswith("T")]
        for t in techniques:
            if t not in seen:
                seen.add(t)
                out.append((t, 1.0, False))
        for t in techniques:  # implied parents after every observed technique
            if t in g.parents and g.parents[t] not in seen:
                seen.add(g.parents[t])
                out.append((g.parents[t], self.constants["parent"], True))
        for s in (i for i in items if i.startswith("S")):
            if s not in seen:
                seen.add(s)
                out.append((s, self.constants["software"], False))
        return out


def queries(g, constants=SHIPPED):
    """The benchmark's queries: (variant, truth, model of the graph under test, items), in its order."""
    truth = collections.defaultdict(set)
    for e in g.edges:
        if e["type"] == "attributed-to" and g.nodes.get(e["source"], {}).get("type") == "campaign" and e["target"] in g.actor_of:
            truth[e["source"]].add(g.actor_of[e["target"]])
    for c in sorted(truth):
        uses = [e for e in g.edges if e["source"] == c and e["type"] == "uses"]
        if not uses:
            continue
        by_target = collections.defaultdict(list)
        for u in uses:
            by_target[u["target"]].append(u)

        def duplicate(e):
            if c in (e["source"], e["target"]):
                return True
            return any((o["refs"] & e["refs"]) or (o["description"] and o["description"] == e["description"]) for o in by_target.get(e["target"], []))

        kept = [e for e in g.edges if not duplicate(e)]
        unique = sorted({g.attack_id(u["target"]) for u in uses} - {None})
        model = Model(g, kept, constants)
        for vi, (variant, fraction) in enumerate([("campaigns, all", 1), ("campaigns, 50%", 0.5), ("campaigns, 30%", 0.3)]):
            items = unique
            if fraction < 1:
                items = SplitMix(fnv(c) + vi * 7919).shuffled(unique)[: max(1, int(math.floor(len(unique) * fraction + 0.5)))]
            yield variant, truth[c], model, items
    campaigns = g.campaigns_by_actor(g.edges)
    for a in g.actors:
        members = set(a["members"]) | campaigns.get(a["id"], set())
        direct = [e for e in g.edges if e["source"] in members and e["type"] == "uses" and e["refs"]]
        reports = sorted(set().union(*[e["refs"] for e in direct])) if direct else []
        if len(reports) < 2:
            continue
        held = set(SplitMix(fnv(a["id"])).shuffled(reports)[: len(reports) // 2])
        cited = [e for e in direct if e["refs"] & held]
        cited_targets = {e["target"] for e in cited}
        removed = {e["id"] for e in direct if e["refs"] <= held}
        removed |= {e["id"] for e in g.edges if e["type"] == "uses" and e["target"] in cited_targets and e["refs"] and e["refs"] <= held
                    and g.nodes.get(e["source"], {}).get("type") in ("malware", "tool")}
        items = sorted({g.attack_id(e["target"]) for e in cited} - {None})
        if not items:
            continue
        model = Model(g, [e for e in g.edges if e["id"] not in removed], constants)
        if a["id"] in model.ids:
            yield "report-level", {a["id"]}, model, items


# Scorers: (model, evidence) -> one score per ranked actor.

def shipped(weight=10, floor=5, close_threshold=0.3, close_weight=20, close_items=5):
    def score(m, fs):
        out = []
        for k, p in enumerate(m.profiles):
            s = dot = norm = 0.0
            for f, w, implied in fs:
                b = m.share(f)
                sm = m.constants["smoothing"]
                s += w * math.log(((min(p.get(f, (0,))[0], 1) + sm * b) / (1 + sm)) / b)
                if not implied and f in m.idf:
                    x = m.idf[f] ** 2
                    norm += x
                    if f in p and p[f][0] >= 1 and p[f][1] == "direct":
                        dot += x
            cos = dot / (math.sqrt(norm + floor ** 2) * math.sqrt(m.norms[k] ** 2 + floor ** 2)) if norm > 0 and m.norms[k] > 0 else 0
            observed = [f for f, _, implied in fs if not implied and m.record_idf.get(f, 0) > 0]
            if len(observed) >= close_items and close_weight > 0 and m.record_norms[k] > 0:
                qn = math.sqrt(sum(m.record_idf[f] ** 2 for f in observed))
                close = sum(m.record_idf[f] ** 2 for f in observed if f in m.records[k]) / (qn * m.record_norms[k])
                items = sum(1 for f, _, _ in fs if not f.startswith(("sector:", "victim:")))
                s += close_weight * items * max(0, close - close_threshold)
            out.append(s + weight * cos)
        return out
    return score


def lm(c, e, gamma):
    def score(m, fs):
        return [sum(w * math.log(c * min(p.get(f, (0,))[0], 1) / m.sizes[k] ** e + (1 - c) * m.share(f) / m.mean_size) for f, w, _ in fs)
                + gamma * math.log(m.sizes[k]) for k, p in enumerate(m.profiles)]
    return score


def cosine(floor, exponent):
    def score(m, fs):
        out = []
        for k, p in enumerate(m.profiles):
            dot = norm = 0.0
            for f, w, implied in fs:
                if implied or f not in m.idf:
                    continue
                norm += m.idf[f] ** 2
                if f in p and p[f][0] >= 1 and p[f][1] == "direct":
                    dot += m.idf[f] ** 2
            ok = norm > 0 and m.norms[k] > 0
            out.append(dot / ((norm + floor ** 2) ** 0.5 * (m.norms[k] ** 2 + floor ** 2) ** (exponent / 2)) if ok else 0)
        return out
    return score


def bm25(k1, b):
    def score(m, fs):
        return [sum(w * min(p[f][0], 1) * -math.log(m.share(f)) * (k1 + 1) / (min(p[f][0], 1) + k1 * (1 - b + b * m.sizes[k] / m.mean_size))
                    for f, w, _ in fs if f in p) for k, p in enumerate(m.profiles)]
    return score


def bernoulli(c, cap, e):
    def score(m, fs):
        direct = [(f, w) for f, w, implied in fs if not implied]
        q, out = len(direct), []
        for k, p in enumerate(m.profiles):
            a = min(cap, c * q / m.sizes[k] ** e)
            s, matched = 0.0, 0
            for f, w in direct:
                p0 = min(0.95, q * m.share(f) / m.mean_size)
                have = min(p.get(f, (0,))[0], 1)
                matched += have >= 1
                prob = a if have >= 1 else max(0.5 * a * have, (1 - c) * p0) if have > 0 else (1 - c) * p0
                s += math.log(prob / p0)
            out.append(s + (m.sizes[k] - matched) * math.log((1 - a) / (1 - min(0.95, q * 0.1 / m.mean_size))))
        return out
    return score


def chance(e, alpha):
    def score(m, fs):
        out = []
        for k, p in enumerate(m.profiles):
            s = 0.0
            for f, w, _ in fs:
                pk = min(0.95, m.share(f) * (m.sizes[k] / m.mean_size) ** e)
                have = min(p.get(f, (0,))[0], 1)
                s += w * math.log((have * alpha + (1 - have * alpha) * pk) / pk)
            out.append(s)
        return out
    return score


def baseline():
    """The benchmark's TF-IDF baseline: cosine of IDF-weighted items, a group's own and its campaigns'."""
    def score(m, fs):
        docs = [{f for f, (w, why) in p.items() if w >= 1 and why in ("direct", "campaign")} for p in m.profiles]
        df = collections.Counter(f for d in docs for f in d)
        n = sum(1 for d in docs if d)
        idf = {f: math.log(n / c) for f, c in df.items()}
        q = {f for f, _, implied in fs if not implied}
        qn = math.sqrt(sum(idf.get(f, 0) ** 2 for f in q))
        out = []
        for d in docs:
            dn = math.sqrt(sum(idf[f] ** 2 for f in d))
            out.append(sum(idf[f] ** 2 for f in q & d) / (qn * dn) if qn > 0 and dn > 0 else 0)
        return out
    score.by_id = True
    return score


def grid():
    yield "shipped", shipped()
    yield "TF-IDF baseline", baseline()
    for w in (0, 5, 20, 40):
        for floor in (0, 5):
            yield f"shipped w={w} floor={floor}", shipped(w, floor)
    yield "shipped, no close match", shipped(close_weight=0)
    for threshold in (0.25, 0.35):
        for close_weight in (10, 20, 40):
            yield f"shipped close>{threshold} x{close_weight}", shipped(close_threshold=threshold, close_weight=close_weight)
    for c in (0.3, 0.6, 0.9):
        for e in (0.5, 0.75, 1.0):
            for gamma in (0, 2, 4):
                yield f"lm c={c} e={e} g={gamma}", lm(c, e, gamma)
    for floor in (0, 5):
        for e in (0.5, 0.7, 1.0):
            yield f"cos floor={floor} e={e}", cosine(floor, e)
    for k1 in (0.5, 1.2, 3):
        for b in (0, 0.5, 0.75, 1):
            yield f"bm25 k1={k1} b={b}", bm25(k1, b)
    for c in (0.5, 0.8):
        for cap in (0.5, 0.9):
            for e in (0.5, 0.75, 1.0):
                yield f"bern c={c} cap={cap} e={e}", bernoulli(c, cap, e)
    for e in (0.5, 0.75, 1.0):
        for alpha in (0.3, 0.6, 0.9):
            yield f"chance e={e} a={alpha}", chance(e, alpha)


def rank_of(m, scores, truth, by_id=False):
    """The true actor's rank and the best-ranked actor; ties go by name (Sightline) or by id (baseline)."""
    order = sorted(range(m.n), key=lambda k: (-scores[k], m.ids[k] if by_id else m.names[k]))
    return next((j + 1 for j, k in enumerate(order) if m.ids[k] in truth), m.n + 1), order[0]


def row(name, ranks, variants):
    return name.ljust(28) + " " + " | ".join(
        f"{100 * sum(r == 1 for r in ranks[v]) / len(ranks[v]):3.0f}% / {sum(1 / r for r in ranks[v]) / len(ranks[v]):.3f}" for v in variants)


def sweep(g):
    """The shipped scorer under other feature constants (81 settings)."""
    for parent in (0.1, 0.25, 0.5):
        for software_technique in (0, 0.2, 0.5):
            for software in (1.0, 2.0, 3.0):
                for smoothing in (0.3, 1.0, 3.0):
                    constants = dict(parent=parent, software_technique=software_technique, software=software, smoothing=smoothing)
                    ranks = collections.defaultdict(list)
                    for v, truth, m, items in queries(g, constants):
                        ranks[v].append(rank_of(m, shipped()(m, m.evidence(g, items)), truth)[0])
                    name = f"p={parent} st={software_technique} s={software} m={smoothing}"
                    print(row(name, ranks, list(ranks)), flush=True)


FEATURES = [("shipped", shipped), ("naive Bayes", lambda: shipped(0, 5, close_weight=0)), ("resemblance", lambda: cosine(5, 1.0)), ("TF-IDF", baseline),
            ("BM25", lambda: bm25(1.2, 0.75)), ("BM25 b=0", lambda: bm25(1.2, 0)), ("query likelihood", lambda: lm(0.6, 0.75, 0)),
            ("chance", lambda: chance(0.75, 0.6))]


def coverage(m, fs):
    """Per actor: log profile size, the share of the evidence's items it holds, their IDF sum, software held."""
    direct = [f for f, _, implied in fs if not implied]
    out = []
    for k, p in enumerate(m.profiles):
        held = [f for f in direct if f in p and p[f][0] >= 1]
        out.append((math.log(m.sizes[k]), len(held) / max(len(direct), 1), sum(m.idf.get(f, 0) for f in held),
                    sum(f.startswith("S") for f in held)))
    return out


def fitted_combination(g):
    try:
        import numpy as np
    except ImportError:
        sys.exit("--fitted-combination needs numpy (python3 -m pip install numpy)")
    scorers = [make() for _, make in FEATURES]
    data = []  # (variant, a true actor, features, is-true, names)
    for v, truth, m, items in queries(g):
        fs = m.evidence(g, items)
        x = np.hstack([np.array([s(m, fs) for s in scorers]).T, np.array(coverage(m, fs))])
        x = np.hstack([x, (x - x.mean(0)) / (x.std(0) + 1e-9)])
        data.append((v, min(truth), x, np.array([i in truth for i in m.ids]), m.names))

    def fit(rows, iterations=600, rate=0.1):
        w, m1, m2 = np.zeros(rows[0][2].shape[1]), 0, 0
        for t in range(1, iterations + 1):
            grad = 0
            for _, _, x, y, _ in rows:
                s = x @ w
                p = np.exp(s - s.max())
                grad = grad + (x.T @ (p / p.sum()) - x[y].mean(0)) / len(rows)
            m1, m2 = 0.9 * m1 + 0.1 * grad, 0.999 * m2 + 0.001 * grad * grad
            w = w - rate * (m1 / (1 - 0.9 ** t)) / (np.sqrt(m2 / (1 - 0.999 ** t)) + 1e-8)
        return w

    def rank(w, x, y, names):
        s = x @ w
        order = sorted(range(len(s)), key=lambda k: (-s[k], names[k]))
        return next(j + 1 for j, k in enumerate(order) if y[k])

    def summary(ranks):
        r = np.array(ranks)
        return f"top-1 {100 * np.mean(r == 1):3.0f}%, MRR {np.mean(1 / r):.3f} (n={len(r)})"

    names = [n for n, _ in FEATURES] + ["log size", "coverage", "IDF held", "software held"]
    print("conditional logit on", ", ".join(names), "(each raw and standardized within its query)")
    variants = list(dict.fromkeys(d[0] for d in data))
    for v in variants:
        rows = [d for d in data if d[0] == v]
        w = fit(rows)
        print(f"  fitted to {v}, ranking the same queries: {summary([rank(w, *d[2:]) for d in rows])}", flush=True)
    truths = sorted({d[1] for d in data})
    order = SplitMix(fnv("folds")).shuffled(truths)
    fold = {a: i % 5 for i, a in enumerate(order)}
    held = collections.defaultdict(list)
    for f in range(5):
        w = fit([d for d in data if fold[d[1]] != f])
        for d in data:
            if fold[d[1]] == f:
                held[d[0]].append(rank(w, *d[2:]))
    for v in variants:
        print(f"  fitted to all variants on four fifths of the true groups, ranking the rest, {v}: {summary(held[v])}")


def cross_validate_close_match(g):
    """The close match's two constants chosen by 5-fold cross-validation over the true groups, on a grid of
    24 settings: each fold's queries are ranked with the setting that is best on the other four folds
    (by top-1 plus reciprocal rank, campaigns and report-level weighted equally)."""
    qs = [(v, truth, m, m.evidence(g, items)) for v, truth, m, items in queries(g)]
    settings = [(t, w) for t in (0.25, 0.275, 0.3, 0.325, 0.35, 0.4) for w in (5, 10, 20, 40)]
    ranks = {p: [rank_of(m, shipped(close_threshold=p[0], close_weight=p[1])(m, fs), truth)[0] for _, truth, m, fs in qs]
             for p in settings}
    truths = sorted({min(q[1]) for q in qs})
    order = SplitMix(fnv("folds")).shuffled(truths)
    fold = {a: i % 5 for i, a in enumerate(order)}

    def objective(indices, r):
        groups = collections.defaultdict(list)
        for i in indices:
            groups[qs[i][0][:5]].append((r[i] == 1) + 1 / r[i])
        return sum(sum(x) / len(x) for x in groups.values())

    held = collections.defaultdict(list)
    for f in range(5):
        train = [i for i, q in enumerate(qs) if fold[min(q[1])] != f]
        best = max(settings, key=lambda p: (objective(train, ranks[p]), -p[1], p[0]))
        print(f"fold {f + 1}: threshold {best[0]}, weight {best[1]}")
        for i, q in enumerate(qs):
            if fold[min(q[1])] == f:
                held[q[0]].append(ranks[best][i])
    variants = list(held)
    print(row("cross-validated close match", held, variants))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    g = Graph(args[0] if args else "/tmp/graph.json")
    if "--sweep-constants" in flags:
        return sweep(g)
    if "--fitted-combination" in flags:
        return fitted_combination(g)
    if "--cross-validate-close-match" in flags:
        return cross_validate_close_match(g)
    shipped_only = "--shipped-only" in flags
    qs = [(v, t, m, m.evidence(g, items)) for v, t, m, items in queries(g)]
    variants = list(dict.fromkeys(v for v, *_ in qs))
    right = collections.defaultdict(set)
    best_rank = {}
    country_right = collections.defaultdict(set)
    print("method".ljust(28), " | ".join(f"{v}: top-1 / MRR" for v in variants))
    for name, scorer in grid():
        if shipped_only and name != "shipped":
            break
        ranks = collections.defaultdict(list)
        for i, (v, truth, m, fs) in enumerate(qs):
            r, top = rank_of(m, scorer(m, fs), truth, by_id=getattr(scorer, "by_id", False))
            ranks[v].append(r)
            best_rank[i] = min(best_rank.get(i, r), r)
            if r == 1:
                right[v].add(i)
            if m.countries[top] in {m.countries[k] for k in range(m.n) if m.ids[k] in truth} - {None}:
                country_right[v].add(i)
        print(row(name, ranks, variants), flush=True)
        if shipped_only:
            for v in variants:
                print(f"ranks {v}:", " ".join(map(str, ranks[v])))
    if shipped_only:
        return
    print("per-query oracle over the grid (the best method chosen for each query, with the answer known):")
    for v in variants:
        mine = [i for i, q in enumerate(qs) if q[0] == v]
        with_country = [i for i in mine if {qs[i][2].countries[k] for k in range(qs[i][2].n) if qs[i][2].ids[k] in qs[i][1]} - {None}]
        print(f"  {v}: top-1 {len(right[v])} of {len(mine)} ({100 * len(right[v]) / len(mine):.0f}%),"
              f" MRR {sum(1 / best_rank[i] for i in mine) / len(mine):.3f};"
              f" some method's best-ranked actor is of the true group's country for {len(country_right[v])} of {len(with_country)}"
              f" ({100 * len(country_right[v]) / len(with_country):.0f}%)")


if __name__ == "__main__":
    main()
