"""The glue between mxcp's embedded interpreter (mxcp_python.so) and user code.

Not an API: mxcp calls these functions from C. Everything here runs with the
GIL held, on a worker thread (a call), on the thread that loads a project
(imports, hooks, plugins) or on the event loop thread (async endpoints).
"""

import contextvars
import importlib
import importlib.util
import logging
import os
import sys
import threading

import _mxcp

logger = logging.getLogger("mxcp.python")

# The call that runs in this context: a _mxcp.Call, or None outside one.
current = contextvars.ContextVar("mxcp_call", default=None)

_loop = None
_loop_thread = None


class _LogStream:
    """sys.stdout/sys.stderr of the server: lines go to mxcp's log, never to
    stdout (over stdio, stdout carries JSON-RPC only)."""

    def __init__(self, level, name):
        self._level = level
        self._buf = ""
        self.name = name
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self._buf += s
        while "\n" in self._buf:
            line, self._buf = self._buf.split("\n", 1)
            _mxcp.log(self._level, line)
        return len(s)

    def flush(self):
        if self._buf:
            _mxcp.log(self._level, self._buf)
            self._buf = ""

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        import io

        raise io.UnsupportedOperation("fileno")


class _LogHandler(logging.Handler):
    """Python's logging into mxcp's log."""

    def emit(self, record):
        try:
            _mxcp.log(record.levelno, self.format(record))
        except Exception:  # pragma: no cover - logging must never raise
            pass


def start():
    """Redirect output and logging to mxcp's log. The event loop of async
    endpoints starts with the first coroutine (_get_loop): a project without
    async code neither imports asyncio nor runs the loop's thread."""
    sys.stdout = _LogStream(logging.INFO, "<stdout>")
    sys.stderr = _LogStream(logging.WARNING, "<stderr>")
    root = logging.getLogger()
    handler = _LogHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(_mxcp.log_level())


_loop_lock = threading.Lock()


def _get_loop():
    global _loop, _loop_thread
    if _loop is None:
        with _loop_lock:
            if _loop is None:
                import asyncio

                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run():
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=run, name="mxcp-python", daemon=True)
                thread.start()
                ready.wait()
                _loop_thread = thread
                _loop = loop
    return _loop


def stop():
    if _loop is not None and _loop_thread is not None:
        _loop.call_soon_threadsafe(_loop.stop)
        _loop_thread.join(5)


# ------------------------------------------------------------------ calls


def _await_on_loop(awaitable, handle):
    async def runner():
        current.set(handle)
        return await awaitable

    import asyncio

    fut = asyncio.run_coroutine_threadsafe(runner(), _get_loop())
    handle.future = fut
    return fut.result()


# Results that are never awaitable: no check for them.
_PLAIN = frozenset((dict, list, str, int, float, bool, type(None), tuple))


def is_coroutine_function(func):
    import inspect

    return inspect.iscoroutinefunction(func)


def call(func, kwargs, handle, is_async=False):
    """Run one endpoint function: a coroutine function (is_async, known when
    the project loaded) is awaited on the event loop while this worker waits
    without the GIL; a plain one runs here."""
    token = current.set(handle)
    try:
        if is_async:
            return _await_on_loop(func(**kwargs), handle)
        result = func(**kwargs)
        if type(result) not in _PLAIN and hasattr(type(result), "__await__"):
            result = _await_on_loop(result, handle)
        return result
    finally:
        current.reset(token)


def run_hooks(hooks, handle, what):
    """Run @on_init or @on_shutdown hooks in order; a failing hook is logged
    and the next one runs (MXCP)."""
    token = current.set(handle)
    try:
        for hook in hooks:
            name = getattr(hook, "__name__", repr(hook))
            try:
                logger.info(f"Running {what} hook: {name}")
                result = hook()
                if hasattr(type(result), "__await__"):
                    _await_on_loop(result, handle)
            except Exception as e:
                logger.error(f"Error in {what} hook {name}: {e}")
    finally:
        current.reset(token)


def run_payload(payload, handle):
    token = current.set(handle)
    try:
        payload()
    finally:
        current.reset(token)


# ---------------------------------------------------------------- loading


