"""Distributed constraint optimization (DCOP): finite-domain variables, cost tables over subsets.

A DCOP has variables ``x_0 .. x_{n-1}``, each with a finite domain ``D_i`` and an owner
agent, and cost tables (factors) ``F_k`` over scopes ``S_k``:

    minimize (or maximize)   sum_k F_k(x_{S_k})      over  x_i in D_i

A table entry of ``+inf`` (``-inf`` with ``sense="max"``) forbids that combination: hard
constraints are infinite costs. Values are indices ``0 .. |D_i| - 1`` into the domain;
the domain's labels (``"R"``, ``3`` ...) ride along for files and printing.

:meth:`DCOP.to_program` compiles the exact 0-1 ILP (the local-marginal linearization):
one binary ``x[i, v]`` per variable value, one binary ``y[k, t]`` per entry ``t`` of each
table of arity >= 2,

    sum_v x[i, v] = 1                                  for every variable i
    sum_{t : t_p = v} y[k, t] = x[S_k[p], v]          for every table k, position p, value v
    y[k, t] = 0                                        where F_k(t) is infinite

with objective ``sum x[i, v] F_unary + sum y[k, t] F_k(t)``; unary tables go straight into
the cost of ``x``. Given a 0-1 ``x`` the marginal rows leave exactly one ``y[k, .]`` at 1,
so HiGHS and CP-SAT return the exact optimum.

References: A. Petcu and B. Faltings, "A scalable method for multiagent constraint
optimization", IJCAI 2005 (DPOP); A. Farinelli, A. Rogers, A. Petcu and N. R. Jennings,
"Decentralised coordination of low-power embedded devices using the max-sum algorithm",
AAMAS 2008; M. J. Wainwright and M. I. Jordan, "Graphical models, exponential families, and
variational inference" (2008), section 8.4 (the local marginal polytope).

>>> from allotment.models import DCOP
>>> d = DCOP([["R", "G"], ["R", "G"]],
...          [((0, 1), [[1, 0], [0, 1]]), ((0,), [0.5, 0])], variable_ids=["v1", "v2"])
>>> d.check([1, 0]).objective
0.0
>>> d.check([0, 0]).objective
1.5
>>> d.answer([1, 0]).as_dict()
{'v1': 'G', 'v2': 'R'}
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import Sense, as_ids, as_sense
from .base import CheckReport, Model, cached_program, register_kind
from .errors import InstanceError
from .program import Program, ProgramBuilder

__all__ = ["DCOP", "Factor", "DCOPAssignment", "FactorGroup"]

Label = Any  # str | int | float


@dataclass(frozen=True, eq=False)
class Factor:
    """A cost table over ``scope`` (variable indices); ``table.shape`` = their domain sizes."""

    scope: tuple[int, ...]
    table: np.ndarray
    name: str = ""

    @property
    def arity(self) -> int:
        return len(self.scope)


@dataclass(frozen=True, eq=False)
class FactorGroup:
    """All factors of one table shape, stacked: what vectorized solvers iterate over.

    ``scopes`` is ``(m, k)``, ``tables`` is ``(m, *shape)`` and ``index`` the factors'
    positions in :attr:`DCOP.factors`.
    """

    shape: tuple[int, ...]
    scopes: np.ndarray
    tables: np.ndarray
    index: np.ndarray

    @property
    def arity(self) -> int:
        return len(self.shape)


@dataclass(frozen=True, eq=False)
class DCOPAssignment:
    """A value for every variable: ``values[i]`` is an index into variable ``i``'s domain.

    >>> a = DCOPAssignment(np.array([1, 0]), (("R", "G"), ("R", "G")), ("v1", "v2"))
    >>> a.labels, a.as_dict()
    (('G', 'R'), {'v1': 'G', 'v2': 'R'})
    """

    values: np.ndarray
    domains: tuple[tuple[Label, ...], ...]
    variable_ids: tuple[str, ...]

    @property
    def labels(self) -> tuple[Label, ...]:
        """The domain label of each variable's value."""
        return tuple(self.domains[i][v] for i, v in enumerate(self.values.tolist()))

    def as_dict(self) -> dict[str, Label]:
        """``{variable_id: label}``."""
        return dict(zip(self.variable_ids, self.labels))

    def to_dict(self) -> dict[str, object]:
        return {"values": self.values.tolist(), "labels": self.as_dict()}


