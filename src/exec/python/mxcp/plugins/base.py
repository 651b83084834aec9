"""mxcp.plugins.base — MXCPBasePlugin, @udf and @on_shutdown.

What mxcp does with a plugin (src/exec/python/udf.c and embed.c):

* the site config's ``plugin:`` entries name an instance (``name``), the
  module holding its class ``MXCPPlugin`` (``module``) and the user-config
  entry it is built with (``config``); the class is instantiated as
  ``MXCPPlugin(config)``;
* every method marked ``@udf`` becomes the DuckDB scalar function
  ``<method>_<instance name>``; its parameter and result types come from
  the method's annotations through :meth:`MXCPBasePlugin._get_duckdb_type`
  (the DuckDB type strings of :meth:`MXCPBasePlugin.udfs`); a NULL argument
  arrives as ``None`` and a ``None`` result is NULL;
* on reload or shutdown each instance's ``@on_shutdown`` methods run, then
  its ``shutdown()``.

The type mapping is MXCP's: ``str`` VARCHAR, ``int`` INTEGER, ``float``
DOUBLE, ``bool`` BOOLEAN, ``Decimal`` DECIMAL (DuckDB's DECIMAL(18,3)),
``date`` DATE, ``time`` TIME, ``datetime`` TIMESTAMP, ``timedelta``
INTERVAL, ``bytes`` BLOB, ``list[T]`` T[], ``dict[K, V]`` MAP(K, V), a class
with annotations (a TypedDict, a dataclass, …) STRUCT(field type, …),
``Optional[T]`` (or ``T | None``) T, ``Annotated[T, …]`` T; ``Any`` and
anything else is refused.
"""

import importlib
import inspect
import logging
import types
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import wraps
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Optional,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

if TYPE_CHECKING:
    from mxcp.sdk.auth import UserContextModel

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Plugin instances alive (registered by MXCPBasePlugin.__init__) and the
# module-level functions marked @on_shutdown.
_active_plugins: list["MXCPBasePlugin"] = []
_plugin_shutdown_hooks: list[Callable[[], None]] = []

_SCALAR_TYPES: dict[Any, str] = {
    str: "VARCHAR",
    int: "INTEGER",
    float: "DOUBLE",
    bool: "BOOLEAN",
    Decimal: "DECIMAL",
    date: "DATE",
    time: "TIME",
    datetime: "TIMESTAMP",
    timedelta: "INTERVAL",
    bytes: "BLOB",
}


def get_active_plugins() -> list["MXCPBasePlugin"]:
    """The plugin instances alive (the list itself)."""
    return _active_plugins


def register_plugin(plugin: "MXCPBasePlugin") -> None:
    """Record a plugin instance as alive (MXCPBasePlugin.__init__ does)."""
    logger.debug("Registering active plugin: %s", plugin.__class__.__name__)
    _active_plugins.append(plugin)


def clear_plugin_registry() -> None:
    """Forget every plugin instance and shutdown hook."""
    logger.debug("Clearing plugin registry.")
    _active_plugins.clear()
    _plugin_shutdown_hooks.clear()


def _is_method(func: Callable[..., Any]) -> bool:
    """Whether func is defined in a class body (its qualified name is
    ``Class.name``, not ``name`` or ``outer.<locals>.name``)."""
    parts = getattr(func, "__qualname__", "").split(".")
    return len(parts) > 1 and parts[-2] != "<locals>"


def on_shutdown(func: Callable[..., T]) -> Callable[..., T]:
    """Mark a function to run when plugins shut down (reload or exit).

    On a plugin method (``def close(self)``) it runs for each instance of
    that class, before the instance's ``shutdown()``; on a module-level
    function (no arguments) it runs once, when every plugin shuts down.

    Example::

        class MXCPPlugin(MXCPBasePlugin):
            def __init__(self, config):
                super().__init__(config)
                self.client = httpx.Client()

            @on_shutdown
            def close_client(self):
                self.client.close()
    """
    logger.debug("Registering plugin shutdown hook: %s", getattr(func, "__name__", func))
    func._mxcp_on_shutdown = True  # type: ignore[attr-defined]
    if not _is_method(func):
        _plugin_shutdown_hooks.append(func)
    return func


