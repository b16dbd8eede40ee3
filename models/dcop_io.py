"""DCOP file formats: pyDCOP YAML and FRODO's XCSP 2.1 XML, read and written.

- **pyDCOP YAML** (``.yaml``/``.yml``): ``objective`` (min/max), ``domains`` (``values``
  a list or ``["0..5"]``), ``variables`` (``domain``, optional ``cost_function``),
  ``constraints`` (``type: intention`` with a ``function`` expression, or
  ``type: extensional`` with ``variables``, ``values: {cost: "a b | c d"}`` and an
  optional ``default``), ``agents`` (a list or a mapping) and
  ``distribution_hints.must_host`` (the owner of each variable). Expressions go through the
  whitelist evaluator :mod:`allotment.models.safe_eval`, never ``eval``.
- **XCSP 2.1** as used by FRODO (``.xml``): ``<domains>`` of integers (``1..3`` or a list),
  ``<variables>`` with ``agent``, ``<relations>`` with ``semantics`` ``soft`` (``cost: t|t``,
  ``defaultCost``, ``infinity``), ``supports`` or ``conflicts``, ``<predicates>`` and
  ``<functions>`` in XCSP functional syntax (``if(eq(X,Y),1,0)``), ``<constraints>``.

Both readers are registered with :func:`allotment.models.files.register_reader`, so
``allotment.models.load("graph.yaml")`` works. Files are data: parsed, never evaluated.

>>> text = '''
... objective: min
... domains: {colors: {values: [R, G]}}
... variables: {v1: {domain: colors}, v2: {domain: colors, cost_function: "0.5 if v2 == 'R' else 0"}}
... constraints: {c: {type: intention, function: "10 if v1 == v2 else 0"}}
... agents: [a1, a2]
... '''
>>> d = parse_pydcop_yaml(text)
>>> d.variable_ids, d.factor_ids
(('v1', 'v2'), ('cost_v2', 'c'))
>>> d.check(d.answer_from_labels({"v1": "R", "v2": "G"})).objective
0.0
>>> parse_pydcop_yaml(pydcop_yaml_text(d)).to_data()["factors"] == d.to_data()["factors"]
True
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .dcop import DCOP, Factor
from .errors import InstanceError
from .files import register_reader
from .safe_eval import compile_expression

__all__ = [
    "parse_pydcop_yaml", "read_pydcop_yaml", "pydcop_yaml_text", "write_pydcop_yaml",
    "parse_xcsp", "read_xcsp", "xcsp_text", "write_xcsp",
]

#: files larger than this are refused before parsing
MAX_FILE_BYTES = 50_000_000


def _read_text(path: str | Path) -> str:
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InstanceError(f"file is {size} bytes; at most {MAX_FILE_BYTES} are read", source=str(path))
    return path.read_text(encoding="utf-8")


# ===================================================================== pyDCOP YAML
def _domain_values(name: str, spec: Any) -> list[Any]:
    values = spec.get("values") if isinstance(spec, Mapping) else spec
    if not isinstance(values, list) or not values:
        raise InstanceError("must have a non-empty list `values`", field=f"domains.{name}")
    if len(values) == 1 and isinstance(values[0], str) and ".." in values[0]:
        lo, _, hi = values[0].partition("..")
        try:
            return list(range(int(lo), int(hi) + 1))
        except ValueError:
            raise InstanceError(f"range {values[0]!r} must be 'low..high' with whole numbers",
                                field=f"domains.{name}.values") from None
    for i, v in enumerate(values):
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise InstanceError(f"must be a string or a number; got {v!r}", field=f"domains.{name}.values", index=i)
    return values


def _cost_key(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise InstanceError(f"cost {value!r} is not a number", field=where)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InstanceError(f"cost {value!r} is not a number", field=where) from None


def _extensional(cname: str, c: Mapping[str, Any], var_pos: Mapping[str, int],
                 domains: Sequence[Sequence[Any]]) -> Factor:
    where = f"constraints.{cname}"
    names = c.get("variables")
    if isinstance(names, str):
        names = [names.strip()]
    if not isinstance(names, list) or not names:
        raise InstanceError("must name the constraint's variables", field=f"{where}.variables")
    for v in names:
        if v not in var_pos:
            raise InstanceError(f"unknown variable {v!r}", field=f"{where}.variables")
    scope = [var_pos[v] for v in names]
    shape = tuple(len(domains[i]) for i in scope)
    lookup = [{str(lab): j for j, lab in enumerate(domains[i])} for i in scope]
    default = c.get("default")
    table = np.full(shape, np.nan if default is None else _cost_key(default, f"{where}.default"))
    values = c.get("values") or {}
    if not isinstance(values, Mapping):
        raise InstanceError("must map each cost to its assignments", field=f"{where}.values")
    for cost, assigns in values.items():
        cval = _cost_key(cost, f"{where}.values")
        tuples = assigns.split("|") if isinstance(assigns, str) else [assigns]
        for t in tuples:
            tokens = t.split() if isinstance(t, str) else [t]
            if len(tokens) != len(scope):
                raise InstanceError(f"assignment {t!r} has {len(tokens)} value(s); the scope {names} has "
                                    f"{len(scope)}", field=f"{where}.values")
            idx = []
            for p, tok in enumerate(tokens):
                j = lookup[p].get(str(tok))
                if j is None:
                    raise InstanceError(f"{tok!r} is not in the domain {list(domains[scope[p]])} of {names[p]!r}",
                                        field=f"{where}.values")
                idx.append(j)
            table[tuple(idx)] = cval
    if np.isnan(table).any():
        at = tuple(int(i) for i in np.argwhere(np.isnan(table))[0])
        labels = " ".join(str(domains[scope[p]][j]) for p, j in enumerate(at))
        raise InstanceError(f"no cost for assignment {labels!r} and no `default`", field=where)
    return Factor(tuple(scope), table, cname)


def parse_pydcop_yaml(text: str, source: str = "<yaml>") -> DCOP:
    """Build a :class:`DCOP` from the text of a pyDCOP YAML file (see the module docstring)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InstanceError(f"malformed YAML{where}", source=source) from None
    try:
        return _pydcop_from_dict(data)
    except InstanceError as exc:
        raise exc.with_source(source) from None


