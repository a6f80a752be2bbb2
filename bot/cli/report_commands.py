"""``pufabot report --from 2026-01-01 --to 2026-12-31 [--out DIR]``: the yearly figures as files.

Writes ``report-<from>-<to>.md`` (the Markdown report) and ``.docx`` (the same as Word), ``figures-<from>-<to>.csv`` (every figure,
in total, by month, village and kind) and ``unanswered-<from>-<to>.csv`` (the knowledge base's to-do
list) into DIR (default: the current directory), then prints a one-line summary.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import load_config


@click.command("report")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day (included), YYYY-MM-DD.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Directory to write the files into (created if missing).")
def report(start: str, end: str, out_dir: Path) -> None:
    """Write the report of the law-based-government figures (Markdown and CSV)."""
    from bot.reports import exports, figures
    from bot.reports.word import docx_bytes
    from bot.services import build_services

    try:
        period = figures.Period.parse(start, end)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    services = build_services(load_config())
    try:
        result = figures.build_report(services, period)
        kind_label, topic_title = exports.labels_for(services)
        config = services.config
        files: dict[str, str | bytes] = {
            f"report-{period.start}-{period.end}.md": exports.markdown(
                result, config.bot.township, kind_label, topic_title, config.posts.timezone),
            f"report-{period.start}-{period.end}.docx": docx_bytes(
                result, config.bot.township, kind_label, topic_title, config.posts.timezone),
            f"figures-{period.start}-{period.end}.csv": exports.figures_csv(result, kind_label),
            f"unanswered-{period.start}-{period.end}.csv": exports.unanswered_csv(result),
        }
    finally:
        services.close()
    from bot.store.private import private_dir, write_private

    if not out_dir.exists():  # an existing directory is the operator's to keep as it is
        private_dir(out_dir)
    for name, body in files.items():
        write_private(out_dir / name, body if isinstance(body, bytes) else body.encode("utf-8"))  # villagers' words
        click.echo(f"已写入 {out_dir / name}")
    click.echo(exports.summary_line(result))
