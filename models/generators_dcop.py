"""Seeded DCOP generators: graph colouring, meeting scheduling (PEAV), random binary, sensor coverage.

Every generator takes ``seed`` (same seed, same instance) and returns a
:class:`~allotment.models.DCOP` with one agent per variable (or per person, for meetings).

- :func:`graph_coloring`: random (Erdos-Renyi ``p_edge``), scale-free (Barabasi-Albert
  ``m_edge``) or grid graphs; hard (``hard_cost`` when neighbours share a colour,
  ``inf`` for true hard constraints) or soft (each colour pair of each edge a random whole
  cost in ``0..9``, as pyDCOP's ``generate graph_coloring --soft``).
- :func:`meeting_scheduling`: PEAV (private events as variables): each person has one
  variable per meeting they attend; the copies of a meeting must agree, one person's
  meetings must not share a slot, and people prefer some slots.
- :func:`random_binary`: ``density`` = share of variable pairs constrained,
  ``tightness`` = share of each table's entries with a non-zero cost.
- :func:`sensor_coverage`: sensors choose a target in range (or none); a target covered
  by fewer than ``need`` sensors costs its weight per missing sensor (n-ary tables).

>>> d = graph_coloring(20, colors=3, graph="scale_free", m_edge=2, soft=True, seed=1)
>>> d.n_vars, d.n_factors, d.domains[0]
(20, 36, ('R', 'G', 'B'))
>>> graph_coloring(20, graph="scale_free", m_edge=2, soft=True, seed=1).check([0] * 20).objective == \\
...     d.check([0] * 20).objective
True

References: pyDCOP's generators (Orange, BSD-3-Clause); R. T. Maheswaran, M. Tambe,
E. Bowring, J. P. Pearce and P. Varakantham, "Taking DCOP to the real world: efficient
complete solutions for distributed multi-event scheduling", AAMAS 2004 (PEAV).
"""
from __future__ import annotations

import itertools

import numpy as np

from .dcop import DCOP, Factor
from .errors import InstanceError

__all__ = ["graph_coloring", "meeting_scheduling", "random_binary", "sensor_coverage", "COLOR_LABELS"]

COLOR_LABELS = ("R", "G", "B", "O", "F", "Y", "L", "C")


def _graph(n: int, graph: str, p_edge: float | None, m_edge: int, rng: np.random.Generator,
           connected: bool) -> list[tuple[int, int]]:
    import networkx as nx

    if graph == "grid":
        side = int(round(n ** 0.5))
        if side * side != n:
            raise ValueError(f"`n` must be a square number for a grid; got {n}")
        g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side), ordering="sorted")
        return [tuple(sorted(e)) for e in g.edges]
    for _ in range(1000):
        sub = int(rng.integers(2**31))
        if graph == "random":
            p = 4.0 / max(n - 1, 1) if p_edge is None else p_edge
            if not 0 < p <= 1:
                raise ValueError(f"`p_edge` must be in (0, 1]; got {p}")
            g = nx.gnp_random_graph(n, p, seed=sub)
        elif graph == "scale_free":
            if not 1 <= m_edge < n:
                raise ValueError(f"`m_edge` must be in [1, n); got {m_edge}")
            g = nx.barabasi_albert_graph(n, m_edge, seed=sub)
            # As pyDCOP does: shuffle the names so that hubs are not simply the first variables.
            perm = rng.permutation(n)
            g = nx.relabel_nodes(g, dict(enumerate(perm.tolist())))
        else:
            raise ValueError(f"`graph` must be 'random', 'scale_free' or 'grid'; got {graph!r}")
        if not connected or nx.is_connected(g):
            return sorted(tuple(sorted(e)) for e in g.edges)
    raise ValueError(f"no connected {graph} graph found in 1000 tries; raise `p_edge` or pass connected=False")


def graph_coloring(
    n: int,
    *,
    colors: int = 3,
    graph: str = "random",
    p_edge: float | None = None,
    m_edge: int = 2,
    soft: bool = False,
    hard_cost: float = 1000.0,
    connected: bool = True,
    seed: int | None = None,
) -> DCOP:
    """Graph colouring on a seeded random, scale-free or grid graph (see the module docstring).

    ``p_edge`` defaults to ``4 / (n - 1)`` (mean degree 4, like scale-free with ``m_edge=2``).
    """
    if n < 2:
        raise ValueError(f"`n` must be at least 2; got {n}")
    if not 1 <= colors <= len(COLOR_LABELS):
        raise ValueError(f"`colors` must be in [1, {len(COLOR_LABELS)}]; got {colors}")
    rng = np.random.default_rng(seed)
    edges = _graph(n, graph, p_edge, m_edge, rng, connected)
    m = len(edges)
    if soft:
        tables = rng.integers(0, 10, size=(m, colors, colors)).astype(float)
    else:
        tables = np.broadcast_to(np.eye(colors) * 0.0, (m, colors, colors)).copy()
        tables[:, np.arange(colors), np.arange(colors)] = hard_cost
    labels = COLOR_LABELS[:colors]
    width = len(str(n - 1))
    factors = [Factor(e, tables[k], f"c{k}") for k, e in enumerate(edges)]
    return DCOP([labels] * n, factors, variable_ids=[f"v{i:0{width}d}" for i in range(n)],
                agent_ids=[f"a{i:0{width}d}" for i in range(n)], owner=list(range(n)),
                name=f"{'soft' if soft else 'hard'} graph colouring ({graph}, n={n}, seed={seed})")


