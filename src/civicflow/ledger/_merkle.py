"""RFC 9162 Merkle tree hashing: leaf and node hashes, roots, inclusion and consistency proofs.

The tree shape is the RFC's for any size ``n``: the left subtree holds the largest power of two
strictly smaller than ``n`` leaves. The verifier functions (:func:`verify_inclusion`,
:func:`verify_consistency`) follow the RFC's verification algorithms (sections 2.1.3.2 and
2.1.4.2) and need nothing but the hashes, so an auditor can run them without the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of already-hashed leaves (RFC 9162 section 2.1.1)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(root_from_leaves(leaves[:k]), root_from_leaves(leaves[k:]))


class Frontier:
    """The roots of the perfect subtrees of a growing tree: O(log n) state, O(log n) append.

    The root of an RFC 9162 tree of ``n`` leaves folds these subtree roots from the right, so a
    ledger can compute the root after every append without re-reading all leaves.
    """

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, root), largest first
        self.size = 0

    def append(self, leaf: bytes) -> None:
        size, digest = 1, leaf
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            digest = node_hash(left, digest)
            size += left_size
        self._stack.append((size, digest))
        self.size += 1

    def to_state(self) -> list[list[object]]:
        return [[size, digest.hex()] for size, digest in self._stack]

    @classmethod
    def from_state(cls, state: list[list[object]]) -> Frontier:
        frontier = cls()
        frontier._stack = [(int(str(size)), bytes.fromhex(str(digest))) for size, digest in state]
        frontier.size = sum(size for size, _ in frontier._stack)
        return frontier

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        digest = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``index`` in the tree of ``leaves``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of {n} leaves")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_path(index, leaves[:k]), root_from_leaves(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), root_from_leaves(leaves[:k])]


def verify_inclusion(
    *, leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does ``path`` prove ``leaf`` sits at ``index`` under ``root``?"""
    if index < 0 or index >= tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        from_left, fn, sn = _step(fn, sn)
        r = node_hash(p, r) if from_left else node_hash(r, p)
    return sn == 0 and r == root


def _step(fn: int, sn: int) -> tuple[bool, int, int]:
    """One step up the proof path of RFC 9162 (2.1.3.2 and 2.1.4.2): whether the next path node
    is hashed in from the left, and ``fn``, ``sn`` for the level above."""
    from_left = bool(fn & 1) or fn == sn
    if from_left:
        # on the right edge of the tree a left node may skip levels: climb until LSB(fn) is set
        while fn & 1 == 0 and fn != 0:
            fn >>= 1
            sn >>= 1
    return from_left, fn >> 1, sn >> 1


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError(f"old tree size {old_size} must be in 1..{n}")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_from_leaves(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root_from_leaves(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root_from_leaves(leaves[:k])]


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of ``new_size`` an append-only extension of the old?"""
    if old_size <= 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a subtree
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        from_left, fn, sn = _step(fn, sn)
        if from_left:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
        else:
            sr = node_hash(sr, c)
    return fr == old_root and sr == new_root and sn == 0


class TreeCache:
    """Roots of sub-ranges of one leaf sequence, remembering every perfect subtree it computes.

    Each perfect subtree is hashed once, so the roots and proofs for many tree sizes over the same
    leaves (every checkpoint of a ledger) cost O(n + checkpoints × log n) instead of O(n) each.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self._leaves = leaves
        self._perfect: dict[tuple[int, int], bytes] = {}

    def root(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi])."""
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self._leaves[lo]
        perfect = n & (n - 1) == 0
        if perfect and (lo, n) in self._perfect:
            return self._perfect[(lo, n)]
        k = _split(n)
        digest = node_hash(self.root(lo, lo + k), self.root(lo + k, hi))
        if perfect:
            self._perfect[(lo, n)] = digest
        return digest

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[0:new_size]); equals :func:`consistency_proof`."""
        if not 0 < old_size <= new_size <= len(self._leaves):
            raise ValueError(
                f"sizes {old_size} -> {new_size} are not within 1..{len(self._leaves)}"
            )
        return self._subproof(old_size, 0, new_size, True)

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self.root(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self.root(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self.root(lo, lo + k)]
