"""Admin-only pages: the audit log, the canned replies, and the staff accounts (disable / enable).

Accounts are created and given passwords from the command line (``pufabot staff``), where the
password never passes through a browser form; here an admin can only stop or restore an account.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bot.console.audit import ACTION_NAMES
from bot.console.auth import accounts, admin_required, audit_log, bp, console, record, text
from bot.console.canned import MAX_LENGTH, MAX_REPLIES


@bp.get("/admin/audit")
@admin_required
def audit() -> str:
    args = request.args
    entries, cursor = audit_log().page(before=args.get("before", ""), who=args.get("who", "").strip(),
                                       action=args.get("action", ""), target=args.get("target", "").strip())
    filters = {k: args.get(k, "") for k in ("who", "action", "target")}
    return render_template("staff_audit.html", entries=entries, cursor=cursor, filters=filters,
                           actions=ACTION_NAMES, total=audit_log().count())


@bp.route("/admin/canned", methods=["GET", "POST"])
@admin_required
def canned() -> Any:
    store = console().canned
    if request.method == "POST":
        if request.form.get("reset") == "1":
            store.reset()
            saved = store.all()
        else:
            saved = store.save(request.form.getlist("reply"))
        record("canned_edit", "", f"{len(saved)} 条")
        flash(text("console_canned_saved", count=len(saved)))
        return redirect(url_for("staff.canned"), code=303)
    return render_template("staff_canned.html", replies=store.all(), max_replies=MAX_REPLIES,
                           max_length=MAX_LENGTH)


@bp.get("/admin/staff")
@admin_required
def staff_list() -> str:
    from bot.console.auth import wait_words

    store = accounts()
    users = store.list()
    waits = {u.name: wait_words(w) for u in users if (w := store.waiting(u.name))}
    return render_template("staff_accounts.html", users=users, waits=waits)


@bp.post("/admin/staff")
@admin_required
def staff_add() -> Response:
    """A new account (name, role, first password typed by the admin)."""
    from bot.console.accounts import AccountError

    name, role = request.form.get("name", "").strip(), request.form.get("role", "mediator")
    try:
        accounts().add(name, request.form.get("password", ""), role)
    except AccountError as exc:
        flash(str(exc))
        return redirect(url_for("staff.staff_list"), code=303)
    record("staff_add", name, role)
    flash(text("console_staff_added", name=name))
    return redirect(url_for("staff.staff_list"), code=303)


@bp.post("/admin/staff/<name>/password")
@admin_required
def staff_password(name: str) -> Response:
    """A new password for a colleague (signs them out everywhere, clears a lockout)."""
    from bot.console.accounts import AccountError

    try:
        accounts().set_password(name, request.form.get("password", ""))
    except AccountError as exc:
        flash(str(exc))
        return redirect(url_for("staff.staff_list"), code=303)
    record("staff_passwd", name)
    flash(text("console_staff_password_set", name=name))
    return redirect(url_for("staff.staff_list"), code=303)


@bp.post("/admin/staff/<name>/unlock")
@admin_required
def staff_unlock(name: str) -> Response:
    accounts().unlock(name=name)
    record("staff_unlock", name)
    flash(text("console_staff_unlocked", name=name))
    return redirect(url_for("staff.staff_list"), code=303)


@bp.post("/admin/unlock-address")
@admin_required
def address_unlock() -> Response:
    import ipaddress

    raw = request.form.get("ip", "").strip()
    try:
        ip = str(ipaddress.ip_address(raw))
    except ValueError:
        flash(text("console_bad_address"))
        return redirect(url_for("staff.staff_list"), code=303)
    accounts().unlock(ip=ip)
    record("staff_unlock", "", ip)
    flash(text("console_ip_unlocked", ip=ip))
    return redirect(url_for("staff.staff_list"), code=303)


@bp.post("/admin/staff/<name>/disable")
@admin_required
def staff_disable(name: str) -> Response:
    return _set_disabled(name, True)


@bp.post("/admin/staff/<name>/enable")
@admin_required
def staff_enable(name: str) -> Response:
    return _set_disabled(name, False)


def _set_disabled(name: str, disabled: bool) -> Response:
    from bot.console.accounts import AccountError

    if disabled and name == g.staff.name:
        flash(text("console_staff_self"))
        return redirect(url_for("staff.staff_list"), code=303)
    try:
        accounts().set_disabled(name, disabled)
    except AccountError as exc:
        flash(str(exc))
        return redirect(url_for("staff.staff_list"), code=303)
    record("staff_disable" if disabled else "staff_enable", name)
    flash(text("console_staff_disabled" if disabled else "console_staff_enabled", name=name))
    return redirect(url_for("staff.staff_list"), code=303)