def _shutdown_plugin(plugin: "MXCPBasePlugin", name: str | None = None) -> None:
    """Run an instance's @on_shutdown methods, then its shutdown(), and
    forget it. Errors are logged, never raised."""
    label = name or plugin.__class__.__name__
    for attr, member in inspect.getmembers(type(plugin), predicate=inspect.isfunction):
        if not getattr(member, "_mxcp_on_shutdown", False):
            continue
        try:
            getattr(plugin, attr)()
        except Exception as e:
            logger.error("Error executing plugin shutdown hook %s of %s: %s", attr, label, e, exc_info=True)
    try:
        plugin.shutdown()
    except Exception as e:
        logger.error("Error calling shutdown() on plugin %s: %s", label, e, exc_info=True)
    try:
        _active_plugins.remove(plugin)
    except ValueError:
        pass


def shutdown_plugins(plugins: dict[str, "MXCPBasePlugin"]) -> None:
    """Shut down the instances of one project snapshot (name → instance),
    in reverse order of creation. Used by mxcp on reload and at exit."""
    for name, plugin in reversed(list(plugins.items())):
        _shutdown_plugin(plugin, name)
        logger.info("Shut down plugin: %s", name)


def run_plugin_shutdown_hooks() -> None:
    """Run every module-level @on_shutdown function, then shut down every
    instance alive, and clear the registry. Errors are logged; every hook
    and instance is attempted."""
    logger.info("Running %d plugin shutdown hooks...", len(_plugin_shutdown_hooks))
    for hook in reversed(_plugin_shutdown_hooks):
        try:
            hook()
        except Exception as e:
            logger.error(
                "Error executing plugin shutdown hook %s: %s", getattr(hook, "__name__", hook), e, exc_info=True
            )
    logger.info("Calling shutdown() on %d active plugins...", len(_active_plugins))
    for plugin in reversed(list(_active_plugins)):
        _shutdown_plugin(plugin)
    clear_plugin_registry()
    logger.info("Plugin shutdown process complete.")


