"""pyDCOP YAML and XCSP 2.1 readers/writers: shared pyDCOP files, round trips, every error."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from allotment.models import DCOP, InstanceError, load
from allotment.models.dcop_io import (parse_pydcop_yaml, parse_xcsp, pydcop_yaml_text, write_pydcop_yaml,
                                      write_xcsp, xcsp_text)
from allotment.models.generators_dcop import meeting_scheduling, sensor_coverage


def known(shared_instances):
    folder = shared_instances / "dcop" / "pydcop"
    with open(folder / "known.csv") as fh:
        return [(folder / row["instance"], row["objective"], float(row["optimum"])) for row in csv.DictReader(fh)]


def test_every_shared_pydcop_file_loads(shared_instances) -> None:
    files = sorted((shared_instances / "dcop" / "pydcop").glob("*.y*ml"))
    assert len(files) >= 13
    for path in files:
        d = load(path)
        assert isinstance(d, DCOP) and d.n_vars >= 3, path.name


def test_pydcop_details(shared_instances) -> None:
    folder = shared_instances / "dcop" / "pydcop"
    d = load(folder / "graph_coloring1.yaml")
    assert d.variable_ids == ("v1", "v2", "v3") and d.domains[0] == ("R", "G")
    assert d.factor_ids == ("cost_v1", "cost_v2", "cost_v3", "diff_1_2", "diff_2_3")
    assert d.owner.tolist() == [0, 1, 2] and d.agent_ids[:3] == ("a1", "a2", "a3")
    tuto = load(folder / "graph_coloring_tuto.yaml")  # "3: G R | G G" style tuples
    assert tuto.factors[2].table.tolist() == [[5, 4], [3, 3]]
    assert tuto.check(tuto.answer_from_labels(dict(v1="G", v2="G", v3="G", v4="G"))).objective == 12
    assert load(folder / "graph_coloring_tuto_max.yaml").sense == "max"
    secp = load(folder / "secp_simple1.yaml")  # round() inside an intention constraint
    assert secp.factors[-2].scope == (0, 1, 2, 3)


@pytest.mark.parametrize("fmt", ["yaml", "xcsp"])
def test_round_trips_keep_the_tables(shared_instances, tmp_path, fmt) -> None:
    for path, _, _ in known(shared_instances):
        d = load(path)
        out = tmp_path / (path.stem + (".yaml" if fmt == "yaml" else ".xml"))
        (write_pydcop_yaml if fmt == "yaml" else write_xcsp)(d, out)
        back = load(out)
        assert back.sense == d.sense and back.variable_ids == d.variable_ids
        assert [f.scope for f in back.factors] == [f.scope for f in d.factors]
        for fa, fb in zip(d.factors, back.factors):
            np.testing.assert_array_equal(fa.table, fb.table)


def test_generated_models_round_trip_with_infinities() -> None:
    for d in (meeting_scheduling(4, 3, slots=3, seed=1), sensor_coverage(6, 3, seed=4)):
        for back in (parse_pydcop_yaml(pydcop_yaml_text(d)), parse_xcsp(xcsp_text(d))):
            for fa, fb in zip(d.factors, back.factors):
                np.testing.assert_array_equal(fa.table, fb.table)
        assert parse_pydcop_yaml(pydcop_yaml_text(d)).owner.tolist() == d.owner.tolist()


FRODO = """<instance>
  <presentation name="sample" maxConstraintArity="2" maximize="false" format="XCSP 2.1_FRODO" />
  <agents nbAgents="2"><agent name="a1" /><agent name="a2" /></agents>
  <domains nbDomains="1"><domain name="three" nbValues="3">1..3</domain></domains>
  <variables nbVariables="3">
    <variable name="X" domain="three" agent="a1" />
    <variable name="Y" domain="three" agent="a2" />
    <variable name="Z" domain="three" agent="a2" />
  </variables>
  <relations nbRelations="2">
    <relation name="NEQ" arity="2" nbTuples="3" semantics="soft" defaultCost="0">infinity: 1 1|2 2|3 3</relation>
    <relation name="PREF" arity="1" nbTuples="2" semantics="soft" defaultCost="5">1: 1|-2: 3</relation>
    <relation name="OK" arity="2" nbTuples="2" semantics="supports">1 2|2 3</relation>
  </relations>
  <functions nbFunctions="1">
    <function name="dist" return="int">
      <parameters>int A int B</parameters>
      <expression><functional>if(eq(A,B),10,abs(sub(A,B)))</functional></expression>
    </function>
  </functions>
  <constraints nbConstraints="4">
    <constraint name="c1" arity="2" scope="X Y" reference="NEQ" />
    <constraint name="c2" arity="1" scope="X" reference="PREF" />
    <constraint name="c3" arity="2" scope="Y Z" reference="dist"><parameters>Y Z</parameters></constraint>
    <constraint name="c4" arity="2" scope="X Z" reference="OK" />
  </constraints>
