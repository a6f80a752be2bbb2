"""The report conversation as a pure state machine: (state, one message) → (new state, reply).

No Redis, no WeChat: ``handlers/dispute.py`` feeds it messages and does what the result says
(submit the draft, keep a copy of the state as the villager's draft). One question at a time, each
answerable by a number or by words:

- typed or spoken reports: kind → village → what happened → phone → visit or call → confirm
  (the kind is skipped when the villager's first words already named a topic);
- a voice WeChat could not transcribe: village → visit or call (→ phone if a call) → confirm,
  numbers only, so a villager who can only speak still reaches staff.

Two follow-up questions are steps of their own: ``village_name`` (「其他」 was chosen: which village?)
and ``contact_phone`` (a call or a visit needs a phone or an address). Choices take what a villager
types, not only the number: a village with or without 村 and with Chinese numerals (「四村」,
「第四村」, 「4村」), a kind's everyday words (「欠工钱」), a phone with spaces, dashes or a lead-in. A
whole story typed at a short question is kept as the description, and the question asked again.

"取消" leaves at any step, "上一步" goes back exactly one question from every step (the steps
answered are a stack). The state is a JSON-able dict ``{"flow": "report", "step", "draft", "back",
"path"}``; the draft is what ``Disputes.submit`` takes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

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
FOLLOW_UPS = {"village_name": "village", "contact_phone": "contact"}  # a follow-up question → its step
MAX_DESCRIPTION = 2000
STORY_CHARS = 15  # an answer with this many letters (digits not counted) to a short question is a story
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
_VILLAGE_LEAD = re.compile(r"^(?:我们|俺们|咱们|我|俺|咱|家)?(?:是|在|住在|住)?")
_VILLAGE_TAIL = re.compile(r"(?:的人|的|人|那边|这边|那里|这里)$")
_CN_NUMBER = re.compile(r"[一二两三四五六七八九十]+")
_STORY_LETTERS = re.compile(r"[\W_\d]+")  # digits do not count: 「俺电话是139 1234 5678」 is no story
_NOT_A_NAME = re.compile(r"[哪啥么不没本这那个]")  # 「哪个村」, 「本村」, 「这个村」 name no village


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


Answer = Callable[[dict[str, Any], Turn, str], Result]


class ReportFlow:
    def __init__(self, texts: Texts, villages: Sequence[str]):
        self.texts = texts
        self.villages = tuple(villages)
        self._handlers: dict[str, Answer] = {
            "kind": self._kind, "village": self._village, "village_name": self._village_name,
            "details": self._details, "phone": self._phone, "contact": self._contact,
            "contact_phone": self._phone, "confirm": self._confirm}

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
            if turn.kind in ("text", "voice") and text in BACK:
                return Result(state, self.texts.get("dispute_first_step") + "\n" + self.texts.get("dispute_resume_offer"))
            return self._resume(state, text)
        if turn.kind in ("text", "voice") and text in BACK:
            return self._back(state)
        if step == "village" and state.get("village_other"):  # a state saved before village_name was a step
            state = {**{k: v for k, v in state.items() if k != "village_other"}, "step": "village_name",
                     "back": [*state.get("back", []), "village"]}
            step = "village_name"
        handler = self._handlers.get(step)
        if handler is None:
            return self.begin(state.get("draft") or new_draft())
        if step not in ("details", "contact_phone") and turn.kind in ("text", "voice") and is_story(text):
            return self._story(state, turn, text, handler)
        return handler(state, turn, text)

    def _story(self, state: dict[str, Any], turn: Turn, text: str, handler: Answer) -> Result:
        """A long answer to a short question: the words join the description (never lost); if they
        also answer the question the conversation goes on, else the question is asked again."""
        draft = state["draft"]
        if text not in draft.get("description", ""):
            joined = (draft.get("description", "") + "\n" + text).strip()
            draft = {**draft, "description": joined[:MAX_DESCRIPTION]}
        kept = {**state, "draft": draft}
        result = handler(kept, turn, text) if state["step"] != "village_name" else None
        if result is not None and result.state is not None and result.state.get("step") != state["step"]:
            return Result(result.state, self.texts.get("dispute_story_kept") + "\n" + result.reply,
                          result.submit, result.cancelled, result.passthrough, result.draft)
        if result is not None and result.submit:
            return result
        return Result(kept, self.texts.get("dispute_story_kept") + "\n" + self.question(kept))

    def _state(self, step: str, draft: dict[str, Any], back: list[str] | None = None,
               path: str = "text") -> dict[str, Any]:
        return {"flow": "report", "step": step, "draft": draft, "back": back or [], "path": path}

    def _forward(self, state: dict[str, Any], prefix: str = "") -> Result:
        steps = VOICE_STEPS if state.get("path") == "voice" else TEXT_STEPS
        current = state["step"]
        of = FOLLOW_UPS.get(current, current)
        following = steps[steps.index(of) + 1] if of in steps else steps[0]
        new = {**state, "step": following, "back": [*state.get("back", []), current]}
        return Result(new, (prefix + "\n" if prefix else "") + self.question(new))

    def _follow_up(self, state: dict[str, Any], step: str, draft: dict[str, Any]) -> Result:
        """Ask a follow-up question of the current step (「上一步」 comes back to the step)."""
        new = {**state, "draft": draft, "step": step, "back": [*state.get("back", []), state["step"]]}
        return Result(new, self.question(new))

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
            return t.get("dispute_ask_village", options=self._options((*self.villages, OTHER_VILLAGE)))
        if step == "village_name":
            return t.get("dispute_ask_village_other")
        if step == "details":
            if draft.get("description"):
                return t.get("dispute_ask_details_more", text=_short(draft["description"], 120))
            return t.get("dispute_ask_details")
        if step == "phone":
            return t.get("dispute_ask_phone")
        if step == "contact_phone":
            if draft.get("contact_pref") == "visit":
                return t.get("dispute_visit_needs_place")
            return t.get("dispute_call_needs_phone")
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
    def _pick(self, text: str, labels: Sequence[str], words: Sequence[Sequence[str]] = ()) -> int | None:
        """Index of the chosen option: its number, its label, a word of its label, or one of its
        everyday ``words`` (the longest found wins)."""
        if text.isdigit():
            n = int(text)
            return n - 1 if 1 <= n <= len(labels) else None
        for i, label in enumerate(labels):
            if text and (text == label or label in text):
                return i
        for i, label in enumerate(labels):
            parts = [w.removesuffix("纠纷") for w in re.split(r"[、，,]", label)]
            if any(len(w) >= 2 and w in text for w in parts):
                return i
        found = [(len(w), -i) for i, option in enumerate(words) for w in option if w and w in text]
        return -max(found)[1] if found else None

    def _kind(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        words = [self.texts.get(f"dispute_kind_words_{k}").split() if f"dispute_kind_words_{k}" in self.texts
                 else [] for k in KINDS]
        index = self._pick(text, [self.texts.get(f"dispute_kind_{k}") for k in KINDS], words)
        if index is None:
            return self._again(state)
        return self._forward({**state, "draft": {**state["draft"], "kind": KINDS[index]}})

    def _village(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        index = self._village_index(text)
        if index is None:
            named = village_key(text)
            if text.endswith("村") and 1 <= len(named) <= 4 and not _NOT_A_NAME.search(named):
                # a village not in the list, named as one (「新建村」): taken as the villager gave it
                return self._forward({**state, "draft": {**state["draft"], "village": text}})
            return self._again(state)
        if index == len(self.villages):
            return self._follow_up(state, "village_name", state["draft"])
        return self._forward({**state, "draft": {**state["draft"], "village": self.villages[index]}})

    def _village_index(self, text: str) -> int | None:
        """The village chosen: by number (「4」, 「第四个」), by name with or without 村 and with
        Chinese or Arabic numerals (「四村」, 「第四村」, 「4村」, 「我是四村的」), or 「其他」."""
        key = village_key(text)
        if key:
            for i, village in enumerate(self.villages):
                if village_key(village) == key:
                    return i
        if text.endswith("村") and key.isdigit():  # 「4村」 names a village: never the 4th option
            return None
        return self._pick(text, (*self.villages, OTHER_VILLAGE))

    def _village_name(self, state: dict[str, Any], turn: Turn, text: str) -> Result:
        """「其他」 was chosen: any short name the villager gives (a story is kept by ``_story``)."""
        if not text:
            return self._again(state)
        return self._forward({**state, "draft": {**state["draft"], "village": _short(text, 20)}})

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
            if state["step"] == "contact_phone" and not draft.get("address"):
                # neither phone nor address for a call or visit: the contact question again
                draft["contact_pref"] = ""
                return self._back({**state, "draft": draft})
            return self._forward({**state, "draft": draft})
        phone = parse_phone(text)
        if phone is None and state["step"] == "contact_phone" and draft.get("contact_pref") == "visit" \
                and len(text) >= 2 and not text.isdigit():
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
            return self._follow_up(state, "contact_phone", draft)
        # 上门 needs a phone or an address; not on the voice path (numbers only: staff hear the
        # villager's voice, which usually says where).
        if choice == "visit" and state.get("path") != "voice" and not (draft.get("phone") or draft.get("address")):
            return self._follow_up(state, "contact_phone", draft)
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


_PHONE = re.compile(r"(?<![\d+])(?:\+?86[\s\-－—]*)?(1[3-9](?:[\s\-－—]*\d){9})(?![\s\-－—]*\d)")


def parse_phone(text: str) -> str | None:
    """A mainland mobile number (1[3-9] + 9 digits) from what the villager typed, with spaces,
    dashes, brackets, +86 or a lead-in (「俺电话是139 1234 5678」), else None (also when the text
    holds two different numbers: which one is meant is asked again)."""
    text = re.sub(r"[()（）]", "", text)
    found = {re.sub(r"\D", "", m) for m in _PHONE.findall(text)}
    return found.pop() if len(found) == 1 else None


def village_key(text: str) -> str:
    """A village name as compared: no lead-in or tail (「我是…的」), no 第, no 村, numerals as digits
    (「第四村」, 「四村」, 「4村」 → 「4」; 「东村」 → 「东」)."""
    key = _VILLAGE_TAIL.sub("", _VILLAGE_LEAD.sub("", text.strip()))
    key = key.removeprefix("第").removesuffix("村")
    return _CN_NUMBER.sub(lambda m: str(chinese_number(m.group())), key)


def chinese_number(numeral: str) -> int:
    """一 … 九十九 as an int (「十二」 12, 「二十」 20, 「两」 2)."""
    digits = [int(_CN_DIGITS[ch]) for ch in numeral]
    if "十" not in numeral:
        return int("".join(str(d) for d in digits))
    tens, _, ones = numeral.partition("十")
    return (int(_CN_DIGITS[tens]) if tens else 1) * 10 + (int(_CN_DIGITS[ones[0]]) if ones else 0)


def is_story(text: str) -> bool:
    """An answer too long for a short question: the villager is telling what happened."""
    return len(_STORY_LETTERS.sub("", text)) >= STORY_CHARS


def voice_attachment(media_id: str, recognition: str, at: float) -> dict[str, Any]:
    return attachment("voice", at, media_id=media_id, recognition=recognition)


def _short(text: str, limit: int) -> str:
    text = (text or "").replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
