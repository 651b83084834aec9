"""mxcp.content — MCP content a Python endpoint may return, and the results of
the requests it may send to the client (mxcp's extension; MXCP has neither).

    from mxcp.content import Image, Audio, TextContent, EmbeddedResource, ResourceLink

A tool returns one content object, or a list mixing content objects and
ordinary values (each ordinary value becomes a text block, as any list
result does). `Image` and `Audio` take FastMCP's arguments (path, data,
format) and mxcp's `mime_type`.

Wire form: a content object becomes, through its __mxcp_json__() method
(also reachable as model_dump()), the JSON object
{"__mxcp_content__": <the MCP content block>} — one reserved key — which the
protocol core (src/mcp/tools.c, resources.c) unwraps. A
resource that returns `bytes` is sent as a `blob` with its mime_type.
"""

import base64
import mimetypes
import os

# The one reserved key of the marker object (src/mcp/internal.h MX_MCP_CONTENT_KEY).
CONTENT_KEY = "__mxcp_content__"

_IMAGE_FORMATS = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
_AUDIO_FORMATS = {"mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "m4a": "audio/mp4"}


def _b64(data):
    if isinstance(data, str):
        return data  # already base64 text
    return base64.b64encode(bytes(data)).decode("ascii")


def _annotated(block, annotations, meta):
    if annotations:
        block["annotations"] = dict(annotations)
    if meta:
        block["_meta"] = dict(meta)
    return block


class Content:
    """Base of every MCP content object: to_mcp() is the MCP block,
    __mxcp_json__() the marker mxcp's result conversion hands to the core."""

    def to_mcp(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __mxcp_json__(self):
        return {CONTENT_KEY: self.to_mcp()}

    def model_dump(self, **kwargs):
        """The same marker through the pydantic protocol mxcp's result
        conversion also honours (so content converts wherever a model does)."""
        return self.__mxcp_json__()

    def __repr__(self):
        return f"{type(self).__name__}({self.to_mcp()!r})"

    def __eq__(self, other):
        return isinstance(other, Content) and self.to_mcp() == other.to_mcp()


class TextContent(Content):
    """A text block: {"type": "text", "text": …}."""

    def __init__(self, text, *, annotations=None, meta=None):
        self.text = str(text)
        self.annotations, self.meta = annotations, meta

    def to_mcp(self):
        return _annotated({"type": "text", "text": self.text}, self.annotations, self.meta)


class _Binary(Content):
    _kind = ""
    _formats = {}

    def __init__(self, path=None, data=None, format=None, *, mime_type=None, annotations=None, meta=None):
        # FastMCP's Image(path, data, format) and mxcp's Image(data=…, mime_type=…):
        # bytes given as `path` are data, a path given as `data` is a path.
        if isinstance(path, (bytes, bytearray, memoryview)) and data is None:
            path, data = None, path
        if isinstance(data, (str, os.PathLike)) and path is None:
            path, data = data, None
        if (path is None) == (data is None):
            raise ValueError(f"{type(self).__name__}: give exactly one of path or data")
        self.path = os.fspath(path) if path is not None else None
        self.data = bytes(data) if data is not None else None
        self.mime_type = mime_type or self._mime(format)
        self.annotations, self.meta = annotations, meta

    def _mime(self, format):
        if format:
            f = format.lower().lstrip(".")
            return self._formats.get(f, f"{self._kind}/{f}")
        if self.path:
            guess = mimetypes.guess_type(self.path)[0]
            if guess:
                return guess
            ext = os.path.splitext(self.path)[1].lower().lstrip(".")
            if ext:
                return self._formats.get(ext, f"{self._kind}/{ext}")
        return "image/png" if self._kind == "image" else "audio/wav"

    def read(self):
        """The bytes (read from the path when given one)."""
        if self.data is None:
            with open(self.path, "rb") as f:
                return f.read()
        return self.data

    def to_mcp(self):
        block = {"type": self._kind, "data": _b64(self.read()), "mimeType": self.mime_type}
        return _annotated(block, self.annotations, self.meta)


class Image(_Binary):
    """An image block: {"type": "image", "data": <base64>, "mimeType": …}."""

    _kind = "image"
    _formats = _IMAGE_FORMATS

    def to_image_content(self):  # FastMCP's name
        return self.to_mcp()


class Audio(_Binary):
    """An audio block: {"type": "audio", "data": <base64>, "mimeType": …}."""

    _kind = "audio"
    _formats = _AUDIO_FORMATS

    def to_audio_content(self):  # FastMCP's name
        return self.to_mcp()


class EmbeddedResource(Content):
    """A resource embedded in the result: {"type": "resource", "resource":
    {uri, mimeType, text | blob}}. `text` (str) or `blob` (bytes) — exactly one."""

    def __init__(self, uri, text=None, blob=None, mime_type=None, *, annotations=None, meta=None):
        if (text is None) == (blob is None):
            raise ValueError("EmbeddedResource: give exactly one of text or blob")
        self.uri, self.text, self.blob = uri, text, blob
        self.mime_type = mime_type or ("text/plain" if text is not None else "application/octet-stream")
        self.annotations, self.meta = annotations, meta

    def to_mcp(self):
        res = {"uri": self.uri, "mimeType": self.mime_type}
        if self.text is not None:
            res["text"] = str(self.text)
        else:
            res["blob"] = _b64(self.blob)
        return _annotated({"type": "resource", "resource": res}, self.annotations, self.meta)


class ResourceLink(Content):
    """A link to a resource: {"type": "resource_link", "uri", "name", …}."""

    def __init__(self, uri, name, *, description=None, mime_type=None, title=None, size=None, annotations=None, meta=None):
        self.uri, self.name, self.description = uri, name, description
        self.mime_type, self.title, self.size = mime_type, title, size
        self.annotations, self.meta = annotations, meta

    def to_mcp(self):
        block = {"type": "resource_link", "uri": self.uri, "name": self.name}
        for key, value in (
            ("description", self.description),
            ("mimeType", self.mime_type),
            ("title", self.title),
            ("size", self.size),
        ):
            if value is not None:
                block[key] = value
        return _annotated(block, self.annotations, self.meta)


def _blob(data):
    """A resource's bytes result: a blob whose uri and mimeType the core fills in."""
    return _Marker({"type": "resource", "resource": {"blob": _b64(data)}})


class _Marker(Content):
    def __init__(self, block):
        self._block = block

    def to_mcp(self):
        return self._block


def to_mcp(value):
    """A content object, an MCP content dict, or a str as an MCP content block."""
    if isinstance(value, Content):
        return value.to_mcp()
    if isinstance(value, str):
        return {"type": "text", "text": value}
    if isinstance(value, dict) and "type" in value:
        return dict(value)
    raise TypeError(f"not MCP content: {type(value).__name__}")


def from_mcp(block):
    """An MCP content block (a dict) as a content object, or the dict itself
    when its type is not one of ours."""
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind == "text":
        return TextContent(block.get("text", ""))
    if kind in ("image", "audio"):
        cls = Image if kind == "image" else Audio
        return cls(data=base64.b64decode(block.get("data", "")), mime_type=block.get("mimeType"))
    if kind == "resource" and isinstance(block.get("resource"), dict):
        r = block["resource"]
        if "text" in r:
            return EmbeddedResource(r.get("uri"), text=r["text"], mime_type=r.get("mimeType"))
        return EmbeddedResource(r.get("uri"), blob=base64.b64decode(r.get("blob", "")), mime_type=r.get("mimeType"))
    return block


# --------------------------------------------------------- client requests


class ClientRequestError(RuntimeError):
    """A request to the client (sampling, elicitation) failed: the client
    answered with a JSON-RPC error (`code`, `data`), or it did not answer in
    time (`code` None)."""

    def __init__(self, message, code=None, data=None):
        super().__init__(message)
        self.code, self.data = code, data


class ClientCapabilityError(ClientRequestError):
    """The client cannot be asked: it did not declare the capability in
    initialize, the protocol revision has no such request, or there is no
    client at all (mxcp run, tests, hooks)."""


class SampleResult:
    """The client's answer to sampling/createMessage."""

    def __init__(self, result):
        self.raw = result
        self.role = result.get("role")
        self.model = result.get("model")
        self.stop_reason = result.get("stopReason")
        content = result.get("content")
        self.content = [from_mcp(c) for c in content] if isinstance(content, list) else from_mcp(content)

    @property
    def text(self):
        """The text of the answer ('' when it has none)."""
        blocks = self.content if isinstance(self.content, list) else [self.content]
        return "".join(b.text for b in blocks if isinstance(b, TextContent))

    def __repr__(self):
        return f"SampleResult(role={self.role!r}, model={self.model!r}, text={self.text!r})"


class ElicitResult:
    """The client's answer to elicitation/create: action is "accept",
    "decline" or "cancel"; content (also `data`, FastMCP's name) the values
    the user gave when accepted, else None."""

    def __init__(self, result):
        self.raw = result
        self.action = result.get("action")
        self.content = result.get("content")

    @property
    def data(self):
        return self.content

    def __repr__(self):
        return f"ElicitResult(action={self.action!r}, content={self.content!r})"


def sampling_params(
    messages,
    system_prompt=None,
    max_tokens=512,
    temperature=None,
    model_preferences=None,
    stop_sequences=None,
    include_context=None,
    metadata=None,
):
    """The params of sampling/createMessage. messages: a str (one user
    message), or a list of str / content objects (user messages) and dicts
    {"role": …, "content": str | content | MCP block}."""
    if isinstance(messages, (str, Content)):
        messages = [messages]
    out = []
    for m in messages:
        if isinstance(m, dict) and "role" in m:
            out.append({"role": m["role"], "content": to_mcp(m.get("content", ""))})
        else:
            out.append({"role": "user", "content": to_mcp(m)})
    params = {"messages": out, "maxTokens": int(max_tokens)}
    if system_prompt is not None:
        params["systemPrompt"] = system_prompt
    if temperature is not None:
        params["temperature"] = float(temperature)
    if stop_sequences is not None:
        params["stopSequences"] = list(stop_sequences)
    if include_context is not None:
        params["includeContext"] = include_context
    if metadata is not None:
        params["metadata"] = metadata
    if model_preferences is not None:
        if isinstance(model_preferences, str):
            model_preferences = {"hints": [{"name": model_preferences}]}
        elif isinstance(model_preferences, (list, tuple)):
            model_preferences = {"hints": [{"name": n} for n in model_preferences]}
        params["modelPreferences"] = model_preferences
    return params


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def elicitation_params(message, schema=None):
    """The params of elicitation/create. schema: a JSON Schema object of flat
    primitive properties (dict), a dict name → Python type (str, int, float,
    bool), or None (no fields: a confirmation)."""
    if schema is None:
        schema = {"type": "object", "properties": {}}
    elif isinstance(schema, dict) and "properties" not in schema and "type" not in schema:
        props = {}
        for name, t in schema.items():
            if t not in _JSON_TYPES:
                raise TypeError(f"elicit: field {name!r} must be str, int, float or bool")
            props[name] = {"type": _JSON_TYPES[t]}
        schema = {"type": "object", "properties": props, "required": list(props)}
    return {"message": str(message), "requestedSchema": schema}


__all__ = [
    "Content",
    "TextContent",
    "Image",
    "Audio",
    "EmbeddedResource",
    "ResourceLink",
    "ClientRequestError",
    "ClientCapabilityError",
    "SampleResult",
    "ElicitResult",
    "CONTENT_KEY",
]
