"""Capabilities from an identity provider's profile claims (MXCP's CapabilityMapper).

    mapper = CapabilityMapper({"groups": {"admins": ["admin", "write"]}})
    mapper.derive({"groups": ["admins"]}) == {"admin", "write"}

claim_mappings: claim path (dotted, into the raw profile) -> claim value ->
capabilities granted. A claim may hold a scalar, a list, or a space-separated
string (OAuth scopes).
"""


class CapabilityMapper:
    def __init__(self, claim_mappings):
        self._mappings = dict(claim_mappings or {})

    def derive(self, raw_profile):
        caps = set()
        if not isinstance(raw_profile, dict):
            return caps
        for path, values in self._mappings.items():
            claim = self._resolve_path(raw_profile, path)
            if claim is None:
                continue
            for v in self._normalize_claim_value(claim):
                caps.update(values.get(v, []))
        return caps

    def _resolve_path(self, profile, path):
        value = profile
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return None
        return value

    @staticmethod
    def _normalize_claim_value(value):
        if isinstance(value, (list, tuple, set)):
            return [CapabilityMapper._scalar_to_str(v) for v in value if v is not None]
        if isinstance(value, str):
            return [s for s in value.split() if s] or [value]
        return [CapabilityMapper._scalar_to_str(value)]

    @staticmethod
    def _scalar_to_str(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


__all__ = ["CapabilityMapper"]
