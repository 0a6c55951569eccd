"""Generate data/pass_fail.csv: the lecture's "will I pass this class?" example.

Each row is one past student: lectures attended (0..12), hours spent on the
final project (0..12, one decimal) and whether they passed (0/1). `passed` is
drawn from a logistic model of a linear combination of the two features, so
the classes overlap near the boundary, while a student at [4, 5] passes with
probability about 0.92.

Usage:
    python scripts/make_pass_fail.py [OUT_CSV]    # default: data/pass_fail.csv
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

SEED = 0
NUM_STUDENTS = 200
WEIGHTS = np.array([0.9, 0.9])  # per lecture attended, per project hour
BIAS = -5.6
DEFAULT_OUT = pathlib.Path(__file__).resolve().parents[1] / "data" / "pass_fail.csv"


def pass_probability(x: np.ndarray) -> np.ndarray:
    """True probability of passing under the generating model.

    Args:
        x: float array (n, 2) of [lectures_attended, project_hours].

    Returns:
        float64 array (n,) of probabilities in (0, 1).
    """
    return 1.0 / (1.0 + np.exp(-(np.asarray(x) @ WEIGHTS + BIAS)))


def main(out_path: str | pathlib.Path = DEFAULT_OUT) -> pathlib.Path:
    """Write the CSV (same bytes on every run).

    Args:
        out_path: where to write the CSV.

    Returns:
        The path written.
    """
    rng = np.random.default_rng(SEED)
    lectures = rng.integers(0, 13, NUM_STUDENTS)
    # Project hours are skewed low: most students put in a few hours.
    hours = np.round(12 * rng.beta(1.2, 2.4, NUM_STUDENTS), 1)
    x = np.column_stack([lectures, hours])
    passed = (rng.random(NUM_STUDENTS) < pass_probability(x)).astype(int)

    out_path = pathlib.Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["lectures_attended,project_hours,passed"]
    lines += [f"{a},{h:.1f},{p}" for a, h, p in zip(lectures, hours, passed)]
    out_path.write_text("\n".join(lines) + "\n", encoding="ascii", newline="\n")
    return out_path


if __name__ == "__main__":
    print(f"wrote {main(*sys.argv[1:2])}")
