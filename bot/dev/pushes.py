"""The stand-in's own pushes to the bot's webhook: events WeChat sends unasked (dev and tests only).

When a mass send has gone out, WeChat pushes ``MASSSENDJOBFINISH`` with its figures to the
account's server URL (platform notes §6, §15; stand-in checklist item 8): signed like every push,
encrypted in safe mode, and sent again with the same body when no answer comes within 5 s, at most
three more times. ``WebhookPusher`` does that in a background thread, as the platform does it
asynchronously; ``StandinState.pusher`` says where pushes go (None: they are only recorded).

    pusher = WebhookPusher(wire.http_transport(bot_url + "wechat", timeout=5), token)
    standin.state.pusher = pusher
    ...a mass send...
    pusher.wait()            # tests: until every push was answered (or given up)
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from bot.dev import wire
from bot.wechat.protocol import Cipher

log = logging.getLogger(__name__)

# Who a system event comes from; a made-up id of the usual shape (stand-in choice).
SYSTEM_SENDER = "oSYSTEMmassjob00000000000000"


class WebhookPusher:
    def __init__(self, transport: wire.Transport, token: str, cipher: Cipher | None = None, *,
                 delay: float = 0.2, resends: int = 3):
        self.transport = transport
        self.token = token
        self.cipher = cipher
        self.delay = delay
        self.resends = resends
        self.answers: list[tuple[int, bytes]] = []  # what the webhook answered, one per push
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def push(self, xml: str) -> None:
        thread = threading.Thread(target=self._deliver, args=(xml,), name="standin-push", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _deliver(self, xml: str) -> None:
        time.sleep(self.delay)
        signed = wire.sign_push(self.token, xml, self.cipher)
        for attempt in range(1 + self.resends):
            try:
                answer = self.transport(signed.params, signed.body)
            except Exception as exc:  # noqa: BLE001 - a timeout or a refused connection: WeChat sends it again
                log.info("stand-in push attempt %d failed: %s", attempt + 1, type(exc).__name__)
                continue
            with self._lock:
                self.answers.append(answer)
            return
        log.warning("stand-in push given up after %d attempts", 1 + self.resends)

    def wait(self, timeout: float = 30.0) -> None:
        """Until every push so far was answered or given up."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def mass_send_finished(account: str, msg_id: Any, total: int, filtered: int, sent: int, errors: int,
                       status: str = "send success") -> str:
    """The ``MASSSENDJOBFINISH`` event (platform notes §6), as WeChat pushes it."""
    return wire.build_xml("event", SYSTEM_SENDER, account=account, Event="MASSSENDJOBFINISH", MsgID=int(msg_id),
                          Status=status, TotalCount=total, FilterCount=filtered, SentCount=sent, ErrorCount=errors)
