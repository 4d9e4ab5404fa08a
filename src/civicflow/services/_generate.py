"""The optional generator: it may only rephrase the retrieved passages, every sentence citing one
(``[1]``, ``[2]`` …); an answer whose citations do not support it is withheld (the assistant
then quotes the passage). A protocol with a deterministic fake, and a client of an
OpenAI-compatible endpoint the agency runs itself — no endpoint is configured by default."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from civicflow.core import ConfigurationError, Location
from civicflow.services._knowledge import Chunk
from civicflow.services._retrieval import STOPWORDS, words

_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])")
_CITE = re.compile(r"\[(\d+)\]")


class Generator(Protocol):
    """Rephrase ``passages`` (numbered from 1) into an answer to ``question``."""

    def rephrase(self, question: str, passages: Sequence[Chunk]) -> str: ...


@dataclass(frozen=True, slots=True)
class FakeGenerator:
    """Deterministic: the first ``sentences`` sentences of the first passage, each cited [1]."""

    sentences: int = 2

    def rephrase(self, question: str, passages: Sequence[Chunk]) -> str:
        if not passages:
            return ""
        parts = _SENTENCE.split(passages[0].answer)[: self.sentences]
        return " ".join(f"{p.rstrip().rstrip('.!?')} [1]." for p in parts if p.strip())


class GeneratorUnavailable(ConfigurationError):
    """The generator could not rephrase (down, timed out, an unexpected reply): the assistant
    answers extractively instead."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpGenerator:
    """A client of an OpenAI-compatible chat-completions endpoint the agency runs itself
    (``base_url`` such as ``http://localhost:8000/v1``; there is no default)."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 20.0

    def rephrase(self, question: str, passages: Sequence[Chunk]) -> str:
        import httpx

        if not self.base_url:
            raise ConfigurationError("the generator has no endpoint", fix="set base_url")
        numbered = "\n".join(f"[{i}] {c.answer}" for i, c in enumerate(passages, 1))
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": (
                    "Answer only from the numbered passages. End every sentence with the number "
                    "of the passage it comes from, like [1]. If they do not answer, say so.")},
                {"role": "user", "content": f"Passages:\n{numbered}\n\nQuestion: {question}"},
            ],
        }  # fmt: skip
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            r = httpx.post(f"{self.base_url.rstrip('/')}/chat/completions", json=body,
                           headers=headers, timeout=self.timeout)  # fmt: skip
            r.raise_for_status()
            return str(r.json()["choices"][0]["message"]["content"])
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise GeneratorUnavailable(
                "the generator endpoint gave no usable answer",
                where=Location(field="assistant_generator_url"),
                found=type(exc).__name__,
                expected="an OpenAI-compatible chat-completions response",
                fix="check that the endpoint runs and serves the configured model",
            ) from None


def _content(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 2}


def supported(text: str, passages: Sequence[Chunk], *, overlap: float = 0.6) -> bool:
    """Every sentence cites a passage that exists, and at least ``overlap`` of its content
    words are in the passages it cites."""
    sentences = [s for s in _SENTENCE.split(text.strip()) if s.strip()]
    if not sentences:
        return False
    for sentence in sentences:
        cites = [int(n) for n in _CITE.findall(sentence)]
        if not cites or any(not 1 <= n <= len(passages) for n in cites):
            return False
        said = _content(_CITE.sub("", sentence))
        source = set().union(*(_content(passages[n - 1].answer) for n in cites))
        if said and len(said & source) / len(said) < overlap:
            return False
    return True