def _pydcop_from_dict(data: Any) -> DCOP:
    if not isinstance(data, Mapping):
        raise InstanceError("must hold a YAML mapping with `domains`, `variables` and `constraints`")
    objective = data.get("objective", "min")
    if objective not in ("min", "max"):
        raise InstanceError(f"must be 'min' or 'max'; got {objective!r}", field="objective")
    if data.get("external_variables"):
        raise InstanceError("external variables (read-only sensors) are not supported; give them a one-value "
                            "domain instead", field="external_variables")
    dom_specs = data.get("domains") or {}
    if not isinstance(dom_specs, Mapping):
        raise InstanceError("must be a mapping of domain names", field="domains")
    doms = {str(k): _domain_values(str(k), v) for k, v in dom_specs.items()}
    var_specs = data.get("variables") or {}
    if not isinstance(var_specs, Mapping) or not var_specs:
        raise InstanceError("must be a non-empty mapping of variable names", field="variables")
    var_ids = [str(v) for v in var_specs]
    var_pos = {v: i for i, v in enumerate(var_ids)}
    domains: list[list[Any]] = []
    for v, spec in var_specs.items():
        dname = spec.get("domain") if isinstance(spec, Mapping) else None
        if dname not in doms:
            raise InstanceError(f"names domain {dname!r}, which is not in `domains` ({sorted(doms)})",
                                field=f"variables.{v}.domain")
        domains.append(doms[dname])
    dom_of = dict(zip(var_ids, domains))

    factors: list[Factor] = []
    taken = {str(c) for c in (data.get("constraints") or {})}
    for v, spec in var_specs.items():
        if isinstance(spec, Mapping) and spec.get("cost_function") is not None:
            expr = _expression(spec["cost_function"], var_ids, f"variables.{v}.cost_function")
            if set(expr.names) - {str(v)}:
                raise InstanceError(f"may only use its own variable {v!r}; uses {list(expr.names)}",
                                    field=f"variables.{v}.cost_function")
            name = f"cost_{v}"
            while name in taken:
                name = "_" + name
            taken.add(name)
            factors.append(Factor((var_pos[str(v)],), expr.table({str(v): dom_of[str(v)]}, [str(v)]), name))
    cons = data.get("constraints") or {}
    if not isinstance(cons, Mapping):
        raise InstanceError("must be a mapping of constraint names", field="constraints")
    for cname, c in cons.items():
        cname = str(cname)
        if not isinstance(c, Mapping):
            raise InstanceError("must be a mapping with `type`", field=f"constraints.{cname}")
        kind = c.get("type")
        if kind in ("intention", "intensional"):
            expr = _expression(c.get("function"), var_ids, f"constraints.{cname}.function")
            scope = sorted((var_pos[n] for n in expr.names), key=int)
            order = [var_ids[i] for i in scope]
            table = expr.table({n: dom_of[n] for n in order}, order)
            factors.append(Factor(tuple(scope), table, cname))
        elif kind == "extensional":
            factors.append(_extensional(cname, c, var_pos, domains))
        else:
            raise InstanceError(f"type must be 'intention' or 'extensional'; got {kind!r}",
                                field=f"constraints.{cname}.type")
    for f in factors:
        bad = np.isnan(f.table) if _is_extensional(cons, f.name) else ~np.isfinite(f.table)
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            where = {var_ids[i]: domains[i][j] for i, j in zip(f.scope, at)}
            raise InstanceError(f"evaluates to {f.table[at]} at {where} (a division by zero or an overflow?)",
                                field=f"constraints.{f.name}" if f.name in cons else "variables")

    agents_spec = data.get("agents") or []
    agent_ids = [str(a) for a in agents_spec] if isinstance(agents_spec, (list, Mapping)) else []
    owner: list[str | None] = [None] * len(var_ids)
    hints = (data.get("distribution_hints") or {}).get("must_host") or {}
    if isinstance(hints, Mapping):
        for agent, hosted in hints.items():
            if str(agent) not in agent_ids:
                raise InstanceError(f"names unknown agent {agent!r}", field="distribution_hints.must_host")
            for item in hosted or []:
                if item in var_pos:
                    owner[var_pos[item]] = str(agent)
    return DCOP(domains, factors, sense=objective, variable_ids=var_ids, agent_ids=agent_ids,
                owner=owner if agent_ids else None, name=str(data.get("name") or "dcop"))