def udf(func: Callable[..., T]) -> Callable[..., T]:
    """Mark a plugin method as a SQL function (a DuckDB scalar function
    named ``<method>_<plugin instance name>``).

    Every parameter and the result must be annotated (see the module's
    type mapping). Example::

        @udf
        def double(self, x: int) -> int:
            return x * 2
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return func(*args, **kwargs)

    wrapper._is_udf = True  # type: ignore[attr-defined]
    wrapper.__doc__ = func.__doc__ or f"UDF: {func.__name__}"
    return wrapper


def _struct_fields(python_type: Any) -> dict[str, Any]:
    """The annotated fields of a class, resolved when they are strings."""
    try:
        return dict(get_type_hints(python_type))
    except Exception:
        return dict(getattr(python_type, "__annotations__", {}) or {})


class MXCPBasePlugin:
    """The base class of MXCP plugins: configuration, the user context, and
    DuckDB functions generated from the annotations of @udf methods.

    Example::

        class MXCPPlugin(MXCPBasePlugin):
            def __init__(self, config: dict[str, Any]):
                super().__init__(config)

            @udf
            def add_numbers(self, a: int, b: int) -> int:
                return a + b
    """

    def __init__(self, config: dict[str, Any], user_context: Optional["UserContextModel"] = None):
        """config: the plugin's entry of the user config ({} without one);
        user_context: the authenticated user, when there is one."""
        self._config = config
        self._user_context = user_context
        register_plugin(self)

    # ------------------------------------------------------------ the user

    @property
    def user_context(self) -> Optional["UserContextModel"]:
        """The authenticated user's context, or None."""
        return self._user_context

    def _user_field(self, field: str) -> Any:
        uc = self._user_context
        if uc is None:
            return None
        if isinstance(uc, dict):
            return uc.get(field)
        return getattr(uc, field, None)

    def get_user_token(self) -> str | None:
        """The user's token at the OAuth provider (e.g. a GitHub token), or None."""
        return self._user_field("external_token")

    def get_username(self) -> str | None:
        """The authenticated user's username, or None."""
        return self._user_field("username")

    def get_user_email(self) -> str | None:
        """The authenticated user's email, or None."""
        return self._user_field("email")

    def get_user_provider(self) -> str | None:
        """The OAuth provider's name (e.g. 'github', 'atlassian'), or None."""
        return self._user_field("provider")

    def is_authenticated(self) -> bool:
        """Whether a user context was given."""
        return self._user_context is not None

    # ---------------------------------------------------------------- UDFs

    def _get_duckdb_type(self, python_type: Any) -> str:
        """The DuckDB type string of a Python annotation (see the module's
        type mapping); ValueError for Any and for unsupported types."""
        if python_type is Any:
            raise ValueError(
                "Type 'Any' is not supported in UDF type annotations. Please specify a concrete type."
            )

        origin = get_origin(python_type)
        if origin is Annotated:
            python_type = get_args(python_type)[0]
            origin = get_origin(python_type)

        if origin is Union or origin is types.UnionType:
            non_none = [t for t in get_args(python_type) if t is not type(None)]
            if len(non_none) == 1:
                return self._get_duckdb_type(non_none[0])

        if origin is list:
            (inner_type,) = get_args(python_type) or (Any,)
            return f"{self._get_duckdb_type(inner_type)}[]"

        if origin is dict:
            key_type, value_type = get_args(python_type) or (Any, Any)
            return f"MAP({self._get_duckdb_type(key_type)}, {self._get_duckdb_type(value_type)})"

        if isinstance(python_type, type) and python_type in _SCALAR_TYPES:
            return _SCALAR_TYPES[python_type]

        if origin is None and isinstance(python_type, type) and hasattr(python_type, "__annotations__"):
            fields = _struct_fields(python_type)
            if fields:
                members = ", ".join(f"{name} {self._get_duckdb_type(t)}" for name, t in fields.items())
                return f"STRUCT({members})"

        raise ValueError(f"Type '{python_type}' is not supported in UDF type annotations")

    def udfs(self) -> list[dict[str, Any]]:
        """The definitions of this plugin's @udf methods, by method name:
        ``{"name": method name, "method": the bound method, "args": [DuckDB
        type, …], "return_type": DuckDB type}``. A method without type hints
        or without a return annotation is skipped (a warning); a parameter
        without an annotation is an error (Any is not supported)."""
        udfs = []
        logger.debug("Processing methods for %s", self.__class__.__name__)

        for name, class_method in inspect.getmembers(self.__class__, predicate=inspect.isfunction):
            if not getattr(class_method, "_is_udf", False):
                continue

            type_hints = get_type_hints(class_method)
            if not type_hints:
                logger.warning("Skipping %s: no type hints found", name)
                continue

            return_type = type_hints.get("return", Any)
            if return_type == Any:
                logger.warning("Skipping %s: no return type annotation", name)
                continue

            arg_types = []
            for param_name in inspect.signature(class_method).parameters:
                if param_name == "self":
                    continue
                arg_types.append(self._get_duckdb_type(type_hints.get(param_name, Any)))

            udf_def = {
                "name": name,
                "method": getattr(self, name),
                "args": arg_types,
                "return_type": self._get_duckdb_type(return_type),
            }
            logger.debug("Adding UDF: %s with args %s and return type %s", name, arg_types, udf_def["return_type"])
            udfs.append(udf_def)

        logger.debug("Total UDFs registered: %d", len(udfs))
        return udfs

    @classmethod
    def find_plugins(cls, module: str) -> list[type["MXCPBasePlugin"]]:
        """The subclasses of this class defined in (or imported into) a module."""
        mod = importlib.import_module(module)
        return [
            obj
            for _, obj in inspect.getmembers(mod)
            if inspect.isclass(obj) and issubclass(obj, cls) and obj is not cls
        ]

    def shutdown(self) -> None:
        """Release the plugin's resources; override it. Called on reload and
        at server shutdown, after the instance's @on_shutdown methods."""
        pass