def _as_domains(domains: Any) -> tuple[tuple[Label, ...], ...]:
    if not isinstance(domains, Sequence) or isinstance(domains, (str, bytes)):
        raise InstanceError("must be a sequence with one domain (a size or a list of labels) per variable",
                            field="domains")
    out = []
    for i, dom in enumerate(domains):
        if isinstance(dom, (int, np.integer)) and not isinstance(dom, bool):
            if dom < 1:
                raise InstanceError(f"a domain size must be at least 1; got {dom}", field="domains", index=i)
            out.append(tuple(range(int(dom))))
            continue
        if isinstance(dom, (str, bytes)) or not isinstance(dom, (Sequence, np.ndarray)):
            raise InstanceError(f"must be a domain size or a list of labels; got {type(dom).__name__}",
                                field="domains", index=i)
        labels = tuple(x.item() if isinstance(x, np.generic) else x for x in dom)
        if not labels:
            raise InstanceError("a domain must have at least one value", field="domains", index=i)
        for lab in labels:
            if not isinstance(lab, (str, int, float)) or isinstance(lab, bool):
                raise InstanceError(f"labels must be strings or numbers; got {lab!r}", field="domains", index=i)
        if len(set(labels)) != len(labels):
            raise InstanceError(f"labels must be distinct; got {list(labels)}", field="domains", index=i)
        out.append(labels)
    if not out:
        raise InstanceError("a DCOP needs at least one variable", field="domains")
    return tuple(out)


