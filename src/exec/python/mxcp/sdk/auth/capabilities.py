"""Capabilities from an identity provider's profile claims (MXCP's CapabilityMapper).

    mapper = CapabilityMapper({"groups": {"admins": ["admin", "write"]}})
    mapper.derive({"groups": ["admins"]}) == {"admin", "write"}

claim_mappings: claim path (dotted, into the raw profile) -> claim value ->
capabilities granted. A claim may hold a scalar, a list, or a space-separated
string (OAuth scopes).
"""


class CapabilityMapper:
    """Maps IdP claims to capabilities by claim path: a top-level key
    ("scope"), a dotted path ("realm_access.roles") or a URI-style key
    ("https://example.com/roles", matched exactly before any dot traversal)."""

    def __init__(self, claim_mappings):
        self._mappings = claim_mappings

    def derive(self, raw_profile):
        capabilities = set()
        for claim_path, value_map in self._mappings.items():
            claim_value = self._resolve_path(raw_profile, claim_path)
            if claim_value is None:
                continue
            for value in self._normalize_claim_value(claim_value):
                if value in value_map:
                    capabilities.update(value_map[value])
        return capabilities

    def _resolve_path(self, profile, path):
        if path in profile:
            return profile[path]
        current = profile
        for part in path.split("."):
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        return current

    @staticmethod
    def _normalize_claim_value(value):
        if isinstance(value, list):
            return [CapabilityMapper._scalar_to_str(v) for v in value]
        if isinstance(value, str) and " " in value:
            return value.split()
        return [CapabilityMapper._scalar_to_str(value)]

    @staticmethod
    def _scalar_to_str(value):
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)


__all__ = ["CapabilityMapper"]
