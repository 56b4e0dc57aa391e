"""The receiver's check printed in the README agrees with how Primo signs (app/webhooks/signing.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from app.webhooks import signing

README = Path(__file__).parents[2] / "README.md"


def _readme_verify():
    text = README.read_text()
    section = text[text.index("## Webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102  (our own documentation)
    return namespace["verify"]


def test_the_readme_check_accepts_a_fresh_signature_and_refuses_old_or_forged_ones():
    verify = _readme_verify()
    body = b'{"id":"evt_1","type":"run.approved"}'
    now = int(time.time())
    assert verify("whsec_a", signing.signature_header("whsec_a", now, body), body)
    assert not verify("whsec_a", signing.signature_header("whsec_a", now - 301, body), body)
    assert not verify("whsec_b", signing.signature_header("whsec_a", now, body), body)
    assert not verify("whsec_a", signing.signature_header("whsec_a", now, body), body + b"\n")
    assert not verify("whsec_a", "", body)
    assert signing.verify("whsec_a", signing.signature_header("whsec_a", now, body), body) == now
