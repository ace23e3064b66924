"""The guard's reader of ClickHouse's graph dump refuses a forged one (the guard's verdicts on
hostile and valid queries are asked of ClickHouse in tests/integration/engine)."""

from __future__ import annotations

import pytest

from paid_dbapi._engine.guard import (
    GuardError,
    _tree,
)


def test_the_graph_dump_cannot_be_forged() -> None:
    head, tail = 'digraph {\n    rankdir="UD";\n', "}\n"
    good = '    n1[label="SelectWithUnionQuery (children 1)"];\n    n2[label="ExpressionList"];\n'
    assert _tree(head + good + "    n1 -> n2;\n" + tail).children[0].kind == "ExpressionList"
    for bad in [
        good + '    n1 -> n2;\n    n3[label="Function file"];\n',  # a second root
        good + "    n1 -> n2;\n    n1 -> n2;\n",  # a node with two parents
        good + "    n1 -> n9;\n",  # an edge to an unknown node
        good,  # a child count that disagrees
        good + '    n1 -> n2;\nc)"];\n',  # a line that is neither a node nor an edge
        good + '    n1 -> n2;\n    n2[label="Literal 1"];\n',  # a node declared twice
        good + '    n1 -> n2;\n    n3[label="A"];\n    n4[label="B"];\n    n3 -> n4;\n'
        "    n4 -> n3;\n",  # a cycle out of the root's reach
    ]:
        with pytest.raises(GuardError):
            _tree(head + bad + tail)
