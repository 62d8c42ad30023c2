"""Learning: customers remember how their last complaint went (the squeaky wheel)."""

from __future__ import annotations

from dataclasses import dataclass, field

from simcare.core.errors import check_positive as _check_positive
from simcare.core.errors import check_share as _check_share
from simcare.core.errors import every_problem
from simcare.scenario.in_file import FileKind, in_file


@dataclass(frozen=True, slots=True)
class Learning:
    """Customers learn from their last complaint; off unless ``enabled``.

    When on, every problem belongs to a customer of its segment's base: a customer who left
    has no more problems (so the volume falls as the base shrinks), and one whose last
    complaint was public and ended resolved is more likely to complain next time, and in
    public (Ma, Sun & Kekre 2015); one who was ignored or whose post was deleted is more
    likely to stay silent, and if they do complain, to go straight to an open network
    (`simcare.model.learning`). The sizes are illustrative: the study gives the direction.

    Attributes:
        enabled: whether customers learn (and problems come from identified customers).
        helped_complain_odds: odds of complaining about the next problem, as a multiple of
            the severity's, after being helped in public.
        helped_public_share: share of those complaints made on a public channel.
        ignored_complain_odds: the same multiple after being ignored or deleted (below 1:
            they stay silent more often).
        ignored_open_share: share of those complaints made straight on an open network (a
            public channel the brand does not own).
    """

    enabled: bool = field(default=False, metadata=in_file(FileKind.FLAG))
    helped_complain_odds: float = field(default=2.0, metadata=in_file(FileKind.NUMBER))
    helped_public_share: float = field(default=0.6, metadata=in_file(FileKind.NUMBER))
    ignored_complain_odds: float = field(default=0.5, metadata=in_file(FileKind.NUMBER))
    ignored_open_share: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        _check_positive("helped_complain_odds", self.helped_complain_odds)
        _check_share("helped_public_share", self.helped_public_share)
        _check_positive("ignored_complain_odds", self.ignored_complain_odds)
        _check_share("ignored_open_share", self.ignored_open_share)
