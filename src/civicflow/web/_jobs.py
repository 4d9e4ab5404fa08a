"""Background jobs of the workbench: a long piece of work (a simulation, a forecast, an
allocation) runs in a thread while its page polls the progress (HTMX) and follows it to the
result when it is done. One runner for every page that needs one; the work itself goes through
``civicflow.app`` (role check and ledger) like any other change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from civicflow.app import Actor, AppContext
from civicflow.core import CivicflowError, Location, NotFoundError, new_id
from civicflow.web._pages import is_htmx, page

log = logging.getLogger("civicflow.web.jobs")

KEEP_SECONDS = 3600
"""How long a finished job stays known to the process."""


@dataclass
class Job:
    """A piece of work running in a thread; the page polls it at ``/w/<workspace>/<section>/jobs/<id>``."""

    id: str
    workspace_id: str
    title: str
    section: str = "simulation"
    """The page the job belongs to (its URL path under the workspace): ``simulation``,
    ``forecasts``, ``allocation``, ``rules/batches``."""
    section_title: str = "Simulation"
    counting: str = "cases simulated"
    """What ``done`` of ``total`` counts, as the progress line says it."""
    stage: str = ""
    done: int = 0
    total: int = 0
    result_url: str | None = None
    error: dict[str, Any] | None = None
    finished: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def share(self) -> float | None:
        return min(self.done / self.total, 1.0) if self.total else None

    @property
    def url(self) -> str:
        return f"/w/{self.workspace_id}/{self.section}/jobs/{self.id}"

    @property
    def back_url(self) -> str:
        return f"/w/{self.workspace_id}/{self.nav}"

    @property
    def nav(self) -> str:
        """The navigation entry of the job's page (``rules`` for ``rules/batches``)."""
        return self.section.split("/")[0]


class Jobs:
    """The running and recently finished jobs of this process (kept for an hour)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(
        self,
        workspace_id: str,
        title: str,
        work: Callable[[Callable[..., None]], Any],
        *,
        page: str = "runs",
        section: str = "simulation",
        section_title: str = "Simulation",
        counting: str = "cases simulated",
        result_url: Callable[[Any], str] | None = None,
    ) -> Job:
        """Run ``work(progress)`` in a thread. ``progress(done, total)`` or ``progress(stage,
        done, total)`` moves the bar. What ``work`` returns is shown at ``result_url(it)``
        (default ``/w/<workspace>/<section>/<page>/<its id>``)."""
        job = Job(
            id=new_id("job_"), workspace_id=workspace_id, title=title, section=section,
            section_title=section_title, counting=counting,
        )  # fmt: skip

        def progress(*args: Any) -> None:
            if len(args) == 3:
                job.stage = str(args[0])
                args = args[1:]
            job.done, job.total = int(args[0]), int(args[1])

        def target() -> None:
            try:
                outcome = work(progress)
                job.result_url = (
                    result_url(outcome)
                    if result_url is not None
                    else f"/w/{workspace_id}/{section}/{page}/{outcome.id}"
                )
            except CivicflowError as exc:
                job.error = exc.to_dict()
            except Exception as exc:  # the page must say it failed, not spin for ever
                log.exception("%s job %s failed", section, job.id)
                job.error = {"what": f"the {section_title.lower()} job failed",
                             "found": type(exc).__name__}  # fmt: skip
            finally:
                job.finished = True

        with self._lock:
            cutoff = time.monotonic() - KEEP_SECONDS
            for key in [k for k, j in self._jobs.items() if j.finished and j.started < cutoff]:
                del self._jobs[key]
            self._jobs[job.id] = job
        threading.Thread(target=target, name=f"civicflow-{job.id}", daemon=True).start()
        return job

    def get(self, workspace_id: str, job_id: str, *, section: str | None = None) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if (
            job is None
            or job.workspace_id != workspace_id
            or (section is not None and job.section != section)
        ):
            raise NotFoundError(
                "there is no such job (it may have finished more than an hour ago)",
                where=Location(field="job_id"),
                found=job_id,
                fix="find the result on the page that started it",
            )
        return job


_GUARD = threading.Lock()


def jobs(request: Request) -> Jobs:
    """The application's job runner (made on first use)."""
    state = request.app.state
    with _GUARD:
        if not hasattr(state, "jobs"):
            state.jobs = Jobs()
    runner: Jobs = state.jobs
    return runner


def job_page(
    request: Request, ctx: AppContext, actor: Actor, workspace_id: str, job_id: str, section: str
) -> Response:
    """A job's page: the progress (polled), then a redirect to its result; its error, if it
    failed, in the error summary."""
    from civicflow.app import workspaces

    job = jobs(request).get(workspace_id, job_id, section=section)
    # read ``finished`` once, before the result: the thread sets the result first, so a finished
    # job read here has its result; the page is drawn from this one reading (reading the job
    # again could find it finished since, and draw "Done." with no result and no more polling)
    finished = job.finished
    done_url = job.result_url if finished else None
    if finished and done_url and is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": done_url})
    if finished and done_url:
        return RedirectResponse(done_url, status_code=303)
    workspace = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    template = "_job.html" if is_htmx(request) else "job.html"
    return page(
        request,
        template,
        actor,
        workspace=workspace,
        nav=job.nav,
        job=job,
        finished=finished,
        error=job.error if finished else None,
    )
