"""Every Redis key pufabot writes, in one place.

Keys are Redis-Cluster safe: keys that one Lua script or MULTI touches together share a hash tag
(the part in braces decides the slot).

- ``{u:<openid>}``: everything about one villager's conversation (dedupe of their messages, state,
  draft). One villager's keys never share a slot with another's, so dedupe can never hand one
  villager another's reply.
- ``{jf}``: the dispute queue (tickets, stream, indexes, counters): a ticket and its indexes change
  together atomically.
- ``{wx}``: the WeChat access token and its refresh lock.
- ``{stats}``: the bot's counters.
- ``{posts}``: weekly post records and locks.
- ``{staff}``: staff accounts, sessions and audit log.
- ``{nt}``: the outbox of alerts to the township's work group (``bot.notify.outbox``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "pufabot"

    # -- one villager -------------------------------------------------------------------------
    def user(self, openid: str, part: str) -> str:
        return f"{self.prefix}:{{u:{openid}}}:{part}"

    def dedupe(self, openid: str, fingerprint: str) -> str:
        """The stored reply of one message (MsgId) or event (CreateTime + event) of one villager."""
        return self.user(openid, f"dd:{fingerprint}")

    def state(self, openid: str) -> str:
        return self.user(openid, "state")

    def draft(self, openid: str) -> str:
        return self.user(openid, "draft")

    def daily_reports(self, openid: str, day: str) -> str:
        """Counter: reports the villager filed on one local day (``20261205``); expires after 2 days."""
        return self.user(openid, f"reports:{day}")

    def urgent_episode(self, openid: str) -> str:
        """String "<ticket id> <time of the last danger message>": the villager's urgent item that
        further danger messages join (TTL: the episode)."""
        return self.user(openid, "urgent-episode")

    def recent_emergency(self, openid: str) -> str:
        """String: the villager sent an emergency lately; a report they file meanwhile is urgent (TTL)."""
        return self.user(openid, "urgent")

    # -- captured signed URLs ---------------------------------------------------------------------
    def replay(self, timestamp: str, nonce: str) -> str:
        """String: SHA-256 of the body first pushed with this (timestamp, nonce); TTL twice the window."""
        return f"{self.prefix}:{{rp:{timestamp}:{nonce}}}"

    # -- dispute queue ------------------------------------------------------------------------
    def jf(self, part: str) -> str:
        return f"{self.prefix}:{{jf}}:{part}"

    def ticket(self, ticket_id: str) -> str:
        """Hash: one ticket's fields (``bot.disputes.tickets.Ticket``)."""
        return self.jf(f"t:{ticket_id}")

    def ticket_history(self, ticket_id: str) -> str:
        """List (RPUSH only): one ticket's append-only history, JSON entries."""
        return self.jf(f"h:{ticket_id}")

    def ticket_seq(self, day: str) -> str:
        """Counter: ticket numbers of one Asia/Shanghai day (``20261124``); never expires."""
        return self.jf(f"seq:{day}")

    def ticket_idem(self, idem_key: str) -> str:
        """String: the ticket id a submission's idempotency key produced."""
        return self.jf(f"idem:{idem_key}")

    def ticket_index(self, name: str, value: str = "") -> str:
        """Sorted set of ticket ids: ``state``/``village``/``kind``/``user`` + value (score created_at),
        ``created`` (score created_at: the day index), ``awaiting`` (score due_at: no response yet)."""
        return self.jf(f"idx:{name}:{value}" if value else f"idx:{name}")

    def ticket_stream(self) -> str:
        """Stream: one entry per ticket; consumer group ``mediators`` (see ``bot.disputes.queue``)."""
        return self.jf("stream")

    def ticket_thread(self, ticket_id: str) -> str:
        """List (RPUSH only): one ticket's conversation with the villager, JSON entries
        (``bot.disputes.thread``)."""
        return self.jf(f"th:{ticket_id}")

    def ticket_thread_meta(self, ticket_id: str) -> str:
        """Hash: when staff last wrote (``last_staff_at``), when the bot last confirmed the thread."""
        return self.jf(f"thm:{ticket_id}")

    def ticket_unread(self) -> str:
        """Hash: ticket id → villager messages in its thread no staff member has read yet."""
        return self.jf("unread")

    def urgent_recent(self) -> str:
        """Sorted set: urgent items the bot opened (id → time), the last two days: what an open
        console page rings for (``/staff/live``)."""
        return self.jf("urgent-recent")

    def ticket_live(self) -> str:
        """Counter: bumped by every thread entry; the console's live pages poll it (with the counts)."""
        return self.jf("live")

    def ticket_tmp(self, token: str) -> str:
        """Short-lived scratch sorted sets of a filtered listing (expire in seconds)."""
        return self.jf(f"tmp:{token}")

    # -- WeChat API -----------------------------------------------------------------------------
    def wx(self, part: str) -> str:
        return f"{self.prefix}:{{wx}}:{part}"

    # -- counters for the yearly report --------------------------------------------------------
    def stats(self, part: str) -> str:
        return f"{self.prefix}:{{stats}}:{part}"

    # -- weekly posts -----------------------------------------------------------------------------
    def posts(self, part: str) -> str:
        """``week:<Monday>`` (hash: one week's publication record), ``weeks`` (sorted set: recorded
        weeks by ordinal), ``lock:<Monday>`` (SET NX EX), ``alerts`` (capped list of JSON alerts)."""
        return f"{self.prefix}:{{posts}}:{part}"

    def worker(self, part: str) -> str:
        """``heartbeats`` (hash: ``<host>:<pid>`` → JSON last beat of each ``pufabot worker``)."""
        return f"{self.prefix}:{{worker}}:{part}"

    # -- alerts to the work group -------------------------------------------------------------------
    def notify(self, part: str) -> str:
        """``m:<id>`` (hash: one alert to one robot), ``due`` (sorted set: id → when to send),
        ``lease`` (sorted set: id → when a sender's claim runs out), ``sent`` (sorted set: id → when
        sent), ``pause:<robot>`` (the robot said "too fast"; TTL), ``rate:<robot>`` (sorted set: sends
        in the last minute)."""
        return f"{self.prefix}:{{nt}}:{part}"

    # -- staff console ------------------------------------------------------------------------------
    def staff(self, part: str) -> str:
        return f"{self.prefix}:{{staff}}:{part}"

    def staff_user(self, name: str) -> str:
        """Hash: one staff account (role, argon2 hash, disabled flag, password version)."""
        return self.staff(f"user:{name}")

    def staff_users(self) -> str:
        """Set: every staff account name."""
        return self.staff("users")

    def staff_session(self, sid: str) -> str:
        """Hash: one signed-in browser (who, since when, from where); expires when idle."""
        return self.staff(f"sess:{sid}")

    def staff_user_sessions(self, name: str) -> str:
        """Set: the session ids of one account (dropped on disable or password change)."""
        return self.staff(f"user-sess:{name}")

    def staff_login_failures(self, name: str) -> str:
        """Counter: login attempts on one account within the lockout window."""
        return self.staff(f"fail:{name}")

    def staff_login_ip_failures(self, ip: str) -> str:
        """Counter: login attempts from one client address within the lockout window."""
        return self.staff(f"ipfail:{ip}")

    def staff_login_device_failures(self, name: str, device: str) -> str:
        """Counter: login attempts on one account from one browser that has signed in as it before."""
        return self.staff(f"devfail:{name}:{device}")

    def staff_search_rate(self, name: str) -> str:
        """Counter: one staff member's searches within the current minute."""
        return self.staff(f"search:{name}")

    def staff_audit(self) -> str:
        """Stream: every staff action (who, what, when, from where)."""
        return self.staff("audit")

    def staff_canned(self) -> str:
        """String (JSON list): the canned replies staff pick from, edited by admins."""
        return self.staff("canned")
