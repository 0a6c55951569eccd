"""Helpers for the Keras-on-TensorFlow deep-learning course.

Students import this package from the labs (`course.set_seed`, `course.data`,
`course.plots`, `course.checks`, and in the Chinese edition `course.set_language("zh")` and
`course.tr` for plot labels); instructors drive it through the `course`
command (build, check, grade, list, doctor).
"""

from course.doctor import environment_line
from course.i18n import set_language, tr
from course.seed import set_seed

__all__ = ["environment_line", "set_language", "set_seed", "tr"]
__version__ = "0.1.0"
