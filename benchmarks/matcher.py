"""Benchmark of the matcher: machine, start-up to first answer, questions/s, accuracy vs BM25.

    .venv/bin/python benchmarks/matcher.py [--questions FILE.jsonl] [--seconds 5]

The start-up time is measured in a fresh subprocess (import, load, build, first answer), with
jieba's dictionary cache already on disk as it is on a running server. Questions/s is measured on
one core with the result cache off, over the questions of FILE (default: the dev questions in
../shared when present, else tests/fixtures/villager-questions.jsonl).
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this directory comes first on sys.path; put the project root there instead so
# that no benchmark module can shadow a standard-library one and `bot` imports from the checkout.
ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)

import argparse
import json
import os
import subprocess
import time

from benchmarks.webhook import machine  # noqa: E402

DEV = ROOT.parent / "shared" / "knowledge" / "dev-questions.jsonl"
OWN = ROOT / "tests" / "fixtures" / "villager-questions.jsonl"

FIRST_ANSWER = """
import time
started = time.perf_counter()
from bot.matching.kb import KnowledgeBase
from bot.matching.matcher import Matcher
matcher = Matcher.build(KnowledgeBase.load())
matcher.match("老板跑了工钱不给咋整")
print(time.perf_counter() - started)
"""


def first_answer_seconds(runs: int = 3) -> float:
    """Best of a few fresh processes, from interpreter start to the first answer."""
    subprocess.run([sys.executable, "-c", FIRST_ANSWER], cwd=ROOT, check=True, capture_output=True)  # warm cache
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", FIRST_ANSWER], cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def questions_per_second(questions: list[str], seconds: float) -> float:
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    matcher = Matcher.build(KnowledgeBase.load(), cache_size=0)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for question in questions:
            matcher.match(question)
        done += len(questions)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=DEV if DEV.exists() else OWN)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher, load_tokenizer
    from bot.matching.evaluate import Bm25Baseline, evaluate, load_rows

    rows = load_rows(args.questions)
    print(f"machine:  {machine()}")
    print(f"start-up to first answer (fresh process): {first_answer_seconds():.2f} s")
    rate = questions_per_second([r["q"] for r in rows], args.seconds)
    print(f"matching, one core, no result cache: {rate:,.0f} questions/s")
    kb = KnowledgeBase.load()
    ours = evaluate(rows, Matcher.build(kb, cache_size=0).match)
    baseline = evaluate(rows, Bm25Baseline(kb, load_tokenizer()).match)
    print(f"accuracy on {args.questions} ({len(rows)} rows):")
    print(f"  {'':32}{'matcher':>9}{'BM25':>9}")
    for label, key in (("top-1", "top1"), ("top-3", "top3"), ("out-of-scope matched", "out_of_scope_matched"),
                       ("report/status intent", "intent")):
        print(f"  {label:32}{getattr(ours, key):>9.1%}{getattr(baseline, key):>9.1%}")
    print(json.dumps({"matcher": ours.as_dict(), "baseline": baseline.as_dict(), "questions_per_second": round(rate)}))


if __name__ == "__main__":
    main()
