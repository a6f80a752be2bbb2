"""``pufabot kb``: lint the knowledge base, match questions, measure the matcher.

None of these commands needs the Flask app, Redis or the network.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.matching.matcher import Matcher

kb = click.Group("kb", help="The legal knowledge base and the matcher (no app, no Redis needed).")

_DIR = click.option(
    "--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
    help="Knowledge directory (default: the packaged knowledge/).",
)


def _matcher(directory: Path | None) -> Matcher:
    from bot.matching.kb import KnowledgeBase, KnowledgeError
    from bot.matching.matcher import Matcher

    try:
        knowledge = KnowledgeBase.load(directory)
    except KnowledgeError as exc:
        raise click.ClickException(f"{exc} (run `pufabot kb lint`)") from None
    return Matcher.build(knowledge, directory / "dict" if directory else None)


@kb.command("build")
@_DIR
def build_cmd(directory: Path | None) -> None:
    """Train (or load) the models into the cache, so that `serve` and `worker` start in a second.

    Run once per release and before every start (the systemd units' ExecStartPre): with the models
    cached it takes about as long as a start; a corrupt cache file is trained again."""
    import time

    from bot.matching.matcher import cache_dir

    started = time.perf_counter()
    matcher = _matcher(directory)
    matcher.match("老板跑了工钱不给咋整")
    click.echo(f"ok: {len(matcher.kb.topics)} topics, models in {cache_dir()} ({time.perf_counter() - started:.1f} s)")


@kb.command("lint")
@_DIR
def lint_cmd(directory: Path | None) -> None:
    """Check every topic file; exit 1 listing each problem as file: field: message.

    Warnings (a law file whose listed successor is now in force) are printed as
    `warning: file: field: message` and do not fail the check."""
    from bot.matching.kb import KnowledgeBase, lint, warnings

    errors = lint(directory)
    for error in errors:
        click.echo(str(error), err=True)
    for warning in warnings(directory):
        click.echo(f"warning: {warning}", err=True)
    if errors:
        raise SystemExit(1)
    click.echo(f"ok: {len(KnowledgeBase.load(directory).topics)} topics")


@kb.command("match")
@click.argument("question", required=False)
@click.option("--jsonl", is_flag=True, help="Read one question a line on stdin, write one JSON object a line.")
@_DIR
def match_cmd(question: str | None, jsonl: bool, directory: Path | None) -> None:
    """Match QUESTION (or, with --jsonl, every line of stdin) to an intent and a topic."""
    if not jsonl and question is None:
        raise click.UsageError("give a QUESTION or use --jsonl")
    matcher = _matcher(directory)
    if jsonl:
        for line in sys.stdin:
            text = line.rstrip("\r\n")
            click.echo(json.dumps(matcher.match(text).to_json(text), ensure_ascii=False))
        return
    click.echo(_describe(matcher, question or ""))


def _describe(matcher: Matcher, question: str) -> str:
    found = matcher.match(question)
    topics = matcher.kb.topics

    def title(topic_id: str | None) -> str:
        return f"{topic_id} 【{topics[topic_id].title}】" if topic_id is not None and topic_id in topics else str(topic_id)

    lines = [f"intent:  {found.intent}" + (" (ambiguous: will offer a choice)" if found.ambiguous else "")]
    if found.topic:
        lines.append(f"topic:   {title(found.topic)}")
    lines.append(f"score:   {found.score:.3f}")
    if found.chat:
        lines.append(f"chat:    {found.chat}")
    if found.ticket_id:
        lines.append(f"ticket:  {found.ticket_id}")
    for i, candidate in enumerate(found.candidates, 1):
        lines.append(f"  {i}. {candidate.score:.3f}  {title(candidate.topic)}")
    return "\n".join(lines)


@kb.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@_DIR
def eval_cmd(file: Path, as_json: bool, directory: Path | None) -> None:
    """Accuracy on FILE.jsonl ({"q", "topic", "intent"?} rows), next to a plain BM25 baseline."""
    from bot.matching.evaluate import Bm25Baseline, evaluate, evaluate_intents, format_intents, load_rows
    from bot.matching.matcher import load_tokenizer

    try:
        rows = load_rows(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    matcher = _matcher(directory)
    bm25 = Bm25Baseline(matcher.kb, load_tokenizer())
    ours = evaluate(rows, matcher.match)
    baseline = evaluate(rows, bm25.match)
    intents, baseline_intents = evaluate_intents(rows, matcher.match), evaluate_intents(rows, bm25.match)
    if as_json:
        click.echo(json.dumps({"rows": len(rows), "matcher": ours.as_dict(), "baseline": baseline.as_dict(),
                               "intents": intents.as_dict(), "baseline_intents": baseline_intents.as_dict()},
                              ensure_ascii=False))
        return
    click.echo(f"{file}: {len(rows)} rows")
    click.echo(f"{'':34}{'matcher':>10}{'BM25 baseline':>16}")
    for label, key, rows_key in (
        ("top-1 accuracy", "top1", "topic_rows"),
        ("top-3 accuracy", "top3", "topic_rows"),
        ("out-of-scope matched to a topic", "out_of_scope_matched", "out_of_scope_rows"),
        ("report/status intent accuracy", "intent", "intent_rows"),
    ):
        count = getattr(ours, rows_key)
        click.echo(f"{label + f' ({count})':34}{getattr(ours, key):>10.1%}{getattr(baseline, key):>16.1%}")
    click.echo(f"out-of-scope rejected: {1 - ours.out_of_scope_matched:.1%} (baseline "
               f"{1 - baseline.out_of_scope_matched:.1%})")
    click.echo("")
    for line in format_intents(intents, baseline_intents):
        click.echo(line)
    click.echo("")
    click.echo(_reliability_table(matcher, rows))


def _reliability_table(matcher: Matcher, rows: list[dict[str, object]]) -> str:
    """Accuracy by band of the best topic's score: a topic row is right when its topic comes first,
    an out-of-scope row whenever it has any topic (answering it is wrong)."""
    from bot.matching.calibration import evidence, reliability

    scored = []
    for row in rows:
        if row.get("intent"):
            continue
        ranked = matcher.rank(str(row["q"]))
        legal = [s for s in ranked if s.topic in matcher.kb.topics]
        if not legal:
            continue
        x = evidence(legal[0].score, legal[1].score if len(legal) > 1 else 0.0)
        scored.append((x, matcher.calibration.probability(x), legal[0].topic == row.get("topic")))
    lines = ["reliability (best topic's evidence, 2·score − second → how often it is the right answer)",
             f"{'evidence':>11}{'n':>6}{'right':>9}{'calibrated':>12}"]
    lines += [f"{b.low:>4.1f}–{b.high:<4.1f}{b.count:>8}{b.accuracy:>9.1%}{b.mean_probability:>12.1%}"
              for b in reliability(scored)]
    return "\n".join(lines)


@kb.command("calibrate")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--write/--dry-run", default=True, show_default=True,
              help="Write knowledge/dict/calibration.tsv (or only print the table).")
@_DIR
def calibrate_cmd(folds: int, write: bool, directory: Path | None) -> None:
    """Fit the score → probability-right table on questions held out by cross-validation."""
    from bot.matching.calibration import Calibration, evidence, reliability
    from bot.matching.topicmodel import LEARNED_SHARE, PSEUDO, combine, held_out

    import knowledge

    base = directory or knowledge.KNOWLEDGE_DIR
    matcher = _matcher(directory)
    corpus = matcher.corpus
    if corpus is None:
        raise click.ClickException("the matcher has no topic corpus to hold questions out of")
    pairs = []
    for label, ranked, probs in held_out(corpus.questions, corpus.always, corpus.keywords, corpus.background,
                                         matcher.analyser.generality, corpus.model_extra, matcher.compact, folds):
        legal = [s for s in combine(ranked, probs, LEARNED_SHARE) if s.topic not in PSEUDO]
        if legal:
            second = legal[1].score if len(legal) > 1 else 0.0
            pairs.append((evidence(min(1.0, legal[0].score), min(1.0, second)), legal[0].topic == label))
    fitted = Calibration.fit(pairs)
    click.echo(f"{len(pairs)} held-out questions ({folds}-fold), {sum(c for _, c in pairs)} answered right")
    click.echo(f"{'evidence':>11}{'n':>6}{'right':>9}{'calibrated':>12}")
    for band in reliability([(s, fitted.probability(s), c) for s, c in pairs]):
        click.echo(f"{band.low:>4.1f}–{band.high:<4.1f}{band.count:>8}{band.accuracy:>9.1%}{band.mean_probability:>12.1%}")
    if write:
        target = base / "dict" / "calibration.tsv"
        target.write_text(fitted.dump(), encoding="utf-8")
        click.echo(f"wrote {target} ({len(fitted.starts)} steps)")


@kb.command("tune")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@_DIR
def tune_cmd(folds: int, directory: Path | None) -> None:
    """Thresholds of the intent model by cross-validation on the project's own examples."""
    from bot.matching import textnorm
    from bot.matching.examples import training_rows
    from bot.matching.kb import KnowledgeBase
    from bot.matching.tuning import choose_thresholds, out_of_fold

    import knowledge

    base = directory or knowledge.KNOWLEDGE_DIR
    table = textnorm.load_char_table(base / "dict" / "t2s.txt")
    rows = training_rows(KnowledgeBase.load(directory), base / "intents",
                         lambda t: textnorm.clean(textnorm.fold(t, table)).replace(" ", ""))
    texts, labels = [r.text for r in rows], [r.label for r in rows]
    probs = out_of_fold(texts, labels, folds)
    click.echo(f"{len(rows)} examples, {folds}-fold out-of-fold probabilities")
    click.echo(f"{'intent':10}{'n':>6}{'threshold':>11}{'precision':>11}{'recall':>9}")
    for t in choose_thresholds(labels, probs):
        at = f"{t.threshold:.2f}" if t.threshold is not None else "-"
        click.echo(f"{t.intent:10}{t.support:>6}{at:>11}{t.precision:>11.1%}{t.recall:>9.1%}")
    click.echo("")
    click.echo(_share_table(base, directory, folds))


def _share_table(base: Path, directory: Path | None, folds: int) -> str:
    """How much the topic model's say in the ranking (``LEARNED_SHARE``) helps, by cross-validation."""
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import Matcher
    from bot.matching.topicmodel import LEARNED_SHARE, held_out, tune_share

    matcher = Matcher.build(KnowledgeBase.load(directory), base / "dict", cache_size=0)
    corpus = matcher.corpus
    if corpus is None:
        return "no topic corpus"
    figures = tune_share(held_out(corpus.questions, corpus.always, corpus.keywords, corpus.background,
                                  matcher.analyser.generality, corpus.model_extra, matcher.compact, folds))
    lines = [f"topic model's share of the ranking ({folds}-fold, {len(corpus.questions)} questions; "
             f"in code: {LEARNED_SHARE})", f"{'share':>6}{'top-1':>9}{'top-3':>9}{'everyday kept':>15}"]
    lines += [f"{f.share:>6.1f}{f.top1:>9.1%}{f.top3:>9.1%}{f.everyday_kept:>15.1%}" for f in figures]
    best = max(figures, key=lambda f: (round(f.top1, 3), round(f.top3, 3), -f.share))
    lines.append(f"best top-1: share {best.share:.1f}")
    return "\n".join(lines)
