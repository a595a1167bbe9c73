"""Rows of a plain-text table with their columns lined up in a terminal: padded by display width
(wcwidth: a Chinese character takes two columns, so `str.format`'s `{name:<6}` left "赵磊" one
column short of "周思远")."""
from __future__ import annotations

from collections.abc import Collection, Sequence

import wcwidth


def aligned(rows: Sequence[Sequence[object]], right: Collection[int] = ()) -> list[list[str]]:
    """Each cell as text, padded to its column's widest cell; columns in `right` (numbers) to the
    right. The last column is left as it is: nothing follows it to line up."""
    texts = [[str(cell) for cell in row] for row in rows]
    if not texts:
        return []
    widths = [max(wcwidth.width(row[i]) for row in texts if i < len(row)) for i in range(max(map(len, texts)))]
    last = len(widths) - 1
    return [[cell if i == last else (wcwidth.rjust if i in right else wcwidth.ljust)(cell, widths[i])
             for i, cell in enumerate(row)] for row in texts]
