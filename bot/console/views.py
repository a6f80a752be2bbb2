"""The pages staff read: the queue, one ticket, and its photos and voice through a media proxy.

- Queue (``/staff/``): the default view is the open work, unclaimed tickets first (oldest first,
  they have waited longest), then claimed and in-mediation ones; filters by state, village, kind,
  age and overdue; counts per state; an overdue badge on tickets past ``due_at`` without a
  response; pages of ``PAGE`` tickets. Cost: one list call per state shown plus one ticket fetch.
- Ticket (``/staff/tickets/<id>``): everything the villager sent, history and internal notes. The
  phone number is not on the page until a staff member asks for it (a POST, logged in the audit).
- Media (``/staff/media/<media_id>?ticket=<id>[&play=1]``): a voice or photo (the archived copy,
  or from WeChat), only when that media id is attached to that ticket (no open proxy to WeChat's
  media store); ``play=1`` gives a voice as WAV for the page's player (AMR plays in no browser).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import abort, g, render_template, request, url_for
from werkzeug.wrappers import Response

from bot.console import display
from bot.console.auth import bp, console, record, services, text
from bot.disputes.tickets import ALL_KINDS

if TYPE_CHECKING:
    from bot.disputes import Disputes
    from bot.disputes.tickets import Ticket

PAGE = 30
OTHER_TICKETS = 10  # the villager's other tickets listed on a ticket's page (newest first)
OPEN_VIEW = ("new", "claimed", "mediating")
AGE_NAMES = {"": "不限", "1d": "24小时内", "3d": "超过3天", "7d": "超过7天", "30d": "超过30天"}
OLDER_THAN_DAYS = {"3d": 3, "7d": 7, "30d": 30}


@dataclass(frozen=True)
class QueueFilters:
    state: str = ""  # "" = the open work (new, claimed, mediating); "all" = every state
    village: str = ""
    kind: str = ""
    age: str = ""
    overdue: bool = False
    q: str = ""  # search: ticket id (or its last digits), village, phone's last 4, description words
    assignee: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Any, villages: tuple[str, ...], kinds: tuple[str, ...]) -> QueueFilters:
        state = args.get("state", "")
        try:
            page = max(1, min(int(args.get("page", 1)), 10_000))
        except ValueError:
            page = 1
        return cls(state=state if state in (*display.STATE_ORDER, "all") else "",
                   village=args.get("village", "") if args.get("village", "") in villages else "",
                   kind=args.get("kind", "") if args.get("kind", "") in kinds else "",
                   age=args.get("age", "") if args.get("age", "") in AGE_NAMES else "",
                   overdue=args.get("overdue") == "1", q=args.get("q", "").strip()[:60],
                   assignee=args.get("assignee", "").strip()[:40], page=page)

    def states(self) -> tuple[str | None, ...]:
        if self.state == "all":
            return (None,)
        return (self.state,) if self.state else OPEN_VIEW

    def window(self, now: float) -> tuple[float | None, float | None]:
        """(since, until) on created_at for the age filter."""
        if self.age == "1d":
            return now - 86400, None
        days = OLDER_THAN_DAYS.get(self.age)
        return (None, now - days * 86400) if days else (None, None)

    def query(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments of this view with some changed (for links)."""
        values = {"state": self.state, "village": self.village, "kind": self.kind, "age": self.age,
                  "overdue": "1" if self.overdue else "", "q": self.q, "assignee": self.assignee,
                  "page": self.page, **changes}
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


def page_of(filters: QueueFilters, disputes: Disputes, now: float) -> tuple[list[Ticket], int]:
    """The tickets of the requested page across the states shown, in order, and the total."""
    since, until = filters.window(now)
    offset, want = (filters.page - 1) * PAGE, PAGE
    if filters.q or filters.assignee:
        found = [t for t in disputes.search(filters.q, filters.assignee, filters.states(), filters.village or None,
                                            filters.kind or None)
                 if (since is None or t.created_at >= since) and (until is None or t.created_at <= until)
                 and (not filters.overdue or t.overdue(now))]
        return found[offset:offset + PAGE], len(found)
    tickets: list[Any] = []
    total = 0
    for state in filters.states():
        # Open work reads oldest first (longest waiting on top); finished work newest first.
        rows, n = disputes.list(state=state, village=filters.village or None, kind=filters.kind or None,
                                since=since, until=until, overdue=True if filters.overdue else None,
                                offset=max(0, offset - total), limit=max(want, 1),
                                oldest_first=state in OPEN_VIEW)
        taken = list(rows)[:want]
        tickets += taken
        want -= len(taken)
        total += n
    return tickets, total


