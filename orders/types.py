"""The API v2 service types (docs/api.md): which fields each takes and how each is priced.

One table drives the order form, the mass order, the panel's /api/v2 `add` and forwarding, so
they cannot disagree about what a type needs.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | lines (one item per line) | count (a positive whole number) | date
    required: bool = True
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TypeSpec:
    fields: tuple[Field, ...] = ()  # besides link and quantity
    link: bool = True
    quantity: str | None = "quantity"  # "quantity", a lines field whose count it is, or None
    flat: bool = False  # the rate is the price of one package, not per 1000
    dripfeed: bool = False  # the type can be drip-fed (where the service allows it)


COMMENTS = Field("comments", "Comments", "lines", help="One comment per line.")
USERNAMES = Field("usernames", "Usernames", "lines", help="One username per line.")
USERNAME = Field("username", "Username")

TYPES: dict[str, TypeSpec] = {
    "Default": TypeSpec(dripfeed=True),
    "Package": TypeSpec(quantity=None, flat=True),
    "Custom Comments": TypeSpec(fields=(COMMENTS,), quantity="comments"),
    "Custom Comments Package": TypeSpec(fields=(COMMENTS,), quantity=None, flat=True),
    "Mentions": TypeSpec(fields=(USERNAMES,)),
    "Mentions with Hashtags": TypeSpec(
        fields=(USERNAMES, Field("hashtags", "Hashtags", "lines", help="One hashtag per line."))
    ),
    "Mentions Custom List": TypeSpec(fields=(USERNAMES,), quantity="usernames"),
    "Mentions Hashtag": TypeSpec(fields=(Field("hashtag", "Hashtag"),)),
    "Mentions User Followers": TypeSpec(
        fields=(Field("username", "Username", help="Mention the followers of this user."),)
    ),
    "Mentions Media Likers": TypeSpec(
        fields=(Field("media", "Media URL", help="Mention the likers of this post."),)
    ),
    "Comment Likes": TypeSpec(
        fields=(Field("username", "Comment owner", help="The username who wrote the comment."),)
    ),
    "Comment Replies": TypeSpec(fields=(USERNAME, COMMENTS), quantity="comments"),
    "Poll": TypeSpec(fields=(Field("answer_number", "Answer number", "count"),)),
    "Invites from Groups": TypeSpec(
        fields=(Field("groups", "Groups", "lines", help="One group per line."),)
    ),
    "Subscriptions": TypeSpec(
        link=False,
        quantity=None,
        fields=(
            USERNAME,
            Field("min", "Min per post", "count"),
            Field("max", "Max per post", "count"),
            Field("posts", "New posts", "count", help="How many new posts to cover."),
            Field("old_posts", "Old posts", "count", required=False, help="Recent posts too."),
            Field(
                "delay",
                "Delay (minutes)",
                "count",
                required=False,
                choices=tuple(
                    (str(m), f"{m} min" if m else "No delay")
                    for m in (
                        0,
                        5,
                        10,
                        15,
                        30,
                        60,
                        90,
                        120,
                        150,
                        180,
                        210,
                        240,
                        270,
                        300,
                        360,
                        420,
                        480,
                        540,
                        600,
                    )
                ),
            ),
            Field(
                "expiry", "Expiry", "date", required=False, help="Day/month/year, e.g. 31/12/2026."
            ),
        ),
    ),  # fmt: skip
    "Web Traffic": TypeSpec(
        dripfeed=True,
        fields=(
            Field("country", "Country", required=False, help="Two-letter code or name."),
            Field(
                "device",
                "Device",
                required=False,
                choices=(
                    ("", "Any"),
                    ("1", "Desktop"),
                    ("2", "Mobile Android"),
                    ("3", "Mobile iOS"),
                    ("4", "Mixed mobile"),
                    ("5", "Mixed all"),
                ),
            ),
            Field(
                "type_of_traffic",
                "Type of traffic",
                required=False,
                choices=(
                    ("", "Direct"),
                    ("1", "Google keyword"),
                    ("2", "Custom referrer"),
                    ("3", "Blank referrer"),
                ),
            ),
            Field("google_keyword", "Google keyword", required=False),
            Field("referring_url", "Referring URL", required=False),
        ),
    ),  # fmt: skip
}

DEFAULT = TYPES["Default"]


def spec_for(service_type: str) -> TypeSpec:
    """Unknown type names (a provider inventing one) are sold as Default: link and quantity."""
    return TYPES.get(service_type, DEFAULT)


@dataclass(frozen=True)
class TypeInfo:
    """What the order form's script needs to know about a type, as JSON."""

    link: bool
    quantity: str | None
    flat: bool
    dripfeed: bool
    fields: list[dict] = field(default_factory=list)
