"""The checks an evidence file passes before it is kept."""

from __future__ import annotations

import hashlib

import pytest

from civicflow.core import InputError
from civicflow.governance import (
    answer_target,
    check_file,
    clean_filename,
    control_target,
)

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


def test_an_accepted_file_has_its_type_size_and_sha256() -> None:
    checked = check_file("DPIA signed.pdf", PDF)
    assert checked.filename == "DPIA signed.pdf"
    assert checked.media_type == "application/pdf"
    assert checked.size == len(PDF)
    assert checked.sha256 == hashlib.sha256(PDF).hexdigest()
    assert check_file("notes.md", "Résumé des risques\n".encode()).media_type == "text/markdown"


def test_names_lose_folders_and_unsafe_characters() -> None:
    assert clean_filename("C:\\Users\\dpo\\dpia.pdf") == "dpia.pdf"
    assert clean_filename("../../etc/passwd.txt") == "passwd.txt"
    assert clean_filename('a"b\r\nc.txt') == "a_b__c.txt"
    long = clean_filename("x" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")
    with pytest.raises(InputError, match="no name"):
        clean_filename("../")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "not a type of file"),
        ("noext", b"hello", "not a type of file"),
        ("empty.pdf", b"", "is empty"),
        ("renamed.pdf", b"MZ\x90\x00 not a pdf", "not what its extension says"),
        ("photo.png", b"\xff\xd8\xff\xe0 jpeg", "not what its extension says"),
        ("latin1.csv", "café".encode("latin-1"), "not UTF-8"),
        ("nul.txt", b"a\x00b", "NUL"),
    ],
)
def test_refused_files(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        check_file(name, data)
    assert info.value.where is not None and info.value.where.field == "file"
    assert info.value.fix


def test_the_size_limit_is_inclusive() -> None:
    assert check_file("a.txt", b"x" * 10, max_bytes=10).size == 10
    with pytest.raises(InputError, match="too large") as info:
        check_file("a.txt", b"x" * 11, max_bytes=10)
    assert info.value.expected == "at most 10 bytes"


def test_targets() -> None:
    assert answer_target("asm_1", "criteria") == "assessment:asm_1:criteria"
    assert control_target("gdpr", "GDPR-35") == "control:gdpr:GDPR-35"