@register_kind
class DCOP(Model):
    """Variables with finite domains, owners, and cost tables (see the module docstring).

    Parameters
    ----------
    domains : sequence, one entry per variable
        A domain size ``d`` (labels ``0 .. d-1``) or a list of distinct labels (str or number).
    factors : sequence of ``Factor`` or ``(scope, table)`` pairs
        ``scope``: variable indices or ids, no repeats; ``table``: array of shape
        ``(|D_scope[0]|, |D_scope[1]|, ...)``. ``+inf`` (``-inf`` when maximizing)
        forbids an entry; NaN and the opposite infinity are refused.
    sense : "min" or "max"
    variable_ids, factor_ids, agent_ids : names (default ``x0..``, ``f0..``, ``a0..``)
    owner : sequence (n_vars,) of agent indices or agent ids, ``-1`` / None = no owner
    name : str
    """

    kind = "dcop"
    tags = frozenset({"DCOP"})

    def __init__(
        self,
        domains: Any,
        factors: Sequence[Any] = (),
        *,
        sense: Sense | str = "min",
        variable_ids: Sequence[object] | None = None,
        factor_ids: Sequence[object] | None = None,
        agent_ids: Sequence[object] | None = None,
        owner: Sequence[object] | None = None,
        name: str = "dcop",
    ) -> None:
        self.domains = _as_domains(domains)
        n = len(self.domains)
        self.sense = as_sense(sense)
        self.variable_ids = as_ids(variable_ids, n, "variable_ids", "x")
        self.domain_sizes = np.array([len(d) for d in self.domains], dtype=np.int64)
        self.domain_sizes.setflags(write=False)
        self.name = name
        id_pos = {v: i for i, v in enumerate(self.variable_ids)}
        if isinstance(factors, (str, bytes)) or not isinstance(factors, Sequence):
            raise InstanceError("must be a sequence of (scope, table) pairs or Factor objects", field="factors")
        names = [f.name if isinstance(f, Factor) and f.name else None for f in factors]
        if factor_ids is not None:
            fids = as_ids(factor_ids, len(factors), "factor_ids", "f")
        else:
            fids = as_ids([nm if nm is not None else f"f{k}" for k, nm in enumerate(names)],
                          len(factors), "factors", "f")
        self.factors: tuple[Factor, ...] = tuple(
            self._factor(k, f, fids[k], id_pos) for k, f in enumerate(factors))
        self.factor_ids = fids
        self._set_agents(agent_ids, owner)

    # ------------------------------------------------------------ validation
    def _factor(self, k: int, f: Any, name: str, id_pos: Mapping[str, int]) -> Factor:
        if isinstance(f, Factor):
            scope_in, table_in = f.scope, f.table
        else:
            try:
                scope_in, table_in = f
            except (TypeError, ValueError):
                raise InstanceError("must be a (scope, table) pair or a Factor", field="factors", index=k) from None
        if isinstance(scope_in, (str, int, np.integer)):
            scope_in = (scope_in,)
        scope = []
        for p, v in enumerate(scope_in):
            if isinstance(v, str):
                if v not in id_pos:
                    raise InstanceError(f"scope names unknown variable {v!r}", field="factors", index=k)
                scope.append(id_pos[v])
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < len(self.domains):
                scope.append(int(v))
            else:
                raise InstanceError(f"scope entry {p} is {v!r}, not a variable index in [0, {len(self.domains)}) "
                                    f"or a variable id", field="factors", index=k)
        if len(set(scope)) != len(scope):
            raise InstanceError(f"scope {scope} repeats a variable", field="factors", index=k)
        try:
            table = np.array(table_in, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InstanceError(f"table must be an array of numbers; {exc}", field="factors", index=k) from None
        want = tuple(int(self.domain_sizes[i]) for i in scope)
        if table.shape != want:
            raise InstanceError(f"table must have shape {want} (the domain sizes of scope "
                                f"{[self.variable_ids[i] for i in scope]}); got {table.shape}",
                                field="factors", index=k)
        if np.isnan(table).any():
            at = tuple(int(i) for i in np.argwhere(np.isnan(table))[0])
            raise InstanceError(f"table entry {at} is NaN", field="factors", index=k)
        wrong = -np.inf if self.sense == "min" else np.inf
        if (table == wrong).any():
            at = tuple(int(i) for i in np.argwhere(table == wrong)[0])
            raise InstanceError(f"table entry {at} is {wrong}, which makes a {self.sense}imization unbounded; "
                                f"use {-wrong} to forbid a combination", field="factors", index=k)
        table.setflags(write=False)
        return Factor(tuple(scope), table, name)

    def _set_agents(self, agent_ids: Sequence[object] | None, owner: Sequence[object] | None) -> None:
        n = len(self.domains)
        if agent_ids is None and owner is not None:
            names = sorted({str(o) for o in owner if o is not None and not (isinstance(o, (int, np.integer))
                                                                              and o == -1)})
            if all(isinstance(o, (int, np.integer)) or o is None for o in owner):
                top = max([int(o) for o in owner if o is not None] + [-1])
                names = [f"a{i}" for i in range(top + 1)]
            agent_ids = names
        self.agent_ids = as_ids(agent_ids, len(agent_ids), "agent_ids", "a") if agent_ids is not None else ()
        pos = {a: i for i, a in enumerate(self.agent_ids)}
        own = np.full(n, -1, dtype=np.int64)
        if owner is not None:
            if len(owner) != n:
                raise InstanceError(f"must have {n} entries (one per variable); got {len(owner)}", field="owner")
            for i, o in enumerate(owner):
                if o is None or (isinstance(o, (int, np.integer)) and not isinstance(o, bool) and o == -1):
                    continue
                if isinstance(o, (int, np.integer)) and not isinstance(o, bool) and 0 <= o < len(self.agent_ids):
                    own[i] = int(o)
                elif str(o) in pos and not isinstance(o, (int, np.integer)):
                    own[i] = pos[str(o)]
                else:
                    raise InstanceError(f"{o!r} is not an agent index or id", field="owner", index=i)
        own.setflags(write=False)
        self.owner = own

    # ------------------------------------------------------------------ sizes
    @property
    def n_vars(self) -> int:
        return len(self.domains)

    @property
    def n_factors(self) -> int:
        return len(self.factors)

    @property
    def problem_class(self) -> str:
        return "MILP"

    def size_summary(self) -> dict[str, int]:
        arity = max((f.arity for f in self.factors), default=0)
        return {"variables": self.n_vars, "factors": self.n_factors, "max_arity": arity,
                "max_domain": int(self.domain_sizes.max()), "agents": len(self.agent_ids)}

    def is_forbidden(self, value: np.ndarray | float) -> np.ndarray:
        """True where a table value is the forbidding infinity of this model's sense."""
        return np.isinf(value)

    # ----------------------------------------------------------- grouped views
    def factor_groups(self) -> tuple[FactorGroup, ...]:
        """Factors stacked by table shape (cached): one array operation per group in solvers."""
        cached = self.__dict__.get("_groups")
        if cached is None:
            by_shape: dict[tuple[int, ...], list[int]] = {}
            for k, f in enumerate(self.factors):
                by_shape.setdefault(f.table.shape, []).append(k)
            groups = []
            for shape, ks in by_shape.items():
                idx = np.array(ks, dtype=np.int64)
                scopes = np.array([self.factors[k].scope for k in ks], dtype=np.int64).reshape(len(ks), len(shape))
                tables = np.stack([self.factors[k].table for k in ks]).reshape((len(ks), *shape))
                scopes.setflags(write=False)
                tables.setflags(write=False)
                groups.append(FactorGroup(shape, scopes, tables, idx))
            cached = tuple(groups)
            self.__dict__["_groups"] = cached
        return cached

    def unary_costs(self) -> np.ndarray:
        """``(n_vars, max_domain)``: the sum of all unary tables per variable value, padded with NaN."""
        dmax = int(self.domain_sizes.max())
        out = np.zeros((self.n_vars, dmax))
        out[np.arange(dmax)[None, :] >= self.domain_sizes[:, None]] = np.nan
        for g in self.factor_groups():
            if g.arity == 1:
                np.add.at(out[:, : g.shape[0]], g.scopes[:, 0], g.tables)
        return out

    # ----------------------------------------------------------------- graphs
    def constraint_graph(self) -> Any:
        """networkx Graph on variable indices; an edge joins two variables sharing a table.

        Node attribute ``id`` is the variable id; edge attribute ``factors`` lists table indices.
        """
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from((i, {"id": v}) for i, v in enumerate(self.variable_ids))
        for k, f in enumerate(self.factors):
            s = f.scope
            for a in range(len(s)):
                for b in range(a + 1, len(s)):
                    if g.has_edge(s[a], s[b]):
                        g.edges[s[a], s[b]]["factors"].append(k)
                    else:
                        g.add_edge(s[a], s[b], factors=[k])
        return g

    def factor_graph(self) -> Any:
        """networkx bipartite Graph: nodes ``("var", i)`` and ``("factor", k)``, edges = scopes.

        Node attributes: ``id`` (the name) and ``bipartite`` (0 variables, 1 factors).
        """
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from((("var", i), {"id": v, "bipartite": 0}) for i, v in enumerate(self.variable_ids))
        g.add_nodes_from((("factor", k), {"id": f, "bipartite": 1}) for k, f in enumerate(self.factor_ids))
        g.add_edges_from((("factor", k), ("var", i)) for k, f in enumerate(self.factors) for i in f.scope)
        return g

    # -------------------------------------------------------------- evaluation
    def evaluate(self, values: Any) -> float:
        """Total cost of an assignment (value indices); ``inf``/``-inf`` if a table forbids it."""
        vals = np.asarray(values, dtype=np.int64)
        total = 0.0
        for g in self.factor_groups():
            idx = (np.arange(len(g.index)),) + tuple(vals[g.scopes[:, p]] for p in range(g.arity))
            total += float(g.tables[idx].sum())
        return total

    def evaluate_many(self, values: np.ndarray) -> np.ndarray:
        """Costs of ``(batch, n_vars)`` assignments at once."""
        vals = np.asarray(values, dtype=np.int64)
        total = np.zeros(vals.shape[0])
        for g in self.factor_groups():
            idx = (np.arange(len(g.index))[None, :],) + tuple(vals[:, g.scopes[:, p]] for p in range(g.arity))
            total += g.tables[idx].sum(axis=1)
        return total

    def answer(self, values: Any) -> DCOPAssignment:
        """Wrap a vector of value indices as this model's answer type."""
        vals = np.asarray(values, dtype=np.int64).copy()
        vals.setflags(write=False)
        return DCOPAssignment(vals, self.domains, self.variable_ids)

    def answer_from_labels(self, labels: Mapping[str, Label]) -> DCOPAssignment:
        """The answer giving each variable id the domain label in ``labels``."""
        out = np.empty(self.n_vars, dtype=np.int64)
        for i, v in enumerate(self.variable_ids):
            if v not in labels:
                raise InstanceError(f"no value given for variable {v!r}", field="labels")
            try:
                out[i] = self.domains[i].index(labels[v])
            except ValueError:
                raise InstanceError(f"{labels[v]!r} is not in the domain {list(self.domains[i])} of {v!r}",
                                    field="labels") from None
        return self.answer(out)

    def check(self, answer: Any, tol: float = 1e-6) -> CheckReport:
        vec = answer.values if isinstance(answer, DCOPAssignment) else answer
        try:
            arr = np.asarray(vec)
        except Exception:  # noqa: BLE001 - an unconvertible object is not an answer
            return CheckReport(False, float("nan"), ("answer is not an array",))
        if arr.shape != (self.n_vars,):
            return CheckReport(False, float("nan"), (f"answer must have shape ({self.n_vars},); got {arr.shape}",))
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                return CheckReport(False, float("nan"), ("answer must hold whole value indices",))
        elif arr.dtype.kind not in "iu":
            return CheckReport(False, float("nan"), (f"answer must hold value indices; got dtype {arr.dtype}",))
        vals = arr.astype(np.int64)
        bad = np.flatnonzero((vals < 0) | (vals >= self.domain_sizes))
        if bad.size:
            i = int(bad[0])
            return CheckReport(False, float("nan"), (
                f"value {vals[i]} of variable {self.variable_ids[i]!r} (index {i}) is not in [0, {self.domain_sizes[i]})",))
        problems = []
        total = 0.0
        for g in self.factor_groups():
            idx = (np.arange(len(g.index)),) + tuple(vals[g.scopes[:, p]] for p in range(g.arity))
            costs = g.tables[idx]
            hard = np.flatnonzero(np.isinf(costs))
            for j in hard[:5]:
                k = int(g.index[j])
                problems.append(f"table {self.factor_ids[k]!r} (index {k}) forbids "
                                f"{ {self.variable_ids[i]: self.domains[i][vals[i]] for i in self.factors[k].scope} }")
            total += float(costs[np.isfinite(costs)].sum())
        if problems:
            total = np.inf if self.sense == "min" else -np.inf
        return CheckReport(not problems, float(total), tuple(problems))

    # ----------------------------------------------------------------- the ILP
    @cached_program
    def to_program(self) -> Program:
        n = self.n_vars
        sizes = self.domain_sizes
        x_off = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        total_x = int(sizes.sum())
        b = ProgramBuilder(self.sense, name=self.name)
        x_cost = np.zeros(total_x)
        x_hi = np.ones(total_x)
        # Unary tables: straight into the cost of x; a forbidden value fixes x to 0.
        for g in self.factor_groups():
            if g.arity == 0:
                b.c0 += float(g.tables.sum()) if np.isfinite(g.tables).all() else 0.0
                if not np.isfinite(g.tables).all():
                    x_hi[:] = 0.0  # a forbidding constant table: nothing is feasible
            elif g.arity == 1:
                cols = x_off[g.scopes[:, 0]][:, None] + np.arange(g.shape[0])[None, :]
                finite = np.isfinite(g.tables)
                np.add.at(x_cost, cols[finite], g.tables[finite])
                x_hi[cols[~finite]] = 0.0
        x = b.add_block("x", (total_x,), lo=0.0, hi=x_hi, integer=True, cost=x_cost)
        var_of = np.repeat(np.arange(n), sizes)
        b.add_rows_coo(var_of, x, np.ones(total_x), n, lo=1.0, hi=1.0, name="one_value")
        big = [g for g in self.factor_groups() if g.arity >= 2]
        if not big:
            return b.build()
        y_cost, y_hi, rows, cols, vals = [], [], [], [], []
        y_start = b.n_cols
        y_next = y_start
        row_next = 0
        for g in big:
            m, k, shape = len(g.index), g.arity, g.shape
            t = int(np.prod(shape))
            coords = np.indices(shape).reshape(k, t).T  # (t, k)
            marg = int(sum(shape))
            pos_off = np.concatenate([[0], np.cumsum(shape)[:-1]])  # row offset of position p
            tables = g.tables.reshape(m, t)
            finite = np.isfinite(tables)
            y_cost.append(np.where(finite, tables, 0.0).ravel())
            y_hi.append(finite.astype(float).ravel())
            ycol = y_next + np.arange(m * t).reshape(m, t)
            frow = row_next + np.arange(m) * marg  # first marginal row of each factor
            # y entries: factor f, entry t, position p -> row frow[f] + pos_off[p] + coords[t, p]
            r = frow[:, None, None] + (pos_off[None, :] + coords)[None, :, :]
            rows.append(r.ravel())
            cols.append(np.broadcast_to(ycol[:, :, None], (m, t, k)).ravel())
            vals.append(np.ones(m * t * k))
            # x entries: -x[scope[f, p], v] in row frow[f] + pos_off[p] + v
            v_of = np.concatenate([np.arange(s) for s in shape])
            p_of = np.repeat(np.arange(k), shape)
            rows.append((frow[:, None] + pos_off[p_of][None, :] + v_of[None, :]).ravel())
            cols.append((x_off[g.scopes[:, p_of]] + v_of[None, :]).ravel())
            vals.append(-np.ones(m * marg))
            y_next += m * t
            row_next += m * marg
        b.add_block("y", (y_next - y_start,), lo=0.0, hi=np.concatenate(y_hi), integer=True,
                    cost=np.concatenate(y_cost))
        b.add_rows_coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), row_next,
                       lo=0.0, hi=0.0, name="marginal")
        return b.build()

    def decode(self, x: np.ndarray) -> DCOPAssignment:
        sizes = self.domain_sizes
        xs = np.asarray(x, dtype=float)[: int(sizes.sum())]
        dmax = int(sizes.max())
        padded = np.full((self.n_vars, dmax), -np.inf)
        mask = np.arange(dmax)[None, :] < sizes[:, None]
        padded[mask] = xs
        return self.answer(np.argmax(padded, axis=1))

    # ------------------------------------------------------------------ files
    def to_data(self) -> dict[str, Any]:
        def entry(k: int, f: Factor) -> dict[str, Any]:
            flat = f.table.ravel()
            return {"name": self.factor_ids[k], "scope": [self.variable_ids[i] for i in f.scope],
                    "table": [None if np.isinf(v) else float(v) for v in flat.tolist()]}

        variables = []
        for i, v in enumerate(self.variable_ids):
            item: dict[str, Any] = {"name": v, "domain": list(self.domains[i])}
            if self.owner[i] >= 0:
                item["agent"] = self.agent_ids[self.owner[i]]
            variables.append(item)
        return {"name": self.name, "sense": self.sense, "agents": list(self.agent_ids), "variables": variables,
                "factors": [entry(k, f) for k, f in enumerate(self.factors)]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "DCOP":
        sense = as_sense(data.get("sense", "min"))
        forbid = np.inf if sense == "min" else -np.inf
        variables = data["variables"]
        var_ids = [v["name"] for v in variables]
        domains = [v["domain"] for v in variables]
        pos = {v: i for i, v in enumerate(var_ids)}
        factors = []
        for k, f in enumerate(data.get("factors") or []):
            scope = list(f["scope"])
            for v in scope:
                if v not in pos:
                    raise InstanceError(f"scope names unknown variable {v!r}", field="factors", index=k)
            shape = tuple(len(domains[pos[v]]) for v in scope)
            flat = np.array([forbid if t is None else t for t in f["table"]], dtype=float)
            if flat.size != int(np.prod(shape)):
                raise InstanceError(f"table must have {int(np.prod(shape))} entries (product of the domain sizes "
                                    f"{shape}, row-major); got {flat.size}", field="factors", index=k)
            factors.append(Factor(tuple(pos[v] for v in scope), flat.reshape(shape), f.get("name") or ""))
        owner = [v.get("agent") for v in variables]
        agents = data.get("agents")
        if agents is None and any(o is not None for o in owner):
            agents = sorted({o for o in owner if o is not None})
        return cls(domains, factors, sense=sense, variable_ids=var_ids, agent_ids=agents,
                   owner=owner if agents else None, name=data.get("name") or "dcop")


# ------------------------------------------------------------------ file schema
from typing import Literal, Optional, Union  # noqa: E402

from pydantic import BaseModel, ConfigDict  # noqa: E402

from .schemas import register_schema  # noqa: E402


class _DCOPVariable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    domain: list[Union[int, float, str]]
    agent: Optional[str] = None


class _DCOPFactor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[str] = None
    scope: list[str]
    #: row-major over the scope's domains; null = forbidden (an infinite cost)
    table: list[Optional[float]]


@register_schema("dcop")
class DCOPFile(BaseModel):
    """``variables`` (name, domain labels, optional agent) and ``factors`` (scope, row-major table)."""

    model_config = ConfigDict(extra="forbid")
    problem: Literal["dcop"]
    version: Literal[1] = 1
    name: Optional[str] = None
    sense: Literal["min", "max"] = "min"
    agents: Optional[list[str]] = None
    variables: list[_DCOPVariable]
    factors: list[_DCOPFactor] = []
