"""Read YAML keeping the line of every mapping and key, so an error names the line to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from civicflow.core import ConfigurationError, Location


class Mapping_(dict[Any, Any]):
    """A YAML mapping that remembers its line and the line of each key (1-based)."""

    line: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Mapping_:
    loader.flatten_mapping(node)
    mapping = Mapping_()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        value = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
        if key in mapping:
            raise ConfigurationError(
                f"the key '{key}' appears twice in one mapping",
                where=Location(line=key_node.start_mark.line + 1, field=str(key)),
                found=f"a second '{key}' (the first on line {mapping.key_lines[key]})",
                expected="each key once",
                fix="merge the two entries or rename one",
            )
        mapping[key] = value
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, *, file: str) -> Any:
    """Parse ``text``; a syntax error says the file and line."""
    try:
        return yaml.load(text, Loader=_Loader)
    except ConfigurationError as exc:
        line = exc.where.line if exc.where else None
        field = exc.where.field if exc.where else None
        raise ConfigurationError(
            exc.what,
            where=Location(file=file, line=line, field=field),
            found=exc.found,
            expected=exc.expected,
            fix=exc.fix,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigurationError(
            f"{file} is not valid YAML: {exc.problem or exc.context}",
            where=Location(file=file, line=mark.line + 1 if mark else None),
            found=str(exc.problem or exc.context),
            expected="YAML: 'key: value' pairs, lists with '- ', consistent indentation",
            fix="correct the syntax at the line shown (often an indentation or a missing colon)",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(
            f"{file} is not valid YAML",
            where=Location(file=file),
            found=str(exc),
            expected="a YAML document",
            fix="correct the syntax",
        ) from None


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """The parsed document and the text of the file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read {path}",
            where=Location(file=str(path)),
            found=exc.strerror or str(exc),
            expected="a readable YAML file",
            fix="check the path",
        ) from None
    return load_yaml(text, file=str(path)), text
