"""Tools on top of the models: the ``ppms`` command (``cli``), the benchmark runner and its rows (``bench``),
``ppms segment`` (``segment``) and the official Paddle model run in a subprocess (``paddle_run``)."""
