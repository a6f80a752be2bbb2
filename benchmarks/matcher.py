"""Benchmark of the matcher: machine, start-up to first answer, questions/s, accuracy vs BM25.

    .venv/bin/python benchmarks/matcher.py [--questions FILE.jsonl] [--seconds 5]

The start-up time is measured in a fresh subprocess (import, load, build, first answer), with
jieba's dictionary cache already on disk as it is on a running server. Questions/s is measured on
one core with the result cache off, over the questions of FILE (default: the dev questions in
../shared when present, else tests/fixtures/villager-questions.jsonl), once for the topic alone and
once with the point of each answered topic (what a villager's question really costs).

Replies: on the project's own point phrasings held out one at a time (bot/matching/points.py), the
length of the reply a villager gets (the point's answer or the summary, and the line of choices),
and the share whose asked fact opens the reply (the chosen point is the one the phrasing was
written for), or whose choice of points offers it. Targets (issues 13, 21): median ≤ 220 characters,
longest ≤ 600; own point or its choice ≥ 95 %, another point ≤ 1 %, related topics' questions given
a point ≤ 5 %.
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
import statistics
import subprocess
import time
from typing import Any

from benchmarks.webhook import machine  # noqa: E402

DEV = ROOT.parent / "shared" / "knowledge" / "dev-questions.jsonl"
DEV_INTENTS = ROOT.parent / "shared" / "knowledge" / "dev-intents.jsonl"
DEV_REAL = ROOT.parent / "shared" / "knowledge" / "dev-real.jsonl"
EMERGENCY_NUMBERS = {"fraud-now": "110", "violence-now": "110", "child-danger": "120", "child-missing": "110",
                     "threat": "110", "injury": "120", "self-harm": "12356"}
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


def questions_per_second(questions: list[str], seconds: float, with_points: bool = False) -> float:
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    matcher = Matcher.build(KnowledgeBase.load(), cache_size=0)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for question in questions:
            found = matcher.match(question)
            if with_points and found.intent == "faq" and found.topic:
                matcher.match_point(found.topic, question)
        done += len(questions)
    return done / (time.perf_counter() - started)


def reply_figures() -> dict[str, Any]:
    """Reply lengths and fact-first share on the points' own phrasings, held out one at a time."""
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher
    from bot.matching.points import POINT_AT, POINT_MARGIN, tune
    from bot.texts import Texts
    from handlers.answers import short_reply

    kb = KnowledgeBase.load()
    matcher = Matcher.build(kb, cache_size=0)
    texts = Texts.load(defaults={"name": "", "township": "", "office_phone": "", "office_address": ""})
    rows = matcher.points.held_out(kb)
    asked = [r for r in rows if r.expected]
    lengths = []
    for row in asked:
        topic = kb.topics[row.topic]
        point = topic.point(row.choice() or "")
        options = matcher.points.options(row.topic, matcher.analyse(row.question)) if point is None else ()
        lengths.append(len(short_reply(topic, point, texts, options)))
    at, margin = tune(rows)
    return {
        "topics_with_points": sum(1 for t in kb.topics.values() if t.points), "topics": len(kb.topics),
        "held_out_questions": len(asked), "related_topic_questions": len(rows) - len(asked),
        "median_reply_chars": statistics.median(lengths) if lengths else 0,
        "longest_reply_chars": max(lengths, default=0),
        "fact_first": sum(r.choice() == r.expected for r in asked) / max(len(asked), 1),
        "summary_instead": sum(r.choice() is None for r in asked) / max(len(asked), 1),
        "other_point": sum(r.choice() not in (None, r.expected) for r in asked) / max(len(asked), 1),
        "own_point_or_its_choice": sum(r.choice() == r.expected or (r.choice() is None and r.expected in r.offered())
                                       for r in asked) / max(len(asked), 1),
        "related_given_a_point": sum(r.choice() is not None for r in rows if not r.expected)
        / max(len(rows) - len(asked), 1),
        "thresholds": [POINT_AT, POINT_MARGIN], "tuned_now": [at, margin],
    }


def intent_figures(path: Path) -> None:
    """Precision and recall per intent (and the confusion table) on labelled messages, beside BM25,
    and where the emergency number stands in each urgent reply."""
    from bot.matching.evaluate import Bm25Baseline, evaluate_intents, format_intents, load_rows
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher, load_tokenizer
    from bot.texts import Texts

    kb = KnowledgeBase.load()
    rows = load_rows(path)
    matcher = Matcher.build(kb, cache_size=0)
    ours = evaluate_intents(rows, matcher.match)
    baseline = evaluate_intents(rows, Bm25Baseline(kb, load_tokenizer()).match)
    print(f"intents on {path} ({len(rows)} rows):")
    for line in format_intents(ours, baseline):
        print("  " + line)
    legal = [r for r in rows if (r.get("intent") or "faq") == "faq" and r.get("topic")]
    as_report = sum(matcher.match(r["q"]).intent == "report" for r in legal)
    print(f"  plain legal questions taken as reports: {as_report}/{len(legal)}")
    offtopic = [r for r in rows if r.get("intent") == "none" or (not r.get("intent") and not r.get("topic"))]
    lectured = sum(matcher.match(r["q"]).topic is not None for r in offtopic)
    print(f"  off-topic messages answered with a legal topic: {lectured}/{len(offtopic)}")
    texts = Texts.load(defaults={"name": "", "township": "", "office_phone": "", "office_address": "",
                                 "office_hours": ""})
    places = {kind: texts.get(f"urgent_{kind}").find(number) for kind, number in EMERGENCY_NUMBERS.items()}
    print("  emergency number's position in the reply (target < 80): "
          + ", ".join(f"{kind} {number}@{places[kind]}" for kind, number in EMERGENCY_NUMBERS.items()))