def _search_refused(query: str) -> Response | None:
    """Every search is audited (the query masked); one beyond ``web.searches_per_minute`` is refused."""
    from bot.logs import mask

    if not console().searches.allow(g.staff.name):
        record("search_refused", "", mask(query))
        return Response(render_template("staff_message.html", message=text("console_search_too_fast")),
                        status=429, headers={"Retry-After": "60"}, mimetype="text/html")
    record("search", "", mask(query))
    return None


@bp.get("/")
def queue() -> str | Response:
    svc = services()
    now = time.time()
    kinds = tuple(ALL_KINDS)
    filters = QueueFilters.from_args(request.args, svc.config.bot.villages, kinds)
    if filters.q:
        refused = _search_refused(filters.q)
        if refused is not None:
            return refused
    tickets, total = page_of(filters, svc.disputes, now)
    tickets.sort(key=lambda t: not t.urgent)  # urgent first (stable: the order within stays)
    counts = svc.disputes.counts_by_state()
    pages = max(1, (total + PAGE - 1) // PAGE)
    return render_template("staff_queue.html", tickets=tickets, total=total, counts=counts, f=filters,
                           pages=pages, now=now, villages=svc.config.bot.villages, kinds=kinds,
                           ages=AGE_NAMES, states=display.STATE_ORDER, unread=svc.disputes.thread.unread(),
                           staff_names=staff_names(),
                           live=live_version(svc.disputes))


def live_version(disputes: Disputes) -> str:
    """Changes whenever a ticket arrives or changes state, or a thread gets an entry or is read.

    Every host computes it from Redis alone, so a page polling any host sees every change."""
    counts = disputes.counts_by_state()
    return f"{disputes.thread.live_version()}-" + "-".join(str(counts[s]) for s in sorted(counts))


def staff_names() -> list[str]:
    """Enabled console accounts, for the assignee filter and 转给同事."""
    return sorted(u.name for u in console().accounts.list() if not u.disabled)


def load_ticket(ticket_id: str) -> Any:
    ticket = services().disputes.get(ticket_id) if len(ticket_id) <= 40 else None
    if ticket is None:
        abort(404)
    return ticket


def ticket_page(ticket: Ticket, status: int = 200, phone_shown: bool = False) -> Response:
    svc = services()
    history = svc.disputes.history(ticket.id)
    notes = [h for h in history if h.get("what") == "note"]
    thread = svc.disputes.thread.entries(ticket.id)
    body = render_template(
        "staff_ticket.html", t=ticket, history=history, notes=notes, now=time.time(),
        phone_shown=phone_shown, canned=console().canned.all(), outcomes=display.OUTCOMES,
        may_act=may_act(ticket), attachments=ticket.attachments, staff_names=staff_names(),
        thread=thread, live=live_version(svc.disputes), personal_hidden=display.has_personal(ticket, thread),
        stamp=page_stamp(ticket),
        urgent_label=svc.texts.get(f"urgent_kind_{ticket.urgent_kind}") if ticket.urgent_kind else "",
        others=[t for t in svc.disputes.for_villager(ticket.openid) if t.id != ticket.id][:OTHER_TICKETS])
    return Response(body, status=status, mimetype="text/html")


def page_stamp(ticket: Ticket) -> str:
    """Changes whenever anything the ticket page shows outside the thread changes (every action sets
    ``updated_at``): the live update fetches the whole page only then."""
    return f"{ticket.updated_at!r}-{display.state_value(ticket.state)}-{ticket.claimed_by}"


@bp.get("/tickets/<ticket_id>/thread")
def thread_since(ticket_id: str) -> Response:
    """What an open ticket page polls when something changed: the thread entries after the
    ``after`` it already shows (as the page's own markup, masked), their new count, and the page's
    stamp (when it differs, the page fetches itself whole). Never the whole thread again (N9)."""
    import json

    t = load_ticket(ticket_id)
    try:
        after = max(0, min(int(request.args.get("after", "0")), 1_000_000))
    except ValueError:
        after = 0
    thread = services().disputes.thread
    total, entries = thread.entries_since(t.id, after)
    if entries and t.id in thread.unread():
        thread.mark_read(t.id)
    html = render_template("staff_thread_entries.html", entries=entries, t=t, phone_shown=False)
    response = Response(json.dumps({"stamp": page_stamp(t), "count": total, "html": html}, ensure_ascii=False),
                        mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def may_act(ticket: Ticket) -> bool:
    """Ticket actions (reply, visit, outcome, close, release) belong to its claimer or an admin."""
    return bool(g.staff.is_admin or (ticket.claimed_by and ticket.claimed_by == g.staff.name))


@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id: str) -> Response:
    t = load_ticket(ticket_id)
    record("view_ticket", t.id)
    if t.id in services().disputes.thread.unread():
        services().disputes.thread.mark_read(t.id)
    return ticket_page(t)


@bp.post("/tickets/<ticket_id>/phone")
def show_phone(ticket_id: str) -> Response:
    t = load_ticket(ticket_id)
    record("view_phone", t.id)
    return ticket_page(t, phone_shown=True)


def attached_media(ticket: Ticket, media_id: str) -> dict[str, Any] | None:
    """The attachment of the report, or the media of a thread entry, with this media id."""
    for item in ticket.attachments or []:
        if item.get("media_id") == media_id:
            return dict(item)
    for entry in services().disputes.thread.entries(ticket.id):
        media = entry.get("media") or {}
        if media.get("media_id") == media_id:
            return {"kind": media.get("type"), **media}
    return None


@bp.get("/live")
def live() -> Response:
    """What the queue and ticket pages poll: the version to compare, and the counts for the title."""
    import json

    disputes = services().disputes
    unread = disputes.thread.unread()
    urgent = disputes.latest_urgent()
    body = {"version": live_version(disputes), "new": disputes.counts_by_state().get("new", 0),
            "unread": sum(unread.values()), "unread_tickets": len(unread),
            # The newest open urgent item: every open console page rings once for it (live.js). Its
            # id and the kind of danger only, never the villager's words or phone.
            "urgent": None if urgent is None else {
                "id": urgent.id, "url": url_for("staff.ticket", ticket_id=urgent.id),
                "kind": services().texts.get(f"urgent_kind_{urgent.urgent_kind}") if urgent.urgent_kind else ""}}
    response = Response(json.dumps(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/media/<media_id>")
def media(media_id: str) -> Response:
    from bot.disputes.media import MEDIA_ID
    from bot.wechat.api import WeChatError

    t = load_ticket(request.args.get("ticket", ""))
    if not MEDIA_ID.match(media_id):  # a villager's push named it: never a path, never sent on to WeChat
        return Response(render_template("staff_message.html", message=text("console_media_bad_id")),
                        status=400, mimetype="text/html")
    if attached_media(t, media_id) is None:
        return Response(render_template("staff_message.html", message=text("console_media_refused")),
                        status=403, mimetype="text/html")
    archive = services().disputes.media
    try:  # ?play=1: what the page's player needs (a voice as WAV); plain: the original, to download
        content, ctype = archive.playable(media_id) if request.args.get("play") else archive.fetch(media_id)
    except WeChatError as exc:
        return Response(render_template("staff_message.html", message=text(
            "console_media_failed", errcode=exc.errcode, errmsg=exc.errmsg)), status=502, mimetype="text/html")
    record("view_media", t.id, media_id)
    response = Response(content, mimetype=ctype)
    response.headers["Cache-Control"] = "no-store"  # a villager's photo or voice: personal data
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Template filters that only reformat a value (display.py does the work).
for _name, _filter in (("state_name", display.state_name), ("state_value", display.state_value),
                       ("age", display.age), ("history_name", display.history_name),
                       ("who_name", display.who_name)):
    bp.add_app_template_filter(_filter, _name)


@bp.app_template_filter("local_time")
def _local_time(ts: float | None) -> str:
    return display.local_time(ts, services().config.posts.timezone)


@bp.app_template_filter("kind_name")
def _kind_name(kind: str) -> str:
    return display.kind_name(kind, services().texts)


@bp.app_template_filter("language_name")
def _language_name(language: str) -> str:
    return display.language_name(language, services().texts)


@bp.app_template_global("voices_play")
def _voices_play() -> bool:
    """Whether this server can turn voices into something the browser plays (ffmpeg is installed)."""
    from bot.disputes.voice import ffmpeg_path

    return ffmpeg_path() is not None


@bp.app_template_filter("masked")
def _masked(value: Any) -> str:
    return display.masked(value)


@bp.app_template_filter("visible")
def _visible(value: Any) -> str:
    return display.visible(value)


@bp.app_template_filter("http_url")
def _http_url(value: Any) -> str:
    return display.http_url(value)


@bp.app_template_global("map_link")
def _map_link(lat: Any, lng: Any, label: str = "") -> str:
    return display.map_link(lat, lng, label)


@bp.app_template_global("contact_name")
def _contact_name(pref: str) -> str:
    return display.CONTACT_NAMES.get(pref, pref)
