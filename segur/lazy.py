"""Modules a quick command's libraries import but never use, made lazy for that process.

python-stdnum's ``stdnum.util``, which every number module of python-stdnum imports, imports
``ssl`` (for the SOAP clients of its online checks) and ``pydoc`` (for its modules'
descriptions) at its top: about 13 ms of a 80 ms ``segur check``, for two modules a check of
SIREN and SIRET numbers never reads. :func:`defer` puts such a module in ``sys.modules`` with
its code not run: an ``import`` statement binds it (the import system reads only its
``__spec__``), and its code runs, whole and once, at the first other attribute read or write,
so a caller that does use it gets the real module. (The standard library's
:class:`importlib.util.LazyLoader` runs the code at the ``__spec__`` read itself, that is at the
next ``import`` statement naming the module, so it saves nothing here.)

Only :func:`segur.cli.run` calls it, for the commands that answer and end on one thread: two
threads reading a deferred module's first attribute at once could see it half run.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

#: what python-stdnum imports and the controls never reach (its online checks and its docs)
UNUSED_BY_CHECKS = ("ssl", "pydoc")

#: the loaders of modules written in Python, whose code runs in a module made beforehand
_PYTHON_LOADERS = (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader)


class _Deferred(types.ModuleType):
    """A module whose code has not run yet: any read but ``__spec__``, or write, runs it."""

    def __getattribute__(self, name: str) -> object:
        if name == "__spec__":
            return types.ModuleType.__getattribute__(self, name)
        _run(self)
        return getattr(self, name)

    def __setattr__(self, name: str, value: object) -> None:
        _run(self)
        setattr(self, name, value)

    def __delattr__(self, name: str) -> None:
        _run(self)
        delattr(self, name)


def _run(module: types.ModuleType) -> None:
    """Run a deferred module's code in it, now a plain module."""
    types.ModuleType.__setattr__(module, "__class__", types.ModuleType)
    spec = module.__spec__
    assert spec is not None and isinstance(spec.loader, _PYTHON_LOADERS)  # defer() took only those
    spec.loader.exec_module(module)


def defer(*names: str) -> tuple[str, ...]:
    """Put each module named, not imported yet, in ``sys.modules`` with its code not run.

    Returns the names deferred; a module already imported, a submodule, or one not found or not
    written in Python is left to the import system.
    """
    deferred = []
    for name in names:
        if name in sys.modules or "." in name:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or not isinstance(spec.loader, _PYTHON_LOADERS):
            continue
        module = importlib.util.module_from_spec(spec)
        types.ModuleType.__setattr__(module, "__class__", _Deferred)
        sys.modules[name] = module
        deferred.append(name)
    return tuple(deferred)