def real_figures(path: Path) -> dict[str, Any]:
    """Real consultations people wrote (rows with ``topic`` and maybe ``alt``, or no topic when out of
    scope): top-1 and top-3 in scope (the labelled topic or its alternative), out of scope answered
    with a topic, what the rest got, and every urgent reply (each must be a true emergency)."""
    from bot.matching.evaluate import load_rows
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher

    matcher = Matcher.build(KnowledgeBase.load(), cache_size=0)
    rows = load_rows(path)
    inside = [r for r in rows if r.get("topic")]
    outside = [r for r in rows if not r.get("topic")]
    top1 = top3 = direct_wrong = 0
    got: dict[str, int] = {}
    urgent: list[str] = []
    for row in inside:
        found = matcher.match(row["q"])
        right = {row["topic"], row.get("alt")} - {None}
        top1 += found.topic in right
        top3 += found.intent in ("faq", "report") and bool(right & {c.topic for c in found.candidates})
        direct_wrong += found.intent == "faq" and not found.ambiguous and found.topic not in right
        got[found.intent] = got.get(found.intent, 0) + 1
        if found.intent == "urgent":
            urgent.append(f"{found.urgent_kind}: {row['q'][:40]}")
    answered = 0
    got_outside: dict[str, int] = {}
    for row in outside:
        found = matcher.match(row["q"])
        answered += found.topic is not None
        got_outside[found.intent] = got_outside.get(found.intent, 0) + 1
        if found.intent == "urgent":
            urgent.append(f"{found.urgent_kind}: {row['q'][:40]}")
    n, m = max(len(inside), 1), max(len(outside), 1)
    return {"in_scope": len(inside), "top1": top1 / n, "top3": top3 / n, "answered_directly_wrong": direct_wrong / n,
            "in_scope_intents": got, "out_of_scope": len(outside), "out_of_scope_answered": answered / m,
            "out_of_scope_intents": got_outside, "urgent_replies": urgent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=DEV if DEV.exists() else OWN)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--intents", type=Path, default=DEV_INTENTS if DEV_INTENTS.exists() else OWN,
                        help="labelled messages for the per-intent figures")
    parser.add_argument("--real", type=Path, default=DEV_REAL,
                        help="real consultations (skipped when the file is absent)")
    args = parser.parse_args()

    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher, load_tokenizer
    from bot.matching.evaluate import Bm25Baseline, evaluate, load_rows

    rows = load_rows(args.questions)
    print(f"machine:  {machine()}")
    print(f"start-up to first answer (fresh process): {first_answer_seconds():.2f} s")
    rate = questions_per_second([r["q"] for r in rows], args.seconds)
    print(f"matching, one core, no result cache: {rate:,.0f} questions/s")
    with_points = questions_per_second([r["q"] for r in rows], args.seconds, with_points=True)
    print(f"matching with the point, one core, no result cache: {with_points:,.0f} questions/s")
    kb = KnowledgeBase.load()
    ours = evaluate(rows, Matcher.build(kb, cache_size=0).match)
    baseline = evaluate(rows, Bm25Baseline(kb, load_tokenizer()).match)
    print(f"accuracy on {args.questions} ({len(rows)} rows):")
    print(f"  {'':32}{'matcher':>9}{'BM25':>9}")
    for label, key in (("top-1", "top1"), ("top-3", "top3"), ("out-of-scope matched", "out_of_scope_matched"),
                       ("report/status intent", "intent")):
        print(f"  {label:32}{getattr(ours, key):>9.1%}{getattr(baseline, key):>9.1%}")
    intent_figures(args.intents)
    if args.real.exists():
        real = real_figures(args.real)
        print(f"real consultations {args.real} ({real['in_scope']} in scope, {real['out_of_scope']} out of scope):")
        print(f"  in scope: top-1 {real['top1']:.1%} (target ≥ 90%), top-3 {real['top3']:.1%} (≥ 97%), "
              f"answered directly with a wrong topic {real['answered_directly_wrong']:.1%}; got {real['in_scope_intents']}")
        print(f"  out of scope answered with a topic {real['out_of_scope_answered']:.1%} (target ≤ 10%); "
              f"got {real['out_of_scope_intents']}")
        print(f"  urgent replies ({len(real['urgent_replies'])}, each must be a true emergency): "
              + "; ".join(real["urgent_replies"]))
    replies = reply_figures()
    print(f"replies on the points' own phrasings, held out one at a time ({replies['held_out_questions']} questions, "
          f"{replies['topics_with_points']} of {replies['topics']} topics have points):")
    print(f"  median reply {replies['median_reply_chars']:.0f} chars (target ≤ 220), "
          f"longest {replies['longest_reply_chars']} (≤ 600)")
    print(f"  asked fact opens the reply (its own point chosen): {replies['fact_first']:.1%}; "
          f"summary and the choice of points instead: {replies['summary_instead']:.1%}; "
          f"another point: {replies['other_point']:.1%} (target ≤ 1%)")
    print(f"  own point, or the choice that offers it: {replies['own_point_or_its_choice']:.1%} (target ≥ 95%)")
    print(f"  related topics' point questions given a point: {replies['related_given_a_point']:.1%} "
          f"(of {replies['related_topic_questions']}; target ≤ 5%)")
    print(f"  thresholds in code {replies['thresholds']}, tuned on today's data {replies['tuned_now']}")
    print(json.dumps({"matcher": ours.as_dict(), "baseline": baseline.as_dict(), "questions_per_second": round(rate),
                      "questions_per_second_with_point": round(with_points), "replies": replies}))


if __name__ == "__main__":
    main()
