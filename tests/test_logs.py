"""Logs are JSON lines with personal data masked, whoever logged it."""

from __future__ import annotations

import io
import json
import logging

from bot import logs


def test_phones_openids_and_id_numbers_are_masked_in_message_args_and_extras() -> None:
    stream = io.StringIO()
    logs.setup("INFO", True, stream)
    logging.getLogger("test").info("villager %s called from %s", "oTESTabcdefghijklmnopqrstuvw", "13800001234",
                                   extra={"openid": "oTESTabcdefghijklmnopqrstuvw", "id": "110101199001011234"})
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    text = json.dumps(line, ensure_ascii=False)
    assert "13800001234" not in text and "138****1234" in line["msg"]
    assert "oTESTabcdefghijklmnopqrstuvw" not in text
    assert "110101199001011234" not in text


def test_an_exception_trace_is_masked_too() -> None:
    stream = io.StringIO()
    logs.setup("INFO", True, stream)
    try:
        raise ValueError("bad phone 13900001111")
    except ValueError:
        logging.getLogger("test").exception("failed")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "13900001111" not in line["exc"] and "139****1111" in line["exc"]


def test_mask_openid_keeps_only_a_hint() -> None:
    assert logs.mask_openid("oTESTabcdefghijklmnopqrstuvw") == "oTES…vw"
    assert logs.mask_openid(None) == "-"
