"""Third-party warnings kept out of a command's output."""
import contextlib
import logging
import warnings


@contextlib.contextmanager
def quiet():
    """Python warnings and log records below ERROR silenced (torch.onnx's exporter, torch.compile, OpenVINO): what
    they say is for the library's developers, not for the user of a command that works."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)
