"""Meta-tests for the user documentation, in the spirit of datasette's ``tests/test_docs.py``.

- docs/CLI.md names every command of the Typer app (a heading per command) and every option and
  argument in that command's section (or in a shared section the command's section links to), and
  gives each command an example;
- every ``civicflow ...`` line in a code block of the user docs names a real command and only
  options that command has (so a renamed option cannot leave a stale example behind);
- docs/CONFIGURATION.md names every settings field with its ``CIVICFLOW_*`` variable and default,
  and every ``CIVICFLOW_*`` variable the code reads.

The expected lists come from the code (the Click command tree, the settings classes, the source
text), the documented ones from the Markdown: the two sides are read independently.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CLI_MD = DOCS / "CLI.md"
CONFIG_MD = DOCS / "CONFIGURATION.md"
USER_DOCS = [CLI_MD, DOCS / "USER_GUIDE.md", CONFIG_MD, ROOT / "README.md"]

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)
CODE_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)
ANCHOR_LINK = re.compile(r"\]\(#([a-z0-9-]+)\)")
# a whole variable name, not the prefix of a pattern such as CIVICFLOW_OIDC_*
CODE_ENV = re.compile(r"CIVICFLOW_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])")


# -- the code side ----------------------------------------------------------------------------


def _walk(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, cmd
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            yield from _walk(sub, (*path, name))


def _root() -> Any:
    from civicflow.cli import app

    return typer.main.get_command(app)


COMMANDS = {" ".join(("civicflow", *p)): c for p, c in _walk(_root())}


def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "commands")


def _options(cmd: Any) -> list[str]:
    """Every long option name (``--json``, ``--no-force``) the command accepts, ``--help`` aside."""
    names: list[str] = []
    for p in cmd.params:
        if getattr(p, "param_type_name", "") == "argument" or type(p).__name__.endswith("Argument"):
            continue
        names += [o for o in (*p.opts, *getattr(p, "secondary_opts", ())) if o.startswith("--")]
    return names


def _arguments(cmd: Any) -> list[str]:
    return [
        p.name.upper()
        for p in cmd.params
        if getattr(p, "param_type_name", "") == "argument" or type(p).__name__.endswith("Argument")
    ]


# -- the documentation side -------------------------------------------------------------------


def _slug(title: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens
    text = re.sub(r"[^\w\- ]", "", title.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _sections(text: str) -> dict[str, str]:
    """Heading title -> the text under it up to the next heading of the same or a higher level."""
    marks = list(HEADING.finditer(text))
    out: dict[str, str] = {}
    for i, m in enumerate(marks):
        level = len(m.group(1))
        end = len(text)
        for later in marks[i + 1 :]:
            if len(later.group(1)) <= level:
                end = later.start()
                break
        out[m.group(2).strip("` ")] = text[m.end() : end]
    return out


@pytest.fixture(scope="module")
def cli_sections() -> dict[str, str]:
    return _sections(CLI_MD.read_text(encoding="utf-8"))


def _with_linked(sections: dict[str, str], title: str) -> str:
    """A command's section plus the shared sections (data options, filters) it links to."""
    by_slug = {_slug(t): body for t, body in sections.items()}
    body = sections[title]
    linked = [by_slug[a] for a in ANCHOR_LINK.findall(body) if a in by_slug]
    return "\n".join([body, *linked])


def _mentions(text: str, token: str) -> bool:
    # `--json` must not count as a mention of `--js`, nor `--to` inside `--top`
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", text) is not None


# -- CLI.md -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_section(command: str, cli_sections: dict[str, str]) -> None:
    assert command in cli_sections, f"docs/CLI.md has no heading '{command}'"


@pytest.mark.parametrize(
    "command", sorted(c for c, cmd in COMMANDS.items() if _options(cmd) or _arguments(cmd))
)
def test_every_option_is_documented_in_its_commands_section(
    command: str, cli_sections: dict[str, str]
) -> None:
    if command not in cli_sections:
        pytest.fail(f"docs/CLI.md has no heading '{command}'")
    text = _with_linked(cli_sections, command)
    cmd = COMMANDS[command]
    missing = [o for o in _options(cmd) if not _mentions(text, o)]
    missing += [a for a in _arguments(cmd) if not _mentions(text, a)]
    assert not missing, f"docs/CLI.md, section '{command}', does not mention {missing}"


