"""``python -m ppms_kernels``: the ``ppms`` command."""
import sys

from .tools.cli import main

sys.exit(main())