def _is_extensional(cons: Mapping[str, Any], name: str) -> bool:
    c = cons.get(name)
    return isinstance(c, Mapping) and c.get("type") == "extensional"


def _expression(text: Any, var_ids: Sequence[str], where: str) -> Any:
    if not isinstance(text, (str, int, float)) or isinstance(text, bool):
        raise InstanceError("must be an expression (text)", field=where)
    try:
        return compile_expression(str(text), allowed_names=var_ids)
    except InstanceError as exc:
        raise InstanceError(exc.reason, field=where) from None


def read_pydcop_yaml(path: str | Path, **options: Any) -> DCOP:
    """Read a pyDCOP YAML file (``allotment.models.load`` calls this for .yaml/.yml)."""
    if options:
        raise TypeError(f"pyDCOP YAML files take no options; got {sorted(options)}")
    return parse_pydcop_yaml(_read_text(path), str(path))


def _safe_label(label: Any, where: str) -> None:
    if isinstance(label, str) and (not label or re.search(r"[\s|]", label)):
        raise InstanceError(f"label {label!r} cannot be written in pyDCOP's extensional form "
                            f"(no spaces or '|')", field=where)


def _cost_out(v: float) -> float | int:
    return int(v) if np.isfinite(v) and v == int(v) and abs(v) < 2**53 else float(v)