@pytest.mark.parametrize("command", sorted(c for c, cmd in COMMANDS.items() if not _is_group(cmd)))
def test_every_command_has_an_example(command: str, cli_sections: dict[str, str]) -> None:
    if command not in cli_sections:
        pytest.fail(f"docs/CLI.md has no heading '{command}'")
    words = command.split()
    examples = [
        line
        for block in CODE_BLOCK.findall(cli_sections[command])
        for line in block.splitlines()
        if _invocation(line)[: len(words)] == words
    ]
    assert examples, f"docs/CLI.md, section '{command}', has no example starting with `{command}`"


def test_no_section_for_a_command_that_does_not_exist(cli_sections: dict[str, str]) -> None:
    documented = {t for t in cli_sections if t.startswith("civicflow ") or t == "civicflow"}
    assert documented - set(COMMANDS) == set(), "docs/CLI.md documents commands the CLI lacks"


# -- every example in the user docs -----------------------------------------------------------


def _invocation(line: str) -> list[str]:
    """The words from `civicflow` on, of a shell line (after `VAR=x`, `echo ... |`, a prompt)."""
    line = line.strip().removeprefix("$ ")
    for part in re.split(r"\|\|?|&&", line):
        try:
            words = shlex.split(part.split(">", 1)[0].split("#", 1)[0])
        except ValueError:
            return []
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            words = words[1:]
        if words[:1] == ["civicflow"]:
            return words
    return []


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in USER_DOCS:
        if not doc.exists():
            continue
        for block in CODE_BLOCK.findall(doc.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if _invocation(line):
                    found.append((doc.name, line.strip()))
    return found


EXAMPLES = _examples()


def test_the_docs_have_examples() -> None:
    # the parametrised test below would pass vacuously on an empty list
    assert len({doc for doc, _ in EXAMPLES}) >= 3 and len(EXAMPLES) >= 40


@pytest.mark.parametrize(
    ("doc", "line"), EXAMPLES, ids=[f"{d}:{i}" for i, (d, _) in enumerate(EXAMPLES)]
)
def test_examples_use_real_commands_and_options(doc: str, line: str) -> None:
    words = _invocation(line)[1:]
    cmd, path = _root(), ["civicflow"]
    while words and _is_group(cmd) and not words[0].startswith("-"):
        assert words[0] in cmd.commands, (
            f"{doc}: `{line}` — no command '{' '.join([*path, words[0]])}'"
        )
        cmd = cmd.commands[words[0]]
        path.append(words[0])
        words = words[1:]
    known = set(_options(cmd)) | {"--help"}
    short = {o for p in cmd.params for o in getattr(p, "opts", ()) if re.fullmatch(r"-\w", o)}
    for w in words:
        if w.startswith("--"):
            assert w.split("=", 1)[0] in known, f"{doc}: `{line}` — '{' '.join(path)}' has no {w}"
        elif re.fullmatch(r"-\w", w):
            assert w in short, f"{doc}: `{line}` — '{' '.join(path)}' has no {w}"


# -- CONFIGURATION.md -------------------------------------------------------------------------


def _settings_fields() -> list[tuple[str, str, str]]:
    """(field, its environment variable, its default) for every settings field."""
    from civicflow.core import Settings

    prefix = Settings.model_config.get("env_prefix", "")
    rows = []
    for name, field in Settings.model_fields.items():
        rows.append((f"Settings.{name}", f"{prefix}{name}".upper(), _default_text(field.default)))
    return rows


def _default_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _web_fields() -> list[tuple[str, Any]]:
    from civicflow import web

    out = []
    for cls in (web.WebConfig, web.OidcConfig):
        for name, f in cls.model_fields.items():
            default = None if f.is_required() or f.default_factory is not None else f.default
            out.append((f"{cls.__name__}.{name}", default))
    return out


def _web_env(field: str) -> str | None:
    """The variable pydantic-settings reads for a web field (None: set in Python only)."""
    from civicflow import web

    cls_name, name = field.split(".", 1)
    if field in {"WebConfig.oidc", "OidcConfig.transport"}:
        return None
    cls = getattr(web, cls_name)
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


def _config_sections() -> dict[str, str]:
    return _sections(CONFIG_MD.read_text(encoding="utf-8"))


def _table_rows(text: str) -> list[dict[str, str]]:
    """Every row of every Markdown table, as header -> cell."""
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not set(line) <= set("|-: "):
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _row_for(key: str, column: str) -> dict[str, str] | None:
    for row in _table_rows(CONFIG_MD.read_text(encoding="utf-8")):
        if _mentions(row.get(column, ""), key):
            return row
    return None


def _plain_number(text: str) -> str:
    return text.replace(",", "").replace("_", "")


@pytest.mark.parametrize(("field", "env", "default"), _settings_fields())
def test_every_setting_is_documented(field: str, env: str, default: str) -> None:
    row = _row_for(env, "environment variable")
    assert row is not None, f"docs/CONFIGURATION.md has no table row for {env} ({field})"
    assert _mentions(row["field"], field.split(".", 1)[1]), f"the row of {env} names another field"
    assert _plain_number(default) in _plain_number(row["default"]), (
        f"the row of {env} gives the default {row['default']!r}, the code {default!r}"
    )
    assert len(row["meaning"]) > 20, f"the row of {env} does not say what the setting means"


@pytest.mark.parametrize(("field", "default"), _web_fields())
def test_every_web_setting_is_documented(field: str, default: Any) -> None:
    row = _row_for(field, "field")
    assert row is not None, f"docs/CONFIGURATION.md has no table row for {field}"
    expected = "none" if default is None else str(default)
    assert _plain_number(expected) in _plain_number(row["default"]) or (
        default is None and "required" in row["default"]
    ), f"the row of {field} gives the default {row['default']!r}, the code {expected!r}"
    assert row.get("environment variable"), f"the row of {field} leaves its variable column empty"
    env = _web_env(field)
    if env is not None:
        assert _mentions(row["environment variable"], env), (
            f"the row of {field} does not name {env}"
        )
    assert len(row["meaning"]) > 20, f"the row of {field} does not say what the setting means"


def _environment_variables_in_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "civicflow").rglob("*.py"):
        names |= set(re.findall(CODE_ENV, path.read_text(encoding="utf-8")))
    # the variables pydantic-settings reads for the settings models
    names |= {env for _field, env, _default in _settings_fields()}
    names |= {env for field, _default in _web_fields() if (env := _web_env(field))}
    for cmd in COMMANDS.values():
        for p in cmd.params:
            env = getattr(p, "envvar", None)
            names |= {env} if isinstance(env, str) else set(env or ())
    return names


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    names = _environment_variables_in_code()
    assert {"CIVICFLOW_HOME", "CIVICFLOW_DATABASE_URL"} <= names  # the scan itself works
    text = CONFIG_MD.read_text(encoding="utf-8")
    missing = sorted(n for n in names if not _mentions(text, n))
    assert not missing, f"docs/CONFIGURATION.md does not mention {missing}"