def random_binary(
    n: int,
    *,
    domain: int = 3,
    density: float = 0.2,
    tightness: float = 0.5,
    max_cost: int = 10,
    hard: bool = False,
    seed: int | None = None,
) -> DCOP:
    """Random binary DCOP: ``density`` of the pairs constrained, ``tightness`` of the entries costly.

    Costly entries cost a whole number in ``1..max_cost`` (``inf`` with ``hard=True``).
    """
    if not 0 <= density <= 1 or not 0 <= tightness <= 1:
        raise ValueError(f"`density` and `tightness` must be in [0, 1]; got {density}, {tightness}")
    rng = np.random.default_rng(seed)
    pairs = np.array(list(itertools.combinations(range(n), 2)), dtype=np.int64).reshape(-1, 2)
    keep = pairs[rng.random(len(pairs)) < density]
    costly = rng.random((len(keep), domain, domain)) < tightness
    costs = rng.integers(1, max_cost + 1, size=costly.shape).astype(float)
    tables = np.where(costly, np.inf if hard else costs, 0.0)
    factors = [Factor(tuple(p), tables[k], f"c{k}") for k, p in enumerate(keep.tolist())]
    return DCOP([domain] * n, factors, agent_ids=[f"a{i}" for i in range(n)], owner=list(range(n)),
                name=f"random binary (n={n}, d={domain}, p1={density}, p2={tightness}, seed={seed})")


def meeting_scheduling(
    n_people: int,
    n_meetings: int,
    *,
    slots: int = 8,
    attendees: int = 2,
    seed: int | None = None,
) -> DCOP:
    """Meeting scheduling in the PEAV form (see the module docstring).

    Each meeting gets ``attendees`` distinct people; every person-meeting copy is a variable
    over ``slots`` owned by that person. Hard: copies of a meeting agree, a person's
    meetings use different slots. Soft: each person's random preference ``0..9`` per slot.
    """
    if attendees < 1 or attendees > n_people:
        raise ValueError(f"`attendees` must be in [1, n_people]; got {attendees}")
    rng = np.random.default_rng(seed)
    members = [sorted(rng.choice(n_people, size=attendees, replace=False).tolist()) for _ in range(n_meetings)]
    var_ids, owner, copies, pref = [], [], [], rng.integers(0, 10, size=(n_people, slots)).astype(float)
    by_person: dict[int, list[int]] = {}
    for mtg, people in enumerate(members):
        idx = []
        for p in people:
            idx.append(len(var_ids))
            by_person.setdefault(p, []).append(len(var_ids))
            var_ids.append(f"m{mtg}_p{p}")
            owner.append(p)
        copies.append(idx)
    if not var_ids:
        raise InstanceError("no meeting has an attendee", field="n_meetings")
    same = np.where(np.eye(slots, dtype=bool), 0.0, np.inf)
    differ = np.where(np.eye(slots, dtype=bool), np.inf, 0.0)
    factors: list[Factor] = []
    for mtg, idx in enumerate(copies):
        for a, b in zip(idx, idx[1:]):
            factors.append(Factor((a, b), same, f"eq_m{mtg}_{a}_{b}"))
    for p, idx in sorted(by_person.items()):
        for a, b in itertools.combinations(idx, 2):
            factors.append(Factor((a, b), differ, f"diff_p{p}_{a}_{b}"))
        for v in idx:
            factors.append(Factor((v,), pref[p], f"pref_{var_ids[v]}"))
    return DCOP([slots] * len(var_ids), factors, variable_ids=var_ids,
                agent_ids=[f"person{p}" for p in range(n_people)], owner=owner,
                name=f"meeting scheduling PEAV ({n_people} people, {n_meetings} meetings, seed={seed})")


def sensor_coverage(
    n_sensors: int,
    n_targets: int,
    *,
    radius: float = 0.3,
    need: int = 2,
    max_arity: int = 5,
    seed: int | None = None,
) -> DCOP:
    """Sensors in the unit square each watch one target in ``radius`` (value 0 = idle).

    Target ``t`` (weight ``w_t`` in ``1..10``) costs ``w_t * max(0, need - watchers)``; a
    target sees at most its ``max_arity`` nearest sensors (bounded table size). Each
    sensor pays 1 for being active, so idle is preferred when it helps no one.
    """
    rng = np.random.default_rng(seed)
    sensors = rng.random((n_sensors, 2))
    targets = rng.random((n_targets, 2))
    weights = rng.integers(1, 11, size=n_targets).astype(float)
    dist = np.linalg.norm(sensors[:, None, :] - targets[None, :, :], axis=2)
    near = [np.argsort(dist[:, t])[:max_arity] for t in range(n_targets)]
    near = [s[dist[s, t] <= radius] for t, s in enumerate(near)]
    options: list[list[int]] = [[] for _ in range(n_sensors)]
    for t, ss in enumerate(near):
        for s in ss.tolist():
            options[s].append(t)
    domains = [["idle"] + [f"t{t}" for t in opts] for opts in options]
    factors = [Factor((s,), np.r_[0.0, np.ones(len(options[s]))], f"active_s{s}") for s in range(n_sensors)]
    for t, ss in enumerate(near):
        ss = ss.tolist()
        if not ss:
            continue
        shape = tuple(len(domains[s]) for s in ss)
        grids = np.indices(shape)
        watch = sum((grids[p] == options[s].index(t) + 1).astype(int) for p, s in enumerate(ss))
        factors.append(Factor(tuple(ss), weights[t] * np.maximum(0, need - watch), f"cover_t{t}"))
    return DCOP(domains, factors, variable_ids=[f"s{s}" for s in range(n_sensors)],
                agent_ids=[f"s{s}" for s in range(n_sensors)], owner=list(range(n_sensors)),
                name=f"sensor coverage ({n_sensors} sensors, {n_targets} targets, seed={seed})")
