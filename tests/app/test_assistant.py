"""The assistant's use cases: an import is ledgered in the workspace, its knowledge base lives
in the workspace folder, a bad file leaves neither ledger entry nor knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.app import Actor, AppContext, latest_entry, workspaces
from civicflow.app import assistant as aa
from civicflow.core import InputError
from civicflow.services import Calibration, kb_path


def test_import_is_ledgered_and_answers_name_the_version(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    faq = tmp_path / "office.csv"
    faq.write_text(
        "question,answer,link\nWhen is the town hall open?,Monday to Friday 9-17.,https://x.example/open\n"
        "How do I get a parking permit?,Apply online with your number plate.,https://x.example/park\n"
    )
    result = aa.import_knowledge(ctx, actor=admin, workspace_id=ws.id, path=faq, source="office")
    entry = latest_entry(
        ctx, actor=admin, workspace_id=ws.id, action="assistant.import",
        object_type="knowledge_source", object_id="office",
    )  # fmt: skip
    assert entry is not None
    assert kb_path(ws.path).exists()
    # two entries give BM25 little to go on: the default calibration (fitted on 213) abstains
    answer = aa.ask(
        ctx, actor=admin, workspace_id=ws.id, question="town hall opening hours",
        calibration=Calibration(threshold=0.0),
    )  # fmt: skip
    assert answer.source is not None and answer.source.version == result.source.version


def test_a_bad_file_is_refused_with_nothing_stored(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    faq = tmp_path / "bad.csv"
    faq.write_text("q,a\nx,y\n")
    with pytest.raises(InputError, match="question"):
        aa.import_knowledge(ctx, actor=admin, workspace_id=ws.id, path=faq)
    assert not kb_path(ws.path).exists()
    assert (
        latest_entry(
            ctx,
            actor=admin,
            workspace_id=ws.id,
            action="assistant.import",
            object_type="knowledge_source",
            object_id="bad",
        )
        is None
    )
