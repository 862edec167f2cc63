"""Optional dependencies, each brought by an extra of the package (pyproject.toml), which a missing one names."""
import importlib


def require(module, extra):
    """``module`` imported, or an ImportError that says ``pip install 'ppms_kernels[extra]'``. A module that is there
    but fails to import raises its own error."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name is None or not (module == e.name or module.startswith(e.name + ".")):
            raise
        raise ModuleNotFoundError(f"{module} is not installed: pip install 'ppms_kernels[{extra}]'",
                                  name=module) from e
