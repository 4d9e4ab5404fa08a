"""Knowledge-base gaps: questions grouped by shared content words (redaction markers ignored),
stale sources by effective or import date, entries never used."""

from __future__ import annotations

from datetime import date

from civicflow.services import (
    Chunk,
    SourceVersion,
    cluster_questions,
    content_words,
    never_used,
    stale_sources,
)


def test_questions_sharing_their_content_words_group_together() -> None:
    clusters = cluster_questions([
        "Can I keep chickens in my garden?",
        "are chickens allowed in the garden",
        "how much does a fishing licence cost",
        "chickens in garden rules",
        "fishing licence price",
    ])  # fmt: skip
    assert [c.size for c in clusters] == [3, 2]
    assert "chicken" in clusters[0].label and "garden" in clusters[0].label
    assert clusters[1].questions == (
        "how much does a fishing licence cost",
        "fishing licence price",
    )


def test_redaction_markers_are_not_content() -> None:
    assert content_words("mail [EMAIL_ADDRESS] about [PERSON]") == frozenset({"mail"})


def _version(source: str, *, effective: str | None, imported: str) -> SourceVersion:
    return SourceVersion(source=source, kind="faq", path=f"{source}.csv", version="v",
                         number=1, imported_at=imported, effective_date=effective,
                         chunks=1)  # fmt: skip


def test_stale_sources_use_the_effective_date_else_the_import_date() -> None:
    old = _version("old", effective="2024-01-01", imported="2026-11-01T10:00:00+00:00")
    fresh = _version("fresh", effective=None, imported="2026-11-01T10:00:00+00:00")
    ancient = _version("ancient", effective=None, imported="2020-01-01T10:00:00+00:00")
    stale = stale_sources([old, fresh, ancient], today=date(2026, 12, 5), max_age_days=365)
    assert [(v.source, age) for v, age in stale] == [("ancient", 2530), ("old", 1069)]


def test_never_used_entries() -> None:
    chunks = [Chunk(id=f"s#{i}", source="s", kind="faq", title="t", question="q", answer="a",
                    url="u", version="v") for i in range(3)]  # fmt: skip
    assert [c.id for c in never_used(chunks, ["s#1"])] == ["s#0", "s#2"]