def pydcop_yaml_text(dcop: DCOP) -> str:
    """The pyDCOP YAML text of ``dcop``: every table as an extensional constraint."""
    dom_names: dict[tuple[Any, ...], str] = {}
    for dom in dcop.domains:
        if dom not in dom_names:
            dom_names[dom] = f"d{len(dom_names)}"
    out: dict[str, Any] = {"name": dcop.name, "objective": dcop.sense,
                           "domains": {nm: {"values": list(dom), "type": nm} for dom, nm in dom_names.items()},
                           "variables": {v: {"domain": dom_names[dcop.domains[i]]}
                                         for i, v in enumerate(dcop.variable_ids)}}
    cons: dict[str, Any] = {}
    for k, f in enumerate(dcop.factors):
        labs = [dcop.domains[i] for i in f.scope]
        for i in f.scope:
            for lab in dcop.domains[i]:
                _safe_label(lab, f"domains[{i}]")
        flat = f.table.ravel()
        counts = Counter(flat.tolist())
        default = max(counts, key=lambda c: (counts[c], -abs(c) if np.isfinite(c) else -np.inf))
        groups: dict[float, list[str]] = {}
        for t, cost in enumerate(flat.tolist()):
            if cost == default:
                continue
            idx = np.unravel_index(t, f.table.shape)
            groups.setdefault(cost, []).append(" ".join(str(labs[p][j]) for p, j in enumerate(idx)))
        entry: dict[str, Any] = {"type": "extensional",
                                 "variables": [dcop.variable_ids[i] for i in f.scope] if f.arity != 1
                                 else dcop.variable_ids[f.scope[0]],
                                 "default": _cost_out(default),
                                 "values": {_cost_out(c): " | ".join(ts) for c, ts in groups.items()}}
        cons[dcop.factor_ids[k]] = entry
    out["constraints"] = cons
    if dcop.agent_ids:
        out["agents"] = {a: {} for a in dcop.agent_ids}  # a mapping: older pyDCOP reads no list
        hosts: dict[str, list[str]] = {}
        for i, a in enumerate(dcop.owner.tolist()):
            if a >= 0:
                hosts.setdefault(dcop.agent_ids[a], []).append(dcop.variable_ids[i])
        if hosts:
            out["distribution_hints"] = {"must_host": hosts}
    return yaml.safe_dump(out, sort_keys=False, default_flow_style=None, width=1000)


def write_pydcop_yaml(dcop: DCOP, path: str | Path) -> None:
    """Write ``dcop`` as a pyDCOP YAML file that pyDCOP and :func:`read_pydcop_yaml` read."""
    Path(path).write_text(pydcop_yaml_text(dcop), encoding="utf-8")


# ======================================================================= XCSP 2.1
_FUNCTIONAL = {
    "neg": ("(-{0})", 1), "abs": ("abs({0})", 1), "add": ("({0} + {1})", 2), "sub": ("({0} - {1})", 2),
    "mul": ("({0} * {1})", 2), "div": ("({0} // {1})", 2), "mod": ("({0} % {1})", 2),
    "pow": ("({0} ** {1})", 2), "min": ("min({0}, {1})", 2), "max": ("max({0}, {1})", 2),
    "eq": ("({0} == {1})", 2), "ne": ("({0} != {1})", 2), "ge": ("({0} >= {1})", 2), "gt": ("({0} > {1})", 2),
    "le": ("({0} <= {1})", 2), "lt": ("({0} < {1})", 2), "not": ("(not {0})", 1),
    "and": ("(({0} != 0) and ({1} != 0))", 2), "or": ("(({0} != 0) or ({1} != 0))", 2),
    "xor": ("(({0} != 0) != ({1} != 0))", 2), "iff": ("(({0} != 0) == ({1} != 0))", 2),
    "if": ("({1} if {0} else {2})", 3),
}
_TOKEN = re.compile(r"\s*(?:(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\()|(\))|(,))")


