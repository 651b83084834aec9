"""The user context model (MXCP's UserContextModel, without pydantic)."""


class UserContextModel:
    """Who calls: what every identity provider returns."""

    __fields__ = (
        "provider",
        "user_id",
        "username",
        "email",
        "name",
        "avatar_url",
        "raw_profile",
        "external_token",
        "capabilities",
    )

    def __init__(
        self,
        provider,
        user_id,
        username,
        email=None,
        name=None,
        avatar_url=None,
        raw_profile=None,
        external_token=None,
        capabilities=None,
    ):
        self.provider = provider
        self.user_id = user_id
        self.username = username
        self.email = email
        self.name = name
        self.avatar_url = avatar_url
        self.raw_profile = raw_profile
        self.external_token = external_token
        self.capabilities = list(capabilities or [])

    def model_dump(self, **_):
        return {k: getattr(self, k) for k in self.__fields__}

    dict = model_dump

    def model_copy(self, update=None, **_):
        data = self.model_dump()
        data.update(update or {})
        return UserContextModel(**data)

    def __eq__(self, other):
        return isinstance(other, UserContextModel) and self.model_dump() == other.model_dump()

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__fields__ if k != "external_token")
        return f"UserContextModel({args})"