def _module_name(abs_path, python_dir):
    """MXCP's names: python/a/b.py is `a.b`; any other file gets
    `_mxcp_endpoint_<stem>_<hash8>`."""
    try:
        rel = os.path.relpath(abs_path, python_dir)
    except ValueError:
        rel = None
    if rel and not rel.startswith(".." + os.sep) and rel != ".." and not os.path.isabs(rel):
        parts = rel.split(os.sep)
        parts[-1] = os.path.splitext(parts[-1])[0]
        return ".".join(parts)
    import hashlib  # only here: it loads OpenSSL

    stem = os.path.splitext(os.path.basename(abs_path))[0]
    digest = hashlib.sha256(abs_path.encode()).hexdigest()[:8]
    return f"_mxcp_endpoint_{stem}_{digest}"


class _Errors(Exception):
    pass


class Project:
    """One snapshot's Python: its modules, hooks and plugins."""

    def __init__(self, root, python_dir, plugins_dir):
        self.root = os.path.realpath(root)
        self.python_dir = os.path.realpath(python_dir)
        self.plugins_dir = os.path.realpath(plugins_dir) if plugins_dir else None
        self.modules = {}  # absolute path -> module
        self.failed = {}  # absolute path -> error text
        self.init_hooks = []
        self.shutdown_hooks = []
        self.plugins = {}

    # sys.path: python/ and the project root first, as MXCP does
    def _paths(self):
        for p in (self.root, self.python_dir):
            if p in sys.path:
                sys.path.remove(p)
            sys.path.insert(0, p)
        if self.plugins_dir and os.path.isdir(self.plugins_dir) and self.plugins_dir not in sys.path:
            sys.path.insert(0, self.plugins_dir)

    def _forget_user_modules(self):
        """A new snapshot imports the project's files afresh: drop the modules
        an earlier snapshot loaded from them (its calls keep their own)."""
        roots = [self.root + os.sep]
        for name, mod in list(sys.modules.items()):
            f = getattr(mod, "__file__", None)
            if name.startswith("_mxcp_endpoint_"):
                del sys.modules[name]
            elif isinstance(f, str) and any(f.startswith(r) for r in roots):
                if "-packages" + os.sep not in f:
                    del sys.modules[name]
        importlib.invalidate_caches()

    def load_module(self, path):
        abs_path = os.path.realpath(path)
        mod = self.modules.get(abs_path)
        if mod is not None:
            return mod
        if abs_path in self.failed:
            raise ImportError(self.failed[abs_path])
        if not os.path.exists(abs_path):
            raise FileNotFoundError(f"Python file not found: {abs_path}")
        name = _module_name(abs_path, self.python_dir)
        existing = sys.modules.get(name)
        if existing is not None and os.path.realpath(getattr(existing, "__file__", "") or "") == abs_path:
            self.modules[abs_path] = existing
            return existing
        spec = importlib.util.spec_from_file_location(name, abs_path)
        if spec is None or spec.loader is None:
            raise ImportError(f"Failed to create module spec for {abs_path}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException as e:
            sys.modules.pop(name, None)
            text = _describe(e)
            self.failed[abs_path] = f"Failed to load Python module from {abs_path}: {text}"
            raise ImportError(self.failed[abs_path]) from e
        self.modules[abs_path] = mod
        return mod

    def load(self, plugin_specs, plugin_configs):
        """Import every python/**/*.py (but _* and __init__), then the
        plugins. Returns the list of errors (text), empty when all loaded."""
        import mxcp.runtime as rt

        self._paths()
        self._forget_user_modules()
        saved_init, saved_shutdown = list(rt._init_hooks), list(rt._shutdown_hooks)
        rt._init_hooks.clear()
        rt._shutdown_hooks.clear()
        errors = []
        try:
            if os.path.isdir(self.python_dir):
                files = []
                for d, dirs, names in os.walk(self.python_dir):
                    dirs[:] = sorted(x for x in dirs if x != "__pycache__")
                    for n in sorted(names):
                        if n.endswith(".py") and n != "__init__.py" and not n.startswith("_"):
                            files.append(os.path.join(d, n))
                for f in files:
                    try:
                        self.load_module(f)
                    except Exception as e:
                        errors.append(str(e))
            for spec in plugin_specs:
                try:
                    self.plugins[spec["name"]] = _load_plugin(spec, plugin_configs)
                except Exception as e:
                    errors.append(f"plugin '{spec['name']}': {e}")
            self.init_hooks = list(rt._init_hooks)
            self.shutdown_hooks = list(rt._shutdown_hooks)
        finally:
            rt._init_hooks[:] = saved_init + [h for h in rt._init_hooks if h not in saved_init]
            rt._shutdown_hooks[:] = saved_shutdown + [h for h in rt._shutdown_hooks if h not in saved_shutdown]
        return errors

    def function(self, path, name, kind):
        """The function of an endpoint: a tool's by its name; a resource's
        `main`, else the file's stem, else the first public callable."""
        mod = self.load_module(path)
        if name is not None:
            if not hasattr(mod, name):
                raise AttributeError(f"Function '{name}' not found in {os.path.relpath(path, self.root)}")
            return getattr(mod, name)
        stem = os.path.splitext(os.path.basename(path))[0]
        for n in ("main", stem):
            if hasattr(mod, n):
                return getattr(mod, n)
        public = [n for n in dir(mod) if callable(getattr(mod, n)) and not n.startswith("_")]
        if public:
            return getattr(mod, public[0])
        raise AttributeError(f"No callable function found in {os.path.relpath(path, self.root)}")

    def shutdown(self, handle):
        """This snapshot's @on_shutdown hooks, then its plugins' own shutdown
        (their @on_shutdown methods and shutdown()); never another
        snapshot's plugins."""
        run_hooks(self.shutdown_hooks, handle, "shutdown")
        try:
            from mxcp.plugins.base import shutdown_plugins

            token = current.set(handle)
            try:
                shutdown_plugins(self.plugins)
            finally:
                current.reset(token)
        except Exception as e:
            logger.error(f"Error shutting down plugins: {e}")


def _load_plugin(spec, plugin_configs):
    module_path, config_name = spec["module"], spec.get("config")
    if config_name is not None:
        if config_name not in plugin_configs:
            raise ValueError(f"Plugin configuration '{config_name}' not found in plugin config")
        config = plugin_configs[config_name]
    else:
        config = {}
    from mxcp.plugins import MXCPBasePlugin

    try:
        module = importlib.import_module(module_path)
    except ImportError as e:
        raise ImportError(f"Failed to import plugin module {module_path}: {e}") from e
    try:
        plugin_class = module.MXCPPlugin
        if not issubclass(plugin_class, MXCPBasePlugin):
            raise AttributeError(f"Plugin class in {module_path} must inherit from MXCPBasePlugin")
    except AttributeError as e:
        raise AttributeError(f"Module {module_path} must contain an MXCPPlugin class: {e}") from e
    return plugin_class(config)


def _describe(e):
    """An exception as one line, with the file and line for syntax errors."""
    if isinstance(e, SyntaxError):
        where = f"{e.filename}:{e.lineno}" if e.filename else f"line {e.lineno}"
        return f"{e.msg} ({where})"
    return f"{type(e).__name__}: {e}" if not str(e) else str(e)


def signature_names(func):
    """The parameter names of func, or None when it takes **kwargs."""
    import inspect

    sig = inspect.signature(func)
    names = []
    for p in sig.parameters.values():
        if p.kind == inspect.Parameter.VAR_KEYWORD:
            return None
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            names.append(p.name)
    return names


def required_names(func):
    import inspect

    sig = inspect.signature(func)
    return [
        p.name
        for p in sig.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]


def where(func):
    """'file:line' of a function's definition, or ''."""
    code = getattr(func, "__code__", None)
    if code is None:
        return ""
    return f"{code.co_filename}:{code.co_firstlineno}"


class Cancelled(BaseException):
    """Raised inside a Python call that mxcp cancelled (the client cancelled
    the request or went away, the server is stopping, or the call ran out
    of time). A BaseException, so `except Exception` does not swallow it."""


class InputRequired(Cancelled):
    """Raised inside a Python call on protocol revision 2026-07-28 when it
    asks the client something (mcp.sample/elicit/list_roots) whose answer
    has not come yet: the call stops here, mxcp answers with an
    input-required result, and the call runs again with the answer. A
    Cancelled, so cleanup code that handles cancellation runs."""


def run_init(hooks, handle):
    run_hooks(hooks, handle, "init")


def run_shutdown(project, handle):
    project.shutdown(handle)