def test_configuration_documents_no_setting_that_does_not_exist() -> None:
    text = CONFIG_MD.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(CIVICFLOW_[A-Z0-9_]*[A-Z0-9])`", text))
    assert documented - _environment_variables_in_code() == set()


# -- links between the documents --------------------------------------------------------------


@pytest.mark.parametrize("doc", [d for d in USER_DOCS if d.exists()], ids=lambda d: d.name)
def test_relative_links_point_at_files_and_headings(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target):
            continue  # an absolute URL
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part) if file_part else doc
        if not path.exists():
            broken.append(target)
            continue
        if anchor and path.suffix == ".md":
            slugs = {_slug(t) for t in _sections(path.read_text(encoding="utf-8"))}
            if anchor not in slugs:
                broken.append(target)
    assert not broken, f"{doc.name}: broken links {broken}"


# -- the examples, run ------------------------------------------------------------------------

GUIDE = DOCS / "USER_GUIDE.md"
RUN_DOCS = (GUIDE, CLI_MD)
SHELL = ("bash", "console", "sh")
FENCE_LINE = re.compile(r"^```([a-z]*)\s*$")
# the one way to keep a block from being run: this comment on the line before its fence
SKIP_MARK = re.compile(r"^<!--\s*docs-test:\s*skip\s*\((?P<why>[^)]{10,})\)\s*-->$")
ANY_MARK = re.compile(r"^<!--\s*docs-test", re.M)
MAX_SKIPPED = 12  # across the guide and CLI.md: a few servers, prompts and outside systems


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block of a document: where it starts, its language, its code, and the reason
    it is not run (its skip marker), if any."""

    doc: str
    line: int
    lang: str
    code: str
    skip: str | None

    @property
    def runs_civicflow(self) -> bool:
        return self.lang in SHELL and any(_invocation(x) for x in self.code.splitlines())


def _blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    previous, i = "", 0
    while i < len(lines):
        fence = FENCE_LINE.match(lines[i])
        if fence is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        mark = SKIP_MARK.match(previous)
        code = "\n".join(lines[i + 1 : end]) + "\n"
        found.append(Block(path.name, i + 1, fence.group(1), code, mark and mark.group("why")))
        previous, i = "", end + 1
    return found


def test_skip_markers_are_few_and_each_says_why() -> None:
    skipped = []
    for doc in RUN_DOCS:
        text = doc.read_text(encoding="utf-8")
        blocks = _blocks(doc)
        marked = [b for b in blocks if b.skip]
        # a marker that does not sit right above a fence, or gives no reason, is a mistake
        assert len(ANY_MARK.findall(text)) == len(marked), f"{doc.name}: a stray docs-test mark"
        assert all(b.runs_civicflow for b in marked), f"{doc.name}: a marker on a non-command block"
        runnable = [b for b in blocks if b.runs_civicflow]
        assert len(runnable) >= 8, f"{doc.name}: too few command blocks found"
        assert len(marked) * 4 <= len(runnable), f"{doc.name}: more than a quarter is skipped"
        skipped += [f"{b.doc}:{b.line} ({b.skip})" for b in marked]
    assert len(skipped) <= MAX_SKIPPED, "\n".join(skipped)


def _environment(tmp: Path) -> dict[str, str]:
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICFLOW_")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    env["HOME"] = str(tmp / "home")  # nothing a command writes lands in the tester's home
    (tmp / "home").mkdir(exist_ok=True)
    return env


def _run_block(block: Block, cwd: Path, env: dict[str, str]) -> str:
    import subprocess
    import sys

    if block.lang == "python":
        cmd = [sys.executable, "-c", block.code]
    else:
        code = "\n".join(x.strip().removeprefix("$ ") for x in block.code.splitlines())
        cmd = ["bash", "-e", "-o", "pipefail", "-c", code]
    run = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (
        f"{block.doc}, the block at line {block.line} failed (exit {run.returncode}):\n"
        f"{block.code}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    )
    return run.stdout


def _example_files(blocks: list[Block], cwd: Path, env: dict[str, str]) -> Block:
    """The appendix's files (after a demo): its Python block run, its BPMN written."""
    appendix = next(b for b in blocks if b.lang == "python" and "jsonocel" in b.code)
    _run_block(appendix, cwd, env)
    bpmn = next(b for b in blocks if b.lang == "xml")
    (cwd / "permit.bpmn").write_text(bpmn.code, encoding="utf-8")
    return appendix


