"""Helpers for the Keras-on-TensorFlow deep-learning course.

Students import this package from the labs (`course.set_seed`, `course.data`,
`course.plots`, `course.checks`); instructors drive it through the `course`
command (build, check, grade, list, doctor).
"""

from course.doctor import environment_line
from course.seed import set_seed

__all__ = ["environment_line", "set_seed"]
__version__ = "0.1.0"