</instance>"""


def test_frodo_xcsp_features() -> None:
    d = parse_xcsp(FRODO)
    assert d.variable_ids == ("X", "Y", "Z") and d.domains[0] == (1, 2, 3) and d.owner.tolist() == [0, 1, 1]
    assert np.isinf(np.diag(d.factors[0].table)).all() and d.factors[0].table[0, 1] == 0
    assert d.factors[1].table.tolist() == [1, 5, -2]
    assert d.factors[2].table.tolist() == [[10, 1, 2], [1, 10, 1], [2, 1, 10]]
    assert d.factors[3].table[0, 1] == 0 and np.isinf(d.factors[3].table[0, 0])


@pytest.mark.parametrize("text, match", [
    ("objective: best\nvariables: {v: {domain: d}}\ndomains: {d: {values: [1]}}", "'min' or 'max'"),
    ("objective: min\ndomains: {d: {values: [1]}}\nvariables: {v: {domain: e}}", "names domain 'e'"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d}}\n"
     "constraints: {c: {type: intention, function: \"__import__('os')\"}}", "constraints.c.function.*__import__"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d}}\n"
     "constraints: {c: {type: intention, function: \"v + w\"}}", "unknown name 'w'"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d}}\n"
     "constraints: {c: {type: extensional, variables: [v], values: {3: '1'}}}", "no cost for assignment '2'"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d}}\n"
     "constraints: {c: {type: extensional, variables: [v], values: {3: '7'}}}", "'7' is not in the domain"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d}}\n"
     "constraints: {c: {type: extensional, variables: v, values: {x: '1'}, default: 0}}", "cost 'x' is not a number"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d}}\nconstraints: {c: {type: soft}}", "type must be"),
    ("domains: {d: {values: [1, 2]}}\nvariables: {v: {domain: d, cost_function: 'v / (v - 1)'}}", "NaN|inf"),
    ("domains: {d: {values: ['0..x']}}\nvariables: {v: {domain: d}}", "low..high"),
    ("variables: [unclosed", "malformed YAML"),
    ("domains: {d: {values: [1]}}\nvariables: {v: {domain: d}}\nexternal_variables: {e: {domain: d}}", "external"),
])
def test_pydcop_errors_name_the_place(text: str, match: str) -> None:
    with pytest.raises(InstanceError, match=match):
        parse_pydcop_yaml(text, "bad.yaml")


def test_range_domains_and_file_errors(tmp_path) -> None:
    d = parse_pydcop_yaml("domains: {d: {values: ['0..3']}}\nvariables: {v: {domain: d, cost_function: 'v * 2'}}")
    assert d.domains[0] == (0, 1, 2, 3) and d.factors[0].table.tolist() == [0, 2, 4, 6]
    bad = tmp_path / "bad.yaml"
    bad.write_text("domains: {d: {values: [1]}}\nvariables: {v: {domain: zz}}\n")
    with pytest.raises(InstanceError, match="bad.yaml: `variables.v.domain`"):
        load(bad)
    with pytest.raises(InstanceError, match="malformed XML"):
        parse_xcsp("<instance><oops></instance>")
    with pytest.raises(InstanceError, match="not supported"):
        parse_xcsp(FRODO.replace("if(eq(A,B)", "ifz(eq(A,B)"))
    with pytest.raises(InstanceError, match="outside the variables' domains"):
        parse_xcsp(FRODO.replace("1 2|2 3", "1 7"))
    with pytest.raises(InstanceError, match="cannot be written"):
        pydcop_yaml_text(DCOP([["a b", "c"]], [((0,), [0, 1])]))