@pytest.mark.slow
def test_the_user_guide_runs_as_written(tmp_path: Path) -> None:
    blocks = _blocks(GUIDE)
    env = _environment(tmp_path)
    first = next(b for b in blocks if b.lang == "bash")
    assert first.code.strip() == "civicflow demo", "the guide starts with the demo"
    printed = _run_block(first, tmp_path, env)
    # the figures the guide quotes from the demo are the ones the demo prints
    quoted = next(b.code for b in blocks if b.lang == "text")
    for label in ("cases", "events", "median throughput", "cases with rework"):
        value = re.search(rf"│ {label}\s+│ ([^│]+?)\s+│", quoted)
        assert value, f"the guide's demo output lacks '{label}'"
        assert value.group(1) in printed, f"the demo prints another {label} than the guide"
    appendix = _example_files(blocks, tmp_path, env)

    ran = 0
    for block in blocks[blocks.index(first) + 1 :]:
        if block.skip or block == appendix:
            continue
        if not (block.runs_civicflow or block.lang == "python"):
            continue
        block_env = dict(env)
        if block.lang == "python":
            block_env["CIVICFLOW_HOME"] = str(tmp_path / "civicflow-demo" / "app")
        _run_block(block, tmp_path, block_env)
        ran += 1
    assert ran >= 15


@pytest.mark.slow
def test_the_cli_examples_run_as_written(tmp_path: Path) -> None:
    """Every command block of CLI.md, in order, in a folder with a fresh demo and the guide's
    example files, CIVICFLOW_HOME unset (as the page says)."""
    env = _environment(tmp_path)
    guide = _blocks(GUIDE)
    _run_block(Block("setup", 0, "bash", "civicflow demo --no-open\n", None), tmp_path, env)
    _example_files(guide, tmp_path, env)
    ran = 0
    for block in _blocks(CLI_MD):
        if block.runs_civicflow and not block.skip:
            _run_block(block, tmp_path, env)
            ran += 1
    assert ran >= 40
