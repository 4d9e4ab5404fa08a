"""The optional generator: an OpenAI-compatible endpoint the agency runs itself, configured by
settings (none by default). Here it is a real HTTP server on this machine. A rephrasing whose
sentences cite the passage is the answer; one that does not is withheld (the passage is quoted);
an endpoint that is down or answers nonsense costs the citizen nothing (the passage is quoted)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from civicflow.app import Actor, AppContext, workspaces
from civicflow.app import assistant as aa
from civicflow.core import ConfigurationError
from civicflow.services import Calibration

ANSWER = "The town hall is open Monday to Friday from 9 to 17."


class _Endpoint(BaseHTTPRequestHandler):
    reply: ClassVar[str] = ""
    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                "body": body})  # fmt: skip
        if type(self).reply == "<broken>":
            payload = b"not json"
        else:
            payload = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}
            ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Endpoint.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def _kb(ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path) -> None:
    faq = tmp_path / "office.csv"
    faq.write_text(
        f"question,answer\nWhen is the town hall open?,{ANSWER}\n"
        "How do I get a parking permit?,Apply online with your number plate.\n"
    )
    aa.import_knowledge(ctx, actor=admin, workspace_id=ws.id, path=faq, source="office")


def _ask(ctx: AppContext, admin: Actor, ws: workspaces.Workspace):  # type: ignore[no-untyped-def]
    return aa.ask(
        ctx, actor=admin, workspace_id=ws.id, question="when is the town hall open",
        calibration=Calibration(threshold=0.0),
    )  # fmt: skip


def test_no_generator_unless_configured(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    assert aa.configured_generator(ctx) is None
    _kb(ctx, admin, ws, tmp_path)
    answer = _ask(ctx, admin, ws)
    assert answer.text == ANSWER and not answer.generated


def test_a_cited_rephrasing_is_the_answer_and_an_uncited_one_is_withheld(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path, endpoint: str
) -> None:
    key = tmp_path / "generator.key"
    key.write_text("s3cret-token\n")
    ctx.settings = ctx.settings.model_copy(
        update={"assistant_generator_url": endpoint, "assistant_generator_model": "local-7b",
                "assistant_generator_key_file": key}
    )  # fmt: skip
    assert "s3cret-token" not in repr(aa.configured_generator(ctx))
    _kb(ctx, admin, ws, tmp_path)
    _Endpoint.reply = "The town hall opens Monday to Friday from 9 to 17 [1]."
    answer = _ask(ctx, admin, ws)
    assert answer.generated and answer.text == _Endpoint.reply
    request = _Endpoint.seen[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer s3cret-token"
    assert request["body"]["model"] == "local-7b" and ANSWER in json.dumps(request["body"])

    _Endpoint.reply = "You can also pay with bitcoin at the zoo [1]."  # not in the passage
    withheld = _ask(ctx, admin, ws)
    assert not withheld.generated and withheld.text == ANSWER

    _Endpoint.reply = "<broken>"
    broken = _ask(ctx, admin, ws)
    assert not broken.generated and broken.text == ANSWER


def test_an_endpoint_that_is_down_or_misconfigured(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    _kb(ctx, admin, ws, tmp_path)
    ctx.settings = ctx.settings.model_copy(
        update={"assistant_generator_url": "http://127.0.0.1:9/v1"}  # discard port: nothing runs
    )
    down = _ask(ctx, admin, ws)
    assert not down.generated and down.text == ANSWER
    ctx.settings = ctx.settings.model_copy(update={"assistant_generator_url": "ftp://x/v1"})
    with pytest.raises(ConfigurationError) as bad:
        aa.configured_generator(ctx)
    assert bad.value.where is not None and bad.value.where.field == "assistant_generator_url"
