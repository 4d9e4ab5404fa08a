"""Locust users for the citizen assistant's load test (driven by ``bench/bench_assistant_load.py``,
which builds the workspace, starts the server and runs this headless with 100 users).

Each user is a citizen: mostly JSON API questions (``POST /api/v1/assistant/<ws>/ask``), some on
the chat page as a plain form (GET the page for the CSRF token, POST the question, follow the
redirect), now and then a rating or a hand-off. Questions: the project's paraphrased evaluation
set (answerable and out-of-scope) plus a few personal-case and complaint messages.
"""

from __future__ import annotations

import csv
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

WORKSPACE = os.environ["CF_ASSISTANT_WORKSPACE"]
CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "assistant" / "covid_faq_eval.csv"
with CASES.open(encoding="utf-8") as fh:
    QUESTIONS = [row["question"] for row in csv.DictReader(fh)]
QUESTIONS += [
    "what is the status of my application, my email is someone@example.org",
    "I want to complain about the service at the desk",
]
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Citizen(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.conversation: str | None = None
        self.turn: str | None = None

    @task(6)
    def api_ask(self) -> None:
        body = {"question": random.choice(QUESTIONS), "conversation_id": self.conversation}
        with self.client.post(
            f"/api/v1/assistant/{WORKSPACE}/ask", json=body, name="api ask", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            doc = r.json()
            self.conversation, self.turn = doc["conversation_id"], doc["turn_id"]

    @task(3)
    def page_ask(self) -> None:
        page = self.client.get(f"/ask/{WORKSPACE}", name="chat page")
        m = CSRF.search(page.text)
        if m is None:
            return
        self.client.post(
            f"/ask/{WORKSPACE}",
            data={"question": random.choice(QUESTIONS), "csrf_token": m.group(1)},
            name="chat form post (+redirect)",
        )

    @task(1)
    def rate(self) -> None:
        if self.conversation and self.turn:
            self.client.post(
                f"/api/v1/assistant/{WORKSPACE}/rate",
                json={"conversation_id": self.conversation, "turn_id": self.turn,
                      "rating": random.choice(["helpful", "not_helpful"])},
                name="api rate",
            )  # fmt: skip
