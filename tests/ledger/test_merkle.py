"""RFC 9162 hashing against hand-computed trees and the Certificate Transparency test vectors."""

from __future__ import annotations

import hashlib

import pytest

from civicflow.ledger import (
    EMPTY_ROOT,
    Frontier,
    TreeCache,
    consistency_proof,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# The eight leaves and roots published with certificate-transparency's test constants
# (RFC 6962 reference vectors; RFC 9162 keeps the same hashing).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATHS = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (1, 8): CT_PATHS[(0, 8)],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert leaf_hash(b"abc") == sha(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == sha(b"\x01" + b"L" * 32 + b"R" * 32)
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_hand_computed_five_leaf_tree() -> None:
    # RFC shape for n=5: left = the 4-leaf perfect tree, right = the lone fifth leaf
    d = [b"a", b"b", b"c", b"d", b"e"]
    lh = [sha(b"\x00" + x) for x in d]
    left = sha(b"\x01" + sha(b"\x01" + lh[0] + lh[1]) + sha(b"\x01" + lh[2] + lh[3]))
    expected = sha(b"\x01" + left + lh[4])
    assert root_from_leaves([leaf_hash(x) for x in d]) == expected
    # n=3: node(node(a, b), c)
    assert root_from_leaves(lh[:3]) == sha(b"\x01" + sha(b"\x01" + lh[0] + lh[1]) + lh[2])
    # audit path of 'c' in the 5-leaf tree: sibling d, then node(a,b), then e
    assert inclusion_path(2, lh) == [lh[3], sha(b"\x01" + lh[0] + lh[1]), lh[4]]


@pytest.mark.parametrize("n", range(1, 9))
def test_ct_reference_roots(n: int) -> None:
    leaves = [leaf_hash(x) for x in CT_LEAVES[:n]]
    assert root_from_leaves(leaves).hex() == CT_ROOTS[n - 1]
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    assert frontier.root().hex() == CT_ROOTS[n - 1]


@pytest.mark.parametrize(("index", "size"), sorted(CT_PATHS))
def test_ct_reference_audit_paths(index: int, size: int) -> None:
    leaves = [leaf_hash(x) for x in CT_LEAVES[:size]]
    path = inclusion_path(index, leaves)
    assert [p.hex() for p in path] == CT_PATHS[(index, size)]
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert verify_inclusion(leaf=leaves[index], index=index, tree_size=size, path=path, root=root)


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_ct_reference_consistency_proofs(old: int, new: int) -> None:
    leaves = [leaf_hash(x) for x in CT_LEAVES[:new]]
    proof = consistency_proof(old, leaves)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(old, new)]
    assert verify_consistency(
        old_size=old,
        new_size=new,
        old_root=bytes.fromhex(CT_ROOTS[old - 1]),
        new_root=bytes.fromhex(CT_ROOTS[new - 1]),
        proof=proof,
    )


def test_every_proof_up_to_33_leaves_verifies_and_wrong_ones_do_not() -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(33)]
    for n in range(1, 34):
        root = root_from_leaves(leaves[:n])
        for i in range(n):
            path = inclusion_path(i, leaves[:n])
            assert verify_inclusion(leaf=leaves[i], index=i, tree_size=n, path=path, root=root)
            if n > 1:
                other = (i + 1) % n
                assert not verify_inclusion(
                    leaf=leaves[other], index=i, tree_size=n, path=path, root=root
                )
        for m in range(1, n + 1):
            proof = consistency_proof(m, leaves[:n])
            old_root = root_from_leaves(leaves[:m])
            assert verify_consistency(
                old_size=m, new_size=n, old_root=old_root, new_root=root, proof=proof
            )
            if m < n:
                forged = root_from_leaves([*leaves[: m - 1], leaf_hash(b"forged")])
                assert not verify_consistency(
                    old_size=m, new_size=n, old_root=forged, new_root=root, proof=proof
                )


def test_frontier_state_round_trips() -> None:
    frontier = Frontier()
    for i in range(13):
        frontier.append(leaf_hash(bytes([i])))
    restored = Frontier.from_state(frontier.to_state())
    assert restored.size == 13
    assert restored.root() == frontier.root()


def test_tree_cache_agrees_with_the_reference_functions() -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(37)]
    tree = TreeCache(leaves)
    for n in range(1, 38):
        assert tree.root(0, n) == root_from_leaves(leaves[:n])
        for m in range(1, n + 1):
            assert tree.consistency_proof(m, n) == consistency_proof(m, leaves[:n])
    for n, want in enumerate(CT_ROOTS, start=1):
        ct = TreeCache([leaf_hash(x) for x in CT_LEAVES])
        assert ct.root(0, n).hex() == want
