"""The report conversation as a pure state machine: (state, one message) → (new state, reply).

No Redis, no WeChat: ``handlers/dispute.py`` feeds it messages and does what the result says
(submit the draft, keep a copy of the state as the villager's draft). One question at a time, each
answerable by a number or by words:

- typed or spoken reports: kind → village → what happened → phone → visit or call → confirm
  (the kind is skipped when the villager's first words already named a topic);
- a voice WeChat could not transcribe: village → visit or call (→ phone if a call) → confirm,
  numbers only, so a villager who can only speak still reaches staff.

"取消" leaves at any step, "上一步" goes back one question. The state is a JSON-able dict
``{"flow": "report", "step", "draft", "back", "path"}``; the draft is what ``Disputes.submit`` takes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from bot.disputes.tickets import KINDS, attachment

if TYPE_CHECKING:
    from bot.texts import Texts

CANCEL = frozenset({"取消", "退出", "不反映了", "算了", "不要了", "不登记了"})
BACK = frozenset({"上一步", "返回", "返回上一步", "上一个", "回到上一步"})
DONE = frozenset({"1", "好了", "说完了", "完了", "没了", "没有了", "就这些", "完毕", "就这样", "讲完了"})
YES = frozenset({"1", "确认", "提交", "确定", "对", "是", "好", "好的", "没问题", "确认提交"})
DECLINE_PHONE = frozenset({"不留", "不留了", "不想留", "不用", "不方便", "没有", "无", "不留电话"})
CONTACT_WORDS = (("visit", ("1", "上门", "来家里", "上门调解")), ("call", ("2", "电话", "打电话")),
                 ("none", ("3", "不用", "公众号", "回复我", "都不用")))
TEXT_STEPS = ("kind", "village", "details", "phone", "contact", "confirm")
VOICE_STEPS = ("village", "contact", "confirm")
MAX_DESCRIPTION = 2000
_FULLWIDTH = str.maketrans("０１２３４５６７８９　", "0123456789 ")
_REPORT_LEAD = re.compile(r"^\s*(我|俺|咱)?(要|想|想要|需要)?(反映|投诉|调解|登记纠纷|申请调解|帮我调解)(一下|个事|个情况)?[\s，,。.:：!！]*")


@dataclass(frozen=True)
class Turn:
    """One message as the flow sees it: ``kind`` text|voice|image|location|other."""

    kind: str
    text: str = ""
    attachment: dict[str, Any] | None = None


@dataclass
class Result:
    state: dict[str, Any] | None  # the conversation's next state; None when it is over
    reply: str
    submit: bool = False  # the caller submits ``draft`` and tells the villager the ticket id
    cancelled: bool = False
    passthrough: bool = False  # not an answer to us: handle the message as if no conversation
    draft: dict[str, Any] = field(default_factory=dict)


_CN_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8",
              "九": "9", "十": "10", "壹": "1", "贰": "2", "叁": "3", "肆": "4", "伍": "5"}
_CN_CHOICE = re.compile(r"^(?:第|选)?([一二两三四五六七八九十壹贰叁肆伍])(?:个|项|号|条)?$")
OTHER_VILLAGE = "其他"


def normalize(text: str) -> str:
    """The answer as compared with the options: half-width, trimmed, and a Chinese numeral alone
    (「三」, 「第三个」, 「选二」) as its digit."""
    text = text.translate(_FULLWIDTH).strip().strip("。.!！?？~～ ")
    numeral = _CN_CHOICE.match(text)
    return _CN_DIGITS[numeral.group(1)] if numeral else text


def new_draft(text: str = "", topic: str | None = None, kind: str = "",
              attachments: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """A fresh draft; ``text`` (what the villager said to start) becomes the first description."""
    description = _REPORT_LEAD.sub("", text or "").strip()
    return {"id": secrets.token_hex(8), "kind": kind if kind in KINDS else "", "village": "",
            "description": description[:MAX_DESCRIPTION], "attachments": list(attachments), "phone": "",
            "contact_pref": "", "topic": topic or "", "source": "text"}


def has_content(draft: dict[str, Any]) -> bool:
    return bool(draft.get("description") or draft.get("attachments"))


class ReportFlow:
    def __init__(self, texts: Texts, villages: Sequence[str]):
        self.texts = texts
        self.villages = tuple(villages)
        self._handlers = {"kind": self._kind, "village": self._village, "details": self._details,
                          "phone": self._phone, "contact": self._contact, "confirm": self._confirm}

    # -- entering -----------------------------------------------------------------------------------
    def begin(self, draft: dict[str, Any]) -> Result:
        """A new report; the first question (village when the kind is already known)."""
        if draft.get("kind"):
            state = self._state("village", draft, back=["kind"])
        else:
            state = self._state("kind", draft)
        return Result(state, self.texts.get("dispute_intro") + "\n" + self.question(state))

    def offer_resume(self, saved: dict[str, Any], fresh: dict[str, Any]) -> Result:
        state = {"flow": "report", "step": "resume", "saved": saved, "fresh": fresh}
        return Result(state, self.texts.get("dispute_resume_offer"))

    def offer_voice(self, voice: dict[str, Any]) -> Result:
        draft = new_draft(attachments=[voice])
        draft.update(kind="other", source="voice")
        state = self._state("voice_offer", draft, path="voice")
        return Result(state, self.texts.get("voice_unclear"))

    def current(self, state: dict[str, Any]) -> Result:
        """Repeat where the villager is (they pressed 我要反映 again mid-report)."""
        return Result(state, self.texts.get("dispute_continuing") + "\n" + self.question(state))

    # -- one message --------------------------------------------------------------------------------
    def step(self, state: dict[str, Any], turn: Turn) -> Result:
        text = normalize(turn.text) if turn.kind in ("text", "voice") else ""
        step = state.get("step", "kind")
        if step == "voice_offer":
            return self._voice_offer(state, turn, text)
        if turn.kind in ("text", "voice") and text in CANCEL:
            return Result(None, self.texts.get("dispute_cancelled"), cancelled=True)
        if step == "resume":
            return self._resume(state, text)
        if turn.kind in ("text", "voice") and text in BACK:
            return self._back(state)
        handler = self._handlers.get(step)
        if handler is None:
            return self.begin(state.get("draft") or new_draft())
        return handler(state, turn, text)

    def _state(self, step: str, draft: dict[str, Any], back: list[str] | None = None,
               path: str = "text") -> dict[str, Any]:
        return {"flow": "report", "step": step, "draft": draft, "back": back or [], "path": path}

    def _forward(self, state: dict[str, Any], prefix: str = "") -> Result:
        steps = VOICE_STEPS if state.get("path") == "voice" else TEXT_STEPS
        current = state["step"]
        following = steps[steps.index(current) + 1] if current in steps else steps[0]
        if current == "phone":  # asked after "call"/"visit" was chosen, or before the contact question
            following = "confirm" if state["draft"].get("contact_pref") in ("call", "visit") else "contact"
        new = {**state, "step": following, "back": [*state.get("back", []), current]}
        return Result(new, (prefix + "\n" if prefix else "") + self.question(new))

    def _back(self, state: dict[str, Any]) -> Result:
        back = list(state.get("back", []))
        if not back:
            return Result(state, self.texts.get("dispute_first_step") + "\n" + self.question(state))
        new = {**state, "step": back.pop(), "back": back}
        return Result(new, self.question(new))

    def _again(self, state: dict[str, Any], lead_key: str = "dispute_not_understood", **values: Any) -> Result:
        return Result(state, self.texts.get(lead_key, **values) + "\n" + self.question(state))

    # -- questions ------------------------------------------------------------------------------------
    def question(self, state: dict[str, Any]) -> str:
        step, draft = state["step"], state["draft"]
        t = self.texts
        if step == "kind":
            return t.get("dispute_ask_kind", options=self._options([t.get(f"dispute_kind_{k}") for k in KINDS]))
        if step == "village":
            if state.get("village_other"):
                return t.get("dispute_ask_village_other")
            return t.get("dispute_ask_village", options=self._options((*self.villages, OTHER_VILLAGE)))
        if step == "details":
            if draft.get("description"):
                return t.get("dispute_ask_details_more", text=_short(draft["description"], 120))
            return t.get("dispute_ask_details")
        if step == "phone":
            if draft.get("contact_pref") == "visit":
                return t.get("dispute_visit_needs_place")
            return t.get("dispute_ask_phone")
        if step == "contact":
            return t.get("dispute_ask_contact")
        return self.summary(draft)

    @staticmethod
    def _options(labels: Sequence[str]) -> str:
        return "\n".join(f"{i}. {label}" for i, label in enumerate(labels, 1))

    def summary(self, draft: dict[str, Any]) -> str:
        t = self.texts
        description = _short(draft.get("description", ""), 200) or t.get("dispute_no_text")
        parts = self._attachment_parts(draft.get("attachments", []))
        if parts:
            description += t.get("dispute_attachments", parts="、".join(parts))
        return t.get("dispute_summary", kind=t.get(f"dispute_kind_{draft.get('kind') or 'other'}"),
                     village=draft.get("village", ""), description=description,
                     phone=draft.get("phone") or t.get("dispute_phone_declined"),
                     contact=t.get(f"dispute_contact_{draft.get('contact_pref') or 'none'}")
                     + (t.get("dispute_summary_address", address=draft["address"]) if draft.get("address") else ""))

    def _attachment_parts(self, attachments: list[dict[str, Any]]) -> list[str]:
        counts = {kind: sum(1 for a in attachments if a.get("kind") == kind) for kind in ("voice", "image", "location")}
        return [self.texts.get(f"dispute_part_{kind}", n=n) for kind, n in counts.items() if n]

    # -- answers --------------------------------------------------------------------------------------
    def _pick(self, text: str, labels: Sequence[str]) -> int | None:
        """Index of the chosen option: its number, its label, or a word of its label."""
        if text.isdigit():
            n = int(text)
            return n - 1 if 1 <= n <= len(labels) else None
        for i, label in enumerate(labels):
            if text and (text == label or label in text):
                return i
        for i, label in enumerate(labels):
            words = [w.removesuffix("纠纷") for w in re.split(r"[、，,]", label)]
            if any(len(w) >= 2 and w in text for w in words):
                return i
        return None

    def _kind(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        index = self._pick(text, [self.texts.get(f"dispute_kind_{k}") for k in KINDS])
        if index is None:
            return self._again(state)
        return self._forward({**state, "draft": {**state["draft"], "kind": KINDS[index]}})

    def _village(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        if state.get("village_other"):  # 「其他」 was chosen: any name the villager gives
            if not text:
                return self._again(state)
            rest = {k: v for k, v in state.items() if k != "village_other"}
            return self._forward({**rest, "draft": {**state["draft"], "village": _short(text, 20)}})
        index = self._pick(text, (*self.villages, OTHER_VILLAGE))
        if index is None:
            return self._again(state)
        if index == len(self.villages):
            new = {**state, "village_other": True}
            return Result(new, self.question(new))
        return self._forward({**state, "draft": {**state["draft"], "village": self.villages[index]}})

    def _details(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        draft = dict(state["draft"])
        if turn.kind in ("text", "voice") and text in DONE:
            if not has_content(draft):
                return Result(state, self.texts.get("dispute_details_empty"))
            return self._forward(state)
        if turn.kind in ("text", "voice") and text:
            joined = (draft.get("description", "") + "\n" + text).strip()
            draft["description"] = joined[:MAX_DESCRIPTION]
        if turn.attachment:
            draft["attachments"] = [*draft.get("attachments", []), turn.attachment]
        if not (text or turn.attachment):
            return self._again(state)
        count = int(state.get("received", 0)) + 1
        return Result({**state, "draft": draft, "received": count},
                      self.texts.get("dispute_details_received", count=count))

    def _phone(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        draft = dict(state["draft"])
        if text in DECLINE_PHONE:
            draft["phone"] = ""
            if draft.get("contact_pref") in ("call", "visit") and not draft.get("address"):
                draft["contact_pref"] = ""
            return self._forward({**state, "draft": draft})
        phone = parse_phone(text)
        if phone is None and draft.get("contact_pref") == "visit" and len(text) >= 2 and not text.isdigit():
            draft["address"] = _short(text, 60)  # 上门: an address does instead of a phone
            return self._forward({**state, "draft": draft})
        if phone is None:
            return Result(state, self.texts.get("dispute_bad_phone", text=_short(text, 20) or "…"))
        draft["phone"] = phone
        return self._forward({**state, "draft": draft})

    def _contact(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        choice = next((pref for pref, words in CONTACT_WORDS if text in words or
                       any(len(w) > 1 and w in text for w in words)), None)
        if choice is None:
            return self._again(state)
        draft = {**state["draft"], "contact_pref": choice}
        if choice == "call" and not draft.get("phone"):
            new = {**state, "draft": draft, "step": "phone", "back": [*state.get("back", []), "contact"]}
            return Result(new, self.texts.get("dispute_call_needs_phone"))
        # 上门 needs a phone or an address; not on the voice path (numbers only: staff hear the
        # villager's voice, which usually says where).
        if choice == "visit" and state.get("path") != "voice" and not (draft.get("phone") or draft.get("address")):
            new = {**state, "draft": draft, "step": "phone", "back": [*state.get("back", []), "contact"]}
            return Result(new, self.texts.get("dispute_visit_needs_place"))
        return self._forward({**state, "draft": draft})

    def _confirm(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        if text in YES:
            return Result(None, "", submit=True, draft=state["draft"])
        return self._again(state)

    def _resume(self, state: dict[str, Any], text: str) -> Result:
        if text == "1" or text in {"继续", "接着"}:
            saved = state.get("saved") or {}
            if saved.get("step") in (None, "resume", "voice_offer") or not saved.get("draft"):
                return self.begin(state.get("fresh") or new_draft())
            return self.current(saved)
        if text == "2" or text in {"重新开始", "重新", "重来"}:
            return self.begin(state.get("fresh") or new_draft())
        return Result(state, self.texts.get("dispute_not_understood") + "\n" + self.texts.get("dispute_resume_offer"))

    def _voice_offer(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        if turn.kind == "voice" and not text and turn.attachment:
            draft = {**state["draft"], "attachments": [*state["draft"]["attachments"], turn.attachment]}
            return Result({**state, "draft": draft}, self.texts.get("dispute_voice_added"))
        if turn.kind == "text" and text == "1":
            new = {**state, "step": "village", "back": []}
            return Result(new, self.texts.get("dispute_voice_accepted") + "\n" + self.question(new))
        return Result(None, "", passthrough=True)


def parse_phone(text: str) -> str | None:
    """A mainland mobile number (1[3-9] + 9 digits) from what the villager typed, else None."""
    digits = re.sub(r"[\s\-－—()（）]", "", text)
    digits = re.sub(r"^(\+?86)", "", digits)
    return digits if re.fullmatch(r"1[3-9]\d{9}", digits) else None


def voice_attachment(media_id: str, recognition: str, at: float) -> dict[str, Any]:
    return attachment("voice", at, media_id=media_id, recognition=recognition)


def _short(text: str, limit: int) -> str:
    text = (text or "").replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