def _functional_to_python(text: str, params: Mapping[str, str], where: str) -> str:
    """Translate XCSP functional syntax to the safe evaluator's syntax (formal -> actual names)."""
    pos = 0
    tokens: list[tuple[str, str]] = []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InstanceError(f"cannot read functional expression {text!r} at column {pos + 1}", field=where)
        kinds = ("num", "name", "(", ")", ",")
        for kind, val in zip(kinds, m.groups()):
            if val is not None:
                tokens.append((kind, val))
        pos = m.end()
    it = iter(tokens + [("end", "")])
    cur = [next(it)]

    def take() -> tuple[str, str]:
        tok = cur[0]
        cur[0] = next(it)
        return tok

    def expr(depth: int = 0) -> str:
        if depth > 100:
            raise InstanceError(f"functional expression {text[:40]!r}... is nested too deeply", field=where)
        kind, val = take()
        if kind == "num":
            return val
        if kind != "name":
            raise InstanceError(f"unexpected {val!r} in functional expression {text!r}", field=where)
        if cur[0][0] != "(":
            if val not in params:
                raise InstanceError(f"unknown parameter {val!r} in {text!r}", field=where)
            return params[val]
        if val not in _FUNCTIONAL:
            raise InstanceError(f"function {val!r} in {text!r} is not supported ({', '.join(_FUNCTIONAL)})",
                                field=where)
        take()
        args = [expr(depth + 1)]
        while cur[0][0] == ",":
            take()
            args.append(expr(depth + 1))
        if take()[0] != ")":
            raise InstanceError(f"missing ')' in functional expression {text!r}", field=where)
        form, n = _FUNCTIONAL[val]
        if len(args) != n:
            raise InstanceError(f"{val}() takes {n} argument(s); got {len(args)} in {text!r}", field=where)
        return form.format(*args)

    out = expr()
    if cur[0][0] != "end":
        raise InstanceError(f"trailing text after functional expression {text!r}", field=where)
    return out


def _xcsp_cost(tok: str, where: str) -> float:
    t = tok.strip().lower()
    if t in ("infinity", "+infinity", "inf"):
        return np.inf
    if t in ("-infinity", "-inf"):
        return -np.inf
    try:
        return float(t)
    except ValueError:
        raise InstanceError(f"cost {tok!r} is not a number or (-)infinity", field=where) from None


def _xcsp_domain(text: str, where: str) -> list[int]:
    values: list[int] = []
    for tok in (text or "").split():
        try:
            if ".." in tok:
                lo, _, hi = tok.partition("..")
                values.extend(range(int(lo), int(hi) + 1))
            else:
                values.append(int(tok))
        except ValueError:
            raise InstanceError(f"{tok!r} is not a whole number or a range a..b", field=where) from None
    if not values:
        raise InstanceError("is empty", field=where)
    return values


