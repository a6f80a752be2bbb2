"""``/staff/stats``: the report's figures for a chosen date range, with SVG charts; CSV downloads.

Open to every signed-in staff member (the figures hold no personal data; unanswered questions
were masked before they were counted). The default range is this year up to today.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from werkzeug.wrappers import Response

from bot.reports import exports, figures
from bot.console.auth import bp, record, services
from bot.console.charts import bar_chart

SUMMARY = ("requests_total", "consultations", "received", "resolved", "mediation_rate", "risks_found",
           "risks_resolved", "response_rate", "solve_rate", "satisfaction_rate")


def _period() -> tuple[figures.Period, str]:
    """The requested period, or this year and an error message when the dates are unusable."""
    tz = services().config.posts.timezone
    default = figures.Period.this_year(tz)
    start, end = request.args.get("from", ""), request.args.get("to", "")
    if not start and not end:
        return default, ""
    try:
        return figures.Period.parse(start or default.start.isoformat(), end or default.end.isoformat()), ""
    except ValueError as exc:
        return default, str(exc)


def charts(report: figures.Report, kind_label: Any) -> list[Any]:
    months = [m for m, _ in report.by_month]
    by_month = [f for _, f in report.by_month]
    out = [
        bar_chart("每月受理与化解纠纷（件）", months, [
            ("受理", [f.received for f in by_month]), ("化解", [f.resolved for f in by_month]),
            ("转办", [f.referred for f in by_month])]),
        bar_chart("每月接待咨询（人次）", months, [
            ("智能问答", [f.consultations_bot for f in by_month]),
            ("工作人员", [f.consultations_staff for f in by_month])]),
        bar_chart("每月响应率、解决率、满意率", months, [
            ("响应率", [f.response_rate for f in by_month]), ("解决率", [f.solve_rate for f in by_month]),
            ("满意率", [f.satisfaction_rate for f in by_month])], percent=True),
        bar_chart("各村受理与化解（件）", [v for v, _ in report.by_village], [
            ("受理", [f.received for _, f in report.by_village]),
            ("化解", [f.resolved for _, f in report.by_village])]),
        bar_chart("各类纠纷受理与化解（件）", [kind_label(k) for k, _ in report.by_kind], [
            ("受理", [f.received for _, f in report.by_kind]),
            ("化解", [f.resolved for _, f in report.by_kind])]),
    ]
    return out


@bp.get("/stats")
def stats_page() -> Any:
    svc = services()
    period, error = _period()
    report = figures.build_report(svc, period)
    kind_label, topic_title = exports.labels_for(svc)
    # Bad dates: the page says why (and shows this year), with 400 so that nothing takes it for the asked period.
    return render_template("staff_stats.html", report=report, period=period, error=error, labels=figures.LABELS,
                           summary=SUMMARY, columns=exports.TICKET_COLUMNS, show=figures.show,
                           charts=charts(report, kind_label), kind_label=kind_label, topic_title=topic_title,
                           ident=str, config_hours=svc.config.bot.response_hours,
                           urgent_hours=svc.config.disputes.urgent_response_hours), 400 if error else 200


@bp.get("/stats.docx")
def stats_docx() -> Response:
    """The report as Word, laid out like the 法治政府建设工作报告 section."""
    from bot.reports.word import docx_bytes

    svc = services()
    period, _ = _period()
    report = figures.build_report(svc, period)
    kind_label, topic_title = exports.labels_for(svc)
    body = docx_bytes(report, svc.config.bot.township, kind_label, topic_title, svc.config.posts.timezone)
    name = f"report-{period.start}-{period.end}.docx"
    record("export_report", "", name)  # a file that leaves the server: who took it, when, from where
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/stats.md")
def stats_markdown() -> Response:
    svc = services()
    period, _ = _period()
    report = figures.build_report(svc, period)
    kind_label, topic_title = exports.labels_for(svc)
    body = exports.markdown(report, svc.config.bot.township, kind_label, topic_title, svc.config.posts.timezone)
    name = f"report-{period.start}-{period.end}.md"
    record("export_report", "", name)
    return Response(body, mimetype="text/markdown", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/stats.csv")
def stats_csv() -> Response:
    svc = services()
    period, error = _period()
    if error:
        return Response(error, status=400, mimetype="text/plain")
    report = figures.build_report(svc, period)
    kind_label, _ = exports.labels_for(svc)
    which = request.args.get("table", "figures")
    body = exports.unanswered_csv(report) if which == "unanswered" else \
        exports.figures_csv(report, kind_label)
    name = f"{'unanswered' if which == 'unanswered' else 'figures'}-{period.start}-{period.end}.csv"
    record("export_csv", "", name)  # a file that leaves the server: who took it, when, from where
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
