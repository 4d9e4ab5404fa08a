"""The citizen inquiry assistant's domain on the shared government FAQ and the project's
paraphrased evaluation set: retrieval quality floors, abstention, versioning, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicflow.core import InputError
from civicflow.services import (
    Assistant,
    Calibration,
    FaqColumns,
    RetrievalConfig,
    evaluate,
    import_source,
    kb_path,
    load_knowledge,
    read_cases,
    rule_for,
)

ROOT = Path(__file__).resolve().parents[2]
FAQ = ROOT.parent / "shared" / "data" / "assistant" / "gov_covid_faq.csv"
CASES = ROOT / "tests" / "data" / "assistant" / "covid_faq_eval.csv"
pytestmark = pytest.mark.skipif(not FAQ.exists(), reason="the shared FAQ data is not here")


@pytest.fixture(scope="module")
def chunks(tmp_path_factory: pytest.TempPathFactory) -> list:
    ws = tmp_path_factory.mktemp("ws")
    import_source(ws, FAQ, columns=FaqColumns(url="link"))
    return load_knowledge(ws).chunks


@pytest.fixture(scope="module")
def cases() -> list:
    return read_cases(CASES, source="gov_covid_faq")


def test_the_evaluation_set_is_big_enough(cases: list) -> None:
    assert sum(1 for c in cases if c.expected) >= 60
    assert sum(1 for c in cases if not c.expected) >= 20


def test_every_faq_row_is_one_chunk_with_its_source(chunks: list) -> None:
    assert len(chunks) == 213
    first = chunks[0]
    assert first.id == "gov_covid_faq#0" and first.question == "What is a novel coronavirus?"
    assert first.url.startswith("https://") and len(first.version) == 16


def test_retrieval_quality_floor_and_better_than_plain_bm25(chunks: list, cases: list) -> None:
    open_ = Calibration(threshold=0.0)
    inscope = [c for c in cases if c.expected]
    tuned = evaluate(Assistant(chunks, calibration=open_, rules=False), inscope)
    plain = evaluate(
        Assistant(chunks, config=RetrievalConfig.plain(), calibration=open_, rules=False), inscope
    )
    # measured 0.677 / 0.938 / 0.803 (docs/benchmarks.md); floors a margin below
    assert tuned.recall_at_1 >= 0.62
    assert tuned.recall_at_3 >= 0.88
    assert tuned.mrr >= 0.75
    assert tuned.mrr > plain.mrr and tuned.recall_at_3 > plain.recall_at_3


def test_out_of_scope_questions_are_refused(chunks: list, cases: list) -> None:
    assistant = Assistant(chunks)
    refuse = [c for c in cases if not c.expected]
    refused = [c.question for c in refuse if not assistant.ask(c.question).answered]
    assert len(refused) == len(refuse)
    answer = assistant.ask("How long does the virus survive on surfaces?")
    assert answer.answered and answer.source is not None
    assert answer.source.id == "gov_covid_faq#131" and answer.text == answer.source.answer
    assert answer.to_dict()["source"]["version"] == answer.source.version


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("My father can't breathe, what do I do about covid?", "emergency"),
        ("I want to make a complaint about your covid testing centre", "complaint"),
        ("What is the status of my application for sick pay?", "personal_case"),
    ],
)
def test_rules_hand_off_before_retrieval(chunks: list, message: str, reason: str) -> None:
    assert rule_for(message) == reason
    answer = Assistant(chunks).ask(message)
    assert not answer.answered and answer.reason == reason and answer.handoff_offered


def test_spelling_tolerance_finds_the_entry(chunks: list) -> None:
    answer = Assistant(chunks, calibration=Calibration(threshold=0.0)).ask(
        "how long is the incubaton periode"
    )
    assert answer.source is not None and answer.source.id == "gov_covid_faq#128"


def test_reimport_of_a_changed_source_makes_a_new_version(tmp_path: Path) -> None:
    faq = tmp_path / "office.csv"
    faq.write_text("question,answer\nWhen is the office open?,Monday to Friday 9-17.\n")
    first = import_source(tmp_path, faq)
    again = import_source(tmp_path, faq)
    assert first.changed and not again.changed and again.source.version == first.source.version
    faq.write_text("question,answer\nWhen is the office open?,Monday to Thursday 9-16.\n")
    second = import_source(tmp_path, faq)
    assert second.changed and second.source.number == 2
    assert second.source.version != first.source.version
    kb = load_knowledge(tmp_path)
    assert [c.answer for c in kb.chunks] == ["Monday to Thursday 9-16."]
    assert [v.number for v in kb.history] == [1, 2]
    assert kb.chunks[0].version == second.source.version


def test_a_missing_column_names_the_file_and_column_and_stores_nothing(tmp_path: Path) -> None:
    faq = tmp_path / "faq.tsv"
    faq.write_text("frage\tantwort\nWann?\tMontags.\n")
    with pytest.raises(InputError) as err:
        import_source(tmp_path / "ws", faq)
    text = str(err.value)
    assert "faq.tsv" in text and "'question'" in text and "frage" in text
    assert not kb_path(tmp_path / "ws").exists()
    ok = import_source(tmp_path / "ws", faq, columns=FaqColumns(question="frage", answer="antwort"))
    assert ok.source.chunks == 1


def test_pages_split_by_headings(tmp_path: Path) -> None:
    md = tmp_path / "bins.md"
    md.write_text(
        "# Bins\n\nIntro.\n\n## Collection days\n\nTuesdays.\n\n## Garden waste\n\nApril.\n"
    )
    page = tmp_path / "parking.html"
    page.write_text(
        "<html><body><nav>menu</nav><h1>Parking</h1><p>Permits &amp; fees.</p>"
        "<h2>Visitor permits</h2><p>Up to 30 a year.</p><script>x()</script></body></html>"
    )
    import_source(tmp_path, md)
    import_source(tmp_path, page)
    kb = load_knowledge(tmp_path)
    titles = [(c.source, c.title, c.answer) for c in kb.chunks]
    assert ("bins", "Collection days", "Tuesdays.") in titles
    assert ("parking", "Parking", "Permits & fees.") in titles
    assert ("parking", "Visitor permits", "Up to 30 a year.") in titles
    assert not any("menu" in c.answer or "x()" in c.answer for c in kb.chunks)
    answer = Assistant(kb.chunks, calibration=Calibration(threshold=0.0)).ask(
        "how many visitor permits can I get"
    )
    assert answer.source is not None and answer.source.title == "Visitor permits"


def test_a_generated_answer_is_kept_only_when_its_citations_support_it(chunks: list) -> None:
    from civicflow.services import FakeGenerator, supported

    question = "How long does the virus survive on surfaces?"
    gen = Assistant(chunks, generator=FakeGenerator()).ask(question)
    assert gen.answered and gen.generated and gen.text.endswith("[1].")
    assert gen.source is not None and supported(gen.text, [gen.source])

    class Inventing:
        def rephrase(self, question: str, passages: list) -> str:
            return "Drinking hot lemonade every hour cures the illness within days [1]."

    invented = Assistant(chunks, generator=Inventing()).ask(question)
    assert invented.answered and not invented.generated  # withheld: the passage is quoted
    assert invented.source is not None and invented.text == invented.source.answer
    assert not supported("It survives for days.", [invented.source])  # no citation
    assert not supported("It may persist on surfaces [2].", [invented.source])  # no passage 2
