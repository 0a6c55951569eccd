"""The grader: one notebook (``course check``) or a class of them (``course grade``).

Its parts, one module each:

- :mod:`~course.grader.engine`: the instructor's inputs, merging answers, grading one notebook;
- :mod:`~course.grader.screen`: the static screen of answer cells, and skipping shell lines;
- :mod:`~course.grader.kernel`: running cells in a fresh kernel within limits;
- :mod:`~course.grader.sandbox`: the bubblewrap box around that kernel;
- :mod:`~course.grader.guard` (in the kernel) and :mod:`~course.grader.integrity` (reading it);
- :mod:`~course.grader.reading` and :mod:`~course.grader.results`: statuses, results, reports;
- :mod:`~course.grader.worker` and :mod:`~course.grader.gradebook`: a batch, its cache, CSV and feedback;
- :mod:`~course.grader.cluster`: a batch graded on the workers of a Dask cluster (``--cluster``);
- :mod:`~course.grader.report`: the class report, one offline HTML page drawn from a batch's cache.
"""
