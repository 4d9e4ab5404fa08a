"""Presidio's analyzer as the free-text engine, fully offline and pattern-only.

``presidio_analyzer()`` builds an ``AnalyzerEngine`` on Presidio's ``NoOpNlpEngine`` (no spaCy
model is loaded, none is ever downloaded), with Presidio's predefined pattern recognizers and,
unless ``civicflow_recognizers=False``, civicflow's own: the checksummed national identifiers,
street addresses and the context patterns and known names for people (``PERSON``, which Presidio
finds only through an NER model). The e-mail recognizer's domain check uses ``tldextract``'s
bundled suffix list instead of fetching the live one.

Presidio is an optional dependency (the ``presidio`` extra); the fast path in ``_text.py`` needs
nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from civicflow.core import ConfigurationError
from civicflow.privacy._text import TextDetector, TextSpan

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

ADDED_ENTITIES = ("PERSON", "NL_BSN", "UK_NINO", "CA_SIN", "ADDRESS")
"""What civicflow's recognizers add to Presidio's pattern recognizers."""

ENTITY_ALIASES = {"URL": "DOMAIN_NAME"}
"""Presidio's entity names where the labelled data (and the fast path) use another."""


def _presidio() -> Any:
    try:
        import presidio_analyzer
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ConfigurationError(
            "Presidio's analyzer is not installed",
            found=str(exc),
            expected="the presidio-analyzer package",
            fix="pip install 'civicflow[presidio]' (or use civicflow's fast path: TextDetector)",
        ) from exc
    return presidio_analyzer


def presidio_analyzer(
    *, civicflow_recognizers: bool = True, known_names: Iterable[str] = ()
) -> AnalyzerEngine:
    """An offline, pattern-only ``AnalyzerEngine`` (see the module docstring)."""
    pa = _presidio()
    import tldextract
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    nlp = NoOpNlpEngine([{"lang_code": "en", "model_name": "none"}])
    registry = pa.RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            return offline(pattern_text).fqdn != ""

    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    if civicflow_recognizers:
        registry.add_recognizer(_civicflow_recognizer(pa, known_names))
    return pa.AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def _civicflow_recognizer(pa: Any, known_names: Iterable[str]) -> Any:
    detector = TextDetector(entities=ADDED_ENTITIES, known_names=known_names)

    class CivicflowRecognizer(pa.EntityRecognizer):  # type: ignore[misc,name-defined]
        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list:
            return [
                pa.RecognizerResult(s.entity, s.start, s.end, s.score)
                for s in detector.analyze(text)
                if not entities or s.entity in entities
            ]

    return CivicflowRecognizer(supported_entities=list(ADDED_ENTITIES), name="CivicflowRecognizer")


def presidio_spans(engine: AnalyzerEngine, text: str) -> list[TextSpan]:
    """``engine``'s findings in ``text`` as :class:`TextSpan` (entity names as the fast path's)."""
    return [
        TextSpan(
            ENTITY_ALIASES.get(r.entity_type, r.entity_type),
            r.start,
            r.end,
            float(r.score),
            text[r.start : r.end],
        )
        for r in sorted(engine.analyze(text, language="en"), key=lambda r: r.start)
    ]
