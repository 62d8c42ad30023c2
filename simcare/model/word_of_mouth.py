"""Word of mouth after a run: people told in private, and impressions of public posts.

Vectorised over journeys and posts, with no simulation and no I/O. Common random numbers: a
journey's draws (`MouthDraws`) are taken when its complaint arises, in blocks whose sizes depend
only on the number of complaints and ``max_attempts``, indexed by (journey, attempt), so a
customer gets the same numbers under every policy, and a journey's word of mouth can be worked
out as soon as it ends, in any order. Every count is an inverse CDF of its mean at one of those
uniforms, so a post visible for longer never gets fewer impressions, replication by replication.

Where the defaults of `simcare.scenario.WordOfMouth` come from, in docs/evidence.md:
"Who complains, and what they tell", "How posts spread", "Replying in public" and
"Deleting complaints".

- ``told_negative`` 10–16, ``told_positive`` 5–9: the ~2:1 bad-to-good ratio (Goodman/TARP,
  1980 Coca-Cola study) and the Amex Barometer 2011 (16 bad / 9 good).
- ``told_shape`` 6: a heavy tail for "13% tell more than 20" (White House OCA, second-hand).
- ``reshare_share`` 0.06: 6% of tweets are retweeted, 92% of retweets within the first hour
  (Sysomos 2010).
- ``reshare_audience`` 1,000: extra viewers per retweet (Kwak et al. 2010);
  ``reshare_sigma``: the heavy tail of follower counts (same source).
- ``reshare_branching`` 0.3: most cascades stop one hop from the post (Goel, Watts &
  Goldstein 2012).
- ``negative_reshare_factor`` 1.4: negative messages are reposted 1.2–1.6× as often (Tsugawa &
  Ohsaki 2015).
- ``reply_lift`` 1.5: a public reply makes the complaint more visible (Golmohammadi et al.
  2021); the size is illustrative.
- ``pile_on_audience`` 19: the median user's followers (Pew Research 2019).
- ``deletion_seen`` 0.3: observers who see that a complaint was deleted forgive less and
  speak worse of the brand (Liao et al. 2024); the size is illustrative.
- ``follower_reach``, ``attention_min``, ``pile_on_per_min``: illustrative.
- ``posts_in_view`` 5: a channel's audience is shared among the brand's posts in view at once
  (`simcare.model.attention`; attention is limited, Weng et al. 2012); the size is
  illustrative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import partial
from statistics import NormalDist

import numpy as np

from simcare.model.attention import attention_between
from simcare.model.records import JourneyEnd, Journeys, Posts, Spread
from simcare.scenario import WordOfMouth

MAX_CASCADE = 200
"""Reshares of one post (all hops) are capped here: with branching 0.3 the chance of more is
below 1e-40, and a cap keeps a branching near 1 from running away."""

_MAX_COUNT = 10**9  # pile-on comments per post: a bound for the quantile search only
_WALK_MEAN = 100.0  # `poisson_quantile` walks k = 0, 1, ... up to this mean (every built-in case)
_WINDOW_SDS = 13.0  # standard deviations either side of the mean summed by `_window_quantile`
_SURE_MARGIN = 0.5  # Cornish-Fisher's x - 1/2 this far (in 1/sd) from an integer rounds right
_BELOW_ONE = 1.0 - 2.0**-53  # the largest float below 1
_BLOCK_VALUES = 1 << 18  # terms `_window_quantile` works out at once (a few MB)
_STIRLERR = np.array(
    [0.0]
    + [
        math.lgamma(n + 1) - (n + 0.5) * math.log(n) + n - 0.5 * math.log(2 * math.pi)
        for n in range(1, 16)
    ]
)
_NORMAL_QUANTILE = np.frompyfunc(NormalDist().inv_cdf, 1, 1)

_HAPPY = (JourneyEnd.RESOLVED_QUICKLY, JourneyEnd.RESOLVED)


@dataclass(frozen=True, slots=True)
class MouthDraws:
    """The word-of-mouth random numbers of some journeys, a row per journey.

    Attributes:
        told: uniform: where the customer's mean falls in its range.
        talkative: standard gamma (shape ``told_shape``): the gamma of the gamma–Poisson
            mixture that makes the count negative binomial.
        told_count: uniform: the Poisson count at that mean (inverse CDF).
        first_hop, cascade, pile_on: uniforms per (journey, attempt), for a post's counts.
        seeds: per (journey, attempt), the seed of a post's reshare audiences.
    """

    told: np.ndarray
    talkative: np.ndarray
    told_count: np.ndarray
    first_hop: np.ndarray
    cascade: np.ndarray
    pile_on: np.ndarray
    seeds: np.ndarray

    def __len__(self) -> int:
        return len(self.told)

    def rows(self, index: np.ndarray) -> MouthDraws:
        """The draws of the journeys at ``index`` (positions in this block)."""
        return MouthDraws(*(getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def empty(max_attempts: int) -> MouthDraws:
        """The draws of no journeys."""
        return draw_mouth(np.random.default_rng(0), 0, max_attempts, 1.0)

    @staticmethod
    def joined(blocks: list[MouthDraws]) -> MouthDraws:
        """One block of the rows of ``blocks``, in order (``blocks`` must not be empty)."""
        return MouthDraws(
            *(np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(MouthDraws))
        )


def draw_mouth(
    rng: np.random.Generator, journeys: int, max_attempts: int, told_shape: float
) -> MouthDraws:
    """Draw the word-of-mouth numbers of ``journeys`` complaints arising together."""
    shape = (journeys, max_attempts)
    told = rng.random(journeys)
    first_hop, cascade, pile_on = (rng.random(shape) for _ in range(3))
    seeds = rng.integers(np.iinfo(np.int64).max, size=shape, dtype=np.int64)
    talkative = rng.standard_gamma(told_shape, journeys)
    return MouthDraws(told, talkative, rng.random(journeys), first_hop, cascade, pile_on, seeds)


def silent_told(silent: np.ndarray, params: WordOfMouth, rng: np.random.Generator) -> int:
    """People told (negatively) by the customers of ``silent`` problems, by (segment, severity).

    The n silent problems of a cell tell NB(n·shape, n·midpoint of ``told_negative``) people in
    all (a sum of n customers' NB(shape, midpoint)).
    """
    cells = np.asarray(silent, dtype=float).ravel()
    mean = cells * sum(params.told_negative) / 2
    shape = cells * params.told_shape
    scale = np.divide(mean, shape, out=np.zeros_like(mean), where=shape > 0)
    return int(rng.poisson(rng.gamma(shape, scale)).sum())


def poisson_quantile(mean: np.ndarray, u: np.ndarray, cap: int = _MAX_COUNT) -> np.ndarray:
    """Smallest k with P(Poisson(mean) <= k) >= u, elementwise, at most ``cap``.

    Monotone in ``mean`` at a fixed ``u``. Terms are summed from log space, so large means do
    not underflow; an infinite mean gives ``cap``.

    Means up to `_WALK_MEAN` walk k = 0, 1, 2, ...; larger ones (pile-ons on a busy post) cost
    O(1) each on average, see `_large_quantile`.
    """
    mean, u = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(u, dtype=float))
    out = np.where(np.isinf(mean), cap, 0).astype(np.int64)
    positive = (mean > 0) & np.isfinite(mean) & (u > 0)
    large = positive & (mean > _WALK_MEAN) & (mean + _WINDOW_SDS * np.sqrt(mean) + 2 < cap)
    _walk(out, np.flatnonzero(positive & ~large), mean, u, cap)
    _large_quantile(out, np.flatnonzero(large), mean, u)
    return out


def _walk(out: np.ndarray, active: np.ndarray, mean: np.ndarray, u: np.ndarray, cap: int) -> None:
    """`poisson_quantile` of the elements ``active``, into ``out``, summing k = 0, 1, 2, ..."""
    lam, target = mean.flat[active], u.flat[active]
    log_pmf = -lam
    cdf = np.exp(log_pmf)
    k = 0
    while active.size:
        # Past the mean, a term below e^-40 means the rest of the sum is lost in rounding.
        done = (cdf >= target) | ((k > lam) & (log_pmf < -40.0)) | (k >= cap)
        out.flat[active[done]] = k
        keep = ~done
        active, lam, target, log_pmf, cdf = (x[keep] for x in (active, lam, target, log_pmf, cdf))
        k += 1
        log_pmf = log_pmf + np.log(lam) - math.log(k)
        cdf = cdf + np.exp(log_pmf)


def _large_quantile(out: np.ndarray, active: np.ndarray, mean: np.ndarray, u: np.ndarray) -> None:
    """`poisson_quantile` of the elements ``active`` (means above `_WALK_MEAN`), into ``out``.

    The Cornish–Fisher expansion of the quantile (Poisson cumulants, to the λ^-1/2 terms, with
    the continuity correction) gives x, and k = ceil(x - 1/2); its error is largest where x -
    1/2 is close to an integer. There, or far in a tail (|z| > 3), the cdf is summed instead
    over the mean ± 13 standard deviations (`_window_quantile`), which costs O(√mean), for a
    share of about 1/√mean of the elements: O(1) on average. Measured against the walk
    (tests/unit/test_word_of_mouth.py), no count differs.
    """
    lam, target = mean.flat[active], u.flat[active]
    z = _normal_quantile(np.minimum(target, _BELOW_ONE))
    sd = np.sqrt(lam)
    x = lam + sd * z + (z * z - 1) / 6 + (z**3 - 3 * z) / (24 * sd) - (2 * z**3 - 5 * z) / (36 * sd)
    x = x - 0.5
    sure = (np.abs(z) <= 3.0) & (np.abs(x - np.round(x)) > _SURE_MARGIN / sd) & (target < 1)
    out.flat[active[sure]] = np.ceil(x[sure])
    unsure = ~sure
    out.flat[active[unsure]] = _window_quantile(lam[unsure], target[unsure])


def _window_quantile(lam: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The walk's quantile, summing P(X = k) from the mean - 13 sd (below: < 1e-36 in all)."""
    result = np.zeros(lam.size, dtype=np.int64)
    order = np.argsort(lam)
    sd = np.sqrt(lam)
    lo = np.floor(np.maximum(lam - _WINDOW_SDS * sd, 0.0))
    width = (np.ceil(lam + _WINDOW_SDS * sd) + 2 - lo).astype(np.int64)
    start = 0
    while start < lam.size:
        # Similar means together, so the rows of a block have similar widths.
        stop = start + 1
        while stop < lam.size and (stop + 1 - start) * width[order[stop]] <= _BLOCK_VALUES:
            stop += 1
        rows = order[start:stop]
        k = lo[rows, None] + np.arange(width[rows].max())
        log_pmf = _log_poisson_pmf(k, lam[rows, None])
        cdf = np.cumsum(np.exp(log_pmf), axis=1)
        done = (cdf >= target[rows, None]) | ((k > lam[rows, None]) & (log_pmf < -40.0))
        result[rows] = lo[rows] + done.argmax(axis=1)
        start = stop
    return result


def _log_poisson_pmf(k: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The log of P(Poisson(lam) = k), accurate to ~1e-13 for large k and lam (Loader 2000).

    log p = -stirlerr(k) - bd0(k, lam) - log(2πk)/2, with bd0 = k log(k/lam) + lam - k summed
    as a series where k is near lam (it would cancel), and stirlerr the error of Stirling's
    formula (a table below 16, its series above).
    """
    safe_k = np.maximum(k, 1.0)
    ratio = (safe_k - lam) / (safe_k + lam)
    near = np.abs(ratio) < 0.1
    v = np.where(near, ratio, 0.0)
    series = (safe_k - lam) * v
    term = 2 * safe_k * v
    for j in range(1, 12):
        term = term * v * v
        series = series + term / (2 * j + 1)
    direct = safe_k * np.log(safe_k / lam) + lam - safe_k
    bd0 = np.where(near, series, direct)
    small = np.minimum(safe_k, 15).astype(np.int64)
    squared = safe_k * safe_k
    stirling = (
        1 / 12
        - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * squared)) / squared) / squared) / squared
    ) / safe_k
    stirlerr = np.where(safe_k > 15, stirling, _STIRLERR[small])
    log_pmf = -stirlerr - bd0 - 0.5 * np.log(2 * math.pi * safe_k)
    return np.where(k == 0, -lam, log_pmf)


def _normal_quantile(p: np.ndarray) -> np.ndarray:
    """The standard normal quantile of each p in (0, 1) (Wichura's AS241, via the stdlib)."""
    return np.asarray(_NORMAL_QUANTILE(p), dtype=float)


def borel_tanner_quantile(
    roots: np.ndarray, branching: float, u: np.ndarray, cap: int = MAX_CASCADE
) -> np.ndarray:
    """Total reshares T of cascades started by ``roots`` first-hop reshares, at uniforms ``u``.

    Each reshare brings Poisson(b) further reshares (b = ``branching`` < 1), so T, the roots
    included, follows the Borel–Tanner law P(T = n | k) = (k/n) e^{−bn} (bn)^{n−k} / (n−k)!
    for n ≥ k, with mean k / (1 − b). Inverse CDF, capped at ``cap``; T = 0 when k = 0.
    Monotone in k at a fixed u (T is a sum of k independent cascades).
    """
    roots, u = np.broadcast_arrays(np.asarray(roots, dtype=np.int64), np.asarray(u, dtype=float))
    out = np.minimum(roots, cap).astype(np.int64)
    if branching == 0:
        return out
    active = np.flatnonzero((roots > 0) & (roots < cap))
    k, target = roots.flat[active].astype(float), u.flat[active]
    cdf = np.zeros(active.size)
    extra = 0  # n - k
    while active.size:
        n = k + extra
        log_p = np.log(k / n) - branching * n + extra * np.log(branching * n)
        cdf = cdf + np.exp(log_p - math.lgamma(extra + 1))
        done = (cdf >= target) | (n >= cap)
        out.flat[active[done]] = n[done]
        keep = ~done
        active, k, target, cdf = (x[keep] for x in (active, k, target, cdf))
        extra += 1
    return out


def spread(
    journeys: Journeys,
    posts: Posts,
    draws: MouthDraws,
    audience_per_min: np.ndarray,
    params: WordOfMouth,
    end_min: float,
    told_positive_factor: float = 1.0,
    shared_minutes: np.ndarray | None = None,
) -> Spread:
    """Word of mouth of journeys and their public posts.

    Private: a journey that ended RESOLVED_QUICKLY or RESOLVED is happy, any other is unhappy.
    Its customer tells NB(shape ``told_shape``, mean m) people, m uniform in the range
    (``told_positive`` × ``told_positive_factor`` if happy, ``told_negative`` if not).

    Public: see `_impressions`.

    Args:
        journeys: one row per complaint journey.
        posts: one row per complaint posted on a public channel (``posts.journey`` indexes
            ``journeys``).
        draws: the journeys' word-of-mouth numbers, a row per journey.
        audience_per_min: each channel's own audience rate (indexed by ``posts.channel``).
        params: the scenario's word-of-mouth parameters.
        end_min: when the run ended; nothing is seen after it.
        told_positive_factor: multiplies a happy customer's mean (`Depth`).
        shared_minutes: each channel's attention shared among the posts in view
            (`Feed.shared_minutes`); None: every post draws its channel's whole audience.
    """
    happy = np.isin(journeys.end, _HAPPY)
    low = np.where(happy, params.told_positive[0], params.told_negative[0])
    high = np.where(happy, params.told_positive[1], params.told_negative[1])
    mean = (low + (high - low) * draws.told) * np.where(happy, told_positive_factor, 1.0)
    # Gamma–Poisson: Poisson with mean m × G / shape, G standard gamma(shape), is NB(shape, m).
    told = poisson_quantile(mean * draws.talkative / params.told_shape, draws.told_count)

    at = (posts.journey, posts.attempt)
    negative, positive, reshares, pile_ons = _impressions(
        posts,
        np.asarray(audience_per_min, dtype=float),
        params,
        end_min,
        (draws.first_hop[at], draws.cascade[at], draws.pile_on[at]),
        draws.seeds[at],
        shared_minutes,
    )
    return Spread(
        told_negative=np.where(happy, 0, told),
        told_positive=np.where(happy, told, 0),
        negative_impressions=negative,
        positive_impressions=positive,
        reshares=reshares,
        pile_ons=pile_ons,
    )


def _length(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    return np.maximum(stop - start, 0.0)


def _impressions(
    posts: Posts,
    audience_per_min: np.ndarray,
    params: WordOfMouth,
    end_min: float,
    uniforms: tuple[np.ndarray, np.ndarray, np.ndarray],
    seeds: np.ndarray,
    shared_minutes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Negative and positive impressions, reshares and pile-ons of each post.

    With p = posted, v = min(removed, p + attention, end of run) and d = max(v − p, 0), g the
    good answer and L the lift (inf if none), a = amplification, h = min(1, d / 60):

    - followers: followers × follower_reach × a × h (seen in the first hour), negative;
    - own audience at r = audience_per_min[channel] (not amplified: a repost is amplified in
      its author's network, not the channel's audience), times the post's share of it while
      many are in view (`attention_between`): negative over [p, min(g, v)], positive over
      [max(g, p), v]; a public reply adds (reply_lift − 1) × r over [L, v], negative (the
      reply spreads the complaint);
    - reshares: R1 = Poisson⁻¹(−ln(1 − reshare_share) × negative_reshare_factor × h) first-hop
      reshares, T = Borel–Tanner⁻¹(R1, reshare_branching) in all; each brings a lognormal
      audience (mean reshare_audience, log-sd reshare_sigma) × a, negative;
    - pile-ons: Poisson⁻¹(pile_on_per_min × length of [p, min(g, v)]) comments, each
      pile_on_audience × a negative impressions;
    - a post deleted while it still drew views: its negative impressions × (1 +
      deletion_seen), for the viewers who notice it vanish.
    """
    u_first_hop, u_cascade, u_pile_on = uniforms
    posted = np.asarray(posts.posted_min, dtype=float)
    amplification = np.asarray(posts.amplification, dtype=float)
    answer = np.asarray(posts.good_answer_min, dtype=float)
    lift = np.asarray(posts.lift_min, dtype=float)
    visible_until = np.minimum(
        np.minimum(posts.removed_min, posted + params.attention_min), end_min
    )
    first_hour = np.minimum(1.0, np.maximum(visible_until - posted, 0.0) / 60.0)
    unanswered_until = np.minimum(answer, visible_until)

    # A screenshot repost is amplified in its author's network (followers, reshares,
    # comments); the channel's own audience is the same as for any post.
    rate = audience_per_min[posts.channel]
    if shared_minutes is None:
        length = _length
    else:
        length = partial(attention_between, shared_minutes, posts.channel)
    negative = posts.followers * params.follower_reach * amplification * first_hour
    # The reply draws extra viewers to the complaint itself (Golmohammadi et al. 2021): they
    # count as negative even after a good answer, which is the cost of answering in public.
    lifted = (params.reply_lift - 1.0) * length(np.maximum(posted, lift), visible_until)
    negative = negative + rate * (length(posted, unanswered_until) + lifted)
    positive = rate * length(np.maximum(answer, posted), visible_until)

    # A share of 1 would make the first-hop mean infinite; the cap bounds it anyway.
    share = min(params.reshare_share, 1.0 - 1e-12)
    first_hop_mean = -math.log1p(-share) * params.negative_reshare_factor * first_hour
    first_hop = poisson_quantile(first_hop_mean, u_first_hop, MAX_CASCADE)
    reshares = borel_tanner_quantile(first_hop, params.reshare_branching, u_cascade)
    reshare_audience = np.zeros(len(posts))
    if params.reshare_audience > 0:
        sigma = params.reshare_sigma
        mu = math.log(params.reshare_audience) - sigma**2 / 2
        for i in np.flatnonzero(reshares):
            # The post's own stream: the first T normals, so the sum only grows with T.
            z = np.random.default_rng(int(seeds[i])).standard_normal(int(reshares[i]))
            reshare_audience[i] = np.exp(mu + sigma * z).sum()
    negative = negative + reshare_audience * amplification

    unanswered = np.maximum(unanswered_until - posted, 0.0)
    pile_ons = poisson_quantile(params.pile_on_per_min * unanswered, u_pile_on)
    negative = negative + pile_ons * params.pile_on_audience * amplification
    # Viewers who notice a post vanish think worse of the brand (Liao et al. 2024): each
    # counts as a second negative impression.
    deleted = posts.removed_min < np.minimum(posted + params.attention_min, end_min)
    negative = negative * np.where(deleted, 1.0 + params.deletion_seen, 1.0)
    return negative, positive, reshares, pile_ons
