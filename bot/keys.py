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

    # -- dispute queue ------------------------------------------------------------------------
    def jf(self, part: str) -> str:
        return f"{self.prefix}:{{jf}}:{part}"

    # -- WeChat API -----------------------------------------------------------------------------
    def wx(self, part: str) -> str:
        return f"{self.prefix}:{{wx}}:{part}"

    # -- counters for the yearly report --------------------------------------------------------
    def stats(self, part: str) -> str:
        return f"{self.prefix}:{{stats}}:{part}"

    # -- weekly posts -----------------------------------------------------------------------------
    def posts(self, part: str) -> str:
        return f"{self.prefix}:{{posts}}:{part}"

    # -- staff console ------------------------------------------------------------------------------
    def staff(self, part: str) -> str:
        return f"{self.prefix}:{{staff}}:{part}"