def parse_xcsp(text: str, source: str = "<xml>") -> DCOP:
    """Build a :class:`DCOP` from XCSP 2.1 (FRODO) XML text (see the module docstring)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InstanceError(f"malformed XML: {exc}", source=source) from None
    try:
        return _xcsp_from_tree(root)
    except InstanceError as exc:
        raise exc.with_source(source) from None


def _xcsp_from_tree(root: ET.Element) -> DCOP:
    if root.tag != "instance":
        raise InstanceError(f"root element must be <instance>; got <{root.tag}>")
    pres = root.find("presentation")
    maximize = pres is not None and pres.get("maximize", "false").lower() == "true"
    sense = "max" if maximize else "min"
    forbid = -np.inf if maximize else np.inf
    doms = {}
    for i, d in enumerate(root.findall("domains/domain")):
        doms[d.get("name")] = _xcsp_domain(d.text or "", f"domains[{i}]")
    agents = [a.get("name") for a in root.findall("agents/agent")]
    var_ids, domains, owner = [], [], []
    for i, v in enumerate(root.findall("variables/variable")):
        dname = v.get("domain")
        if dname not in doms:
            raise InstanceError(f"names domain {dname!r}, which is not declared", field="variables", index=i)
        var_ids.append(v.get("name"))
        domains.append(doms[dname])
        owner.append(v.get("agent"))
    var_pos = {v: i for i, v in enumerate(var_ids)}
    relations = {r.get("name"): r for r in root.findall("relations/relation")}
    functions = {f.get("name"): (f, "function") for f in root.findall("functions/function")}
    functions.update({p.get("name"): (p, "predicate") for p in root.findall("predicates/predicate")})
    factors = []
    for k, c in enumerate(root.findall("constraints/constraint")):
        cname = c.get("name") or f"c{k}"
        where = f"constraints.{cname}"
        scope_names = (c.get("scope") or "").split()
        for v in scope_names:
            if v not in var_pos:
                raise InstanceError(f"scope names unknown variable {v!r}", field=where)
        scope = [var_pos[v] for v in scope_names]
        ref = c.get("reference")
        if ref in relations:
            factors.append(Factor(tuple(scope), _xcsp_relation(relations[ref], scope, domains, forbid, where),
                                  cname))
        elif ref in functions:
            node, kind = functions[ref]
            formal = (node.findtext("parameters") or "").split()[1::2]  # "int X int Y"
            actual = (c.findtext("parameters") or "").split()
            if len(formal) != len(actual):
                raise InstanceError(f"{ref!r} takes {len(formal)} parameter(s); got {len(actual)}", field=where)
            alias = {v: f"_v{j}" for j, v in enumerate(scope_names)}
            params = {f: (alias[a] if a in alias else a) for f, a in zip(formal, actual)}
            for a in actual:
                if a not in alias and not re.fullmatch(r"-?\d+", a):
                    raise InstanceError(f"parameter {a!r} is neither a scope variable nor a whole number",
                                        field=where)
            body = node.findtext("expression/functional") or ""
            expr = compile_expression(_functional_to_python(body, params, where))
            order = [alias[v] for v in scope_names]
            table = expr.table({alias[v]: domains[var_pos[v]] for v in scope_names}, order)
            if kind == "predicate":
                table = np.where(table != 0, 0.0, forbid)
            factors.append(Factor(tuple(scope), table, cname))
        else:
            raise InstanceError(f"reference {ref!r} is not a declared relation, function or predicate", field=where)
    return DCOP(domains, factors, sense=sense, variable_ids=var_ids, agent_ids=agents or None,
                owner=owner if agents and any(o is not None for o in owner) else None,
                name=(pres.get("name") if pres is not None else None) or "dcop")


def _xcsp_relation(rel: ET.Element, scope: list[int], domains: list[list[int]], forbid: float,
                   where: str) -> np.ndarray:
    shape = tuple(len(domains[i]) for i in scope)
    if int(rel.get("arity", len(scope))) != len(scope):
        raise InstanceError(f"relation {rel.get('name')!r} has arity {rel.get('arity')}; the scope has "
                            f"{len(scope)} variables", field=where)
    semantics = rel.get("semantics", "soft")
    lookup = [{v: j for j, v in enumerate(domains[i])} for i in scope]
    if semantics == "soft":
        default = _xcsp_cost(rel.get("defaultCost", "infinity" if forbid > 0 else "-infinity"), where)
        listed = None
    elif semantics == "supports":
        default, listed = forbid, 0.0
    elif semantics == "conflicts":
        default, listed = 0.0, forbid
    else:
        raise InstanceError(f"relation semantics {semantics!r} is not soft, supports or conflicts", field=where)
    table = np.full(shape, default, dtype=float)
    cost = listed
    for piece in (rel.text or "").split("|"):
        if not piece.strip():
            continue
        if ":" in piece:
            head, _, piece = piece.partition(":")
            cost = _xcsp_cost(head, where)
        if cost is None:
            raise InstanceError(f"soft relation {rel.get('name')!r} lists a tuple before any 'cost:'", field=where)
        toks = piece.split()
        if len(toks) != len(scope):
            raise InstanceError(f"tuple {piece.strip()!r} has {len(toks)} values; arity is {len(scope)}", field=where)
        try:
            idx = tuple(lookup[p][int(t)] for p, t in enumerate(toks))
        except (KeyError, ValueError):
            raise InstanceError(f"tuple {piece.strip()!r} is outside the variables' domains", field=where) from None
        table[idx] = cost
    return table


def read_xcsp(path: str | Path, **options: Any) -> DCOP:
    """Read an XCSP 2.1 (FRODO) file (``allotment.models.load`` calls this for .xml)."""
    if options:
        raise TypeError(f"XCSP files take no options; got {sorted(options)}")
    return parse_xcsp(_read_text(path), str(path))


def _xcsp_cost_text(v: float) -> str:
    if np.isinf(v):
        return "infinity" if v > 0 else "-infinity"
    return str(_cost_out(v))


def xcsp_text(dcop: DCOP) -> str:
    """The XCSP 2.1 text of ``dcop`` (soft relations; FRODO reads it).

    XCSP domains are integers: a variable whose labels are not all whole numbers is
    written with the value indices ``0 .. d-1``.
    """
    root = ET.Element("instance")
    ET.SubElement(root, "presentation", name=dcop.name, maxConstraintArity=str(
        max((f.arity for f in dcop.factors), default=0)), maximize="true" if dcop.sense == "max" else "false",
        format="XCSP 2.1_FRODO")
    if dcop.agent_ids:
        ag = ET.SubElement(root, "agents", nbAgents=str(len(dcop.agent_ids)))
        for a in dcop.agent_ids:
            ET.SubElement(ag, "agent", name=a)

    def ints(dom: tuple[Any, ...]) -> list[int]:
        if all(isinstance(v, int) for v in dom):
            return list(dom)
        return list(range(len(dom)))

    dom_names: dict[tuple[int, ...], str] = {}
    for dom in dcop.domains:
        dom_names.setdefault(tuple(ints(dom)), f"d{len(dom_names)}")
    de = ET.SubElement(root, "domains", nbDomains=str(len(dom_names)))
    for dom, nm in dom_names.items():
        ET.SubElement(de, "domain", name=nm, nbValues=str(len(dom))).text = " ".join(map(str, dom))
    ve = ET.SubElement(root, "variables", nbVariables=str(dcop.n_vars))
    for i, v in enumerate(dcop.variable_ids):
        attrs = {"name": v, "domain": dom_names[tuple(ints(dcop.domains[i]))]}
        if dcop.owner[i] >= 0:
            attrs["agent"] = dcop.agent_ids[dcop.owner[i]]
        ET.SubElement(ve, "variable", attrs)
    re_ = ET.SubElement(root, "relations", nbRelations=str(dcop.n_factors))
    ce = ET.SubElement(root, "constraints", nbConstraints=str(dcop.n_factors))
    for k, f in enumerate(dcop.factors):
        vals = [ints(dcop.domains[i]) for i in f.scope]
        flat = f.table.ravel().tolist()
        counts = Counter(flat)
        default = max(counts, key=lambda c: counts[c])
        groups: dict[float, list[str]] = {}
        for t, cost in enumerate(flat):
            if cost != default:
                idx = np.unravel_index(t, f.table.shape)
                groups.setdefault(cost, []).append(" ".join(str(vals[p][j]) for p, j in enumerate(idx)))
        body = "|".join(f"{_xcsp_cost_text(c)}: " + "|".join(ts) for c, ts in groups.items())
        rname = f"r_{dcop.factor_ids[k]}"
        ET.SubElement(re_, "relation", name=rname, arity=str(f.arity), nbTuples=str(sum(map(len, groups.values()))),
                      semantics="soft", defaultCost=_xcsp_cost_text(default)).text = body
        ET.SubElement(ce, "constraint", name=dcop.factor_ids[k], arity=str(f.arity),
                      scope=" ".join(dcop.variable_ids[i] for i in f.scope), reference=rname)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def write_xcsp(dcop: DCOP, path: str | Path) -> None:
    """Write ``dcop`` as an XCSP 2.1 file (FRODO's input format)."""
    Path(path).write_text(xcsp_text(dcop), encoding="utf-8")


def _sniff_yaml(path: Path, head: str) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _sniff_xcsp(path: Path, head: str) -> bool:
    return path.suffix.lower() == ".xml" or "<instance" in head


register_reader("pydcop-yaml", read_pydcop_yaml, _sniff_yaml)
register_reader("xcsp", read_xcsp, _sniff_xcsp)
