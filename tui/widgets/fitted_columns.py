"""Columns that fit a table to the terminal's width: each column has shapes from widest to
narrowest, one column takes the width left over, and the others give way in a set order
(narrower first, then hidden). Used by the home screen's lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text


@dataclass(frozen=True)
class Shape:
    """One way to show a column: its caption, its cell, and at most how wide (cut with …)."""

    caption: str | Text
    cell: Callable[[Any], Text]
    max_width: int | None = None


@dataclass(frozen=True)
class Column:
    key: str
    shapes: tuple[Shape, ...]  # widest first; squeezed past the last one, the column goes


@dataclass(frozen=True)
class Layout:
    """A table's columns, the one that takes the width left over (cut with …, never below
    `flex_min` unless nothing else can give way), and the order in which the others give way:
    each step moves that column to its next, narrower shape, and past its last shape hides it
    (the line under the table still shows the whole row). Every shape of a money column shows
    the figure whole (only its caption gets shorter), and no money column is ever hidden."""

    columns: tuple[Column, ...]
    flex: str
    flex_min: int
    squeeze: tuple[str, ...]


FLEX_FLOOR = 10


def _width(shape: Shape, rows: Sequence[Any]) -> int:
    caption = shape.caption.cell_len if isinstance(shape.caption, Text) else len(shape.caption)
    natural = max([caption, *(shape.cell(row).cell_len for row in rows)])
    return natural if shape.max_width is None else min(natural, max(caption, shape.max_width))


def fit(layout: Layout, rows: Sequence[Any], width: int,
        padding: int = 2) -> list[tuple[Column, Shape, int]]:
    """The columns to show in `width` cells, each with its shape and width."""
    chosen = {c.key: 0 for c in layout.columns}
    steps = list(layout.squeeze)
    measured: dict[int, int] = {}  # by shape: each shape's cells are measured once

    def width_of(shape: Shape) -> int:
        if id(shape) not in measured:
            measured[id(shape)] = _width(shape, rows)
        return measured[id(shape)]

    while True:
        shown = [(c, c.shapes[chosen[c.key]]) for c in layout.columns
                 if chosen[c.key] < len(c.shapes)]
        widths = {c.key: width_of(shape) for c, shape in shown}
        others = sum(w + padding for key, w in widths.items() if key != layout.flex)
        flex_room = width - others - padding
        if flex_room >= min(widths[layout.flex], layout.flex_min) or not steps:
            break
        chosen[steps.pop(0)] += 1
    # Nothing else can give way: the flexible column takes what is left, down to a floor.
    widths[layout.flex] = max(min(widths[layout.flex], flex_room),
                              min(widths[layout.flex], FLEX_FLOOR))
    return [(c, shape, widths[c.key]) for c, shape in shown]
