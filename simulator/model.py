"""The intended process as a small block structure, written out as BPMN 2.0.

A template declares its intended process with `Task`, `Seq`, `Xor` and `Loop`; the
writer turns that into a BPMN 2.0 file with exclusive gateways and a diagram
(shapes and edges), so it opens in any modeler and in `pm4py.read_bpmn`.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr


@dataclass(frozen=True)
class Task:
    name: str


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]

    def __init__(self, *items: Node) -> None:
        object.__setattr__(self, "items", tuple(items))


@dataclass(frozen=True)
class Xor:
    """Exactly one branch; an empty `Seq()` branch means the block may be skipped."""

    branches: tuple[Node, ...]

    def __init__(self, *branches: Node) -> None:
        object.__setattr__(self, "branches", tuple(branches))


@dataclass(frozen=True)
class Loop:
    """`body` once, then as often as wanted: `redo` (may be empty) and `body` again."""

    body: Node
    redo: Node | None = None


Node = Task | Seq | Xor | Loop


def Opt(node: Node) -> Xor:  # noqa: N802 - reads like the other constructors
    """`node` or nothing."""
    return Xor(node, Seq())


def activities(node: Node) -> list[str]:
    """Every task name in the model, in first-appearance order."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Task):
            if n.name not in out:
                out.append(n.name)
        elif isinstance(n, Seq):
            for i in n.items:
                walk(i)
        elif isinstance(n, Xor):
            for b in n.branches:
                walk(b)
        else:
            walk(n.body)
            if n.redo is not None:
                walk(n.redo)

    walk(node)
    return out


TASK_W, TASK_H, GW, EV, GAP = 120, 70, 50, 36, 40


class _Writer:
    """Builds the elements, flows and the diagram coordinates of one process."""

    def __init__(self) -> None:
        self.nodes: list[tuple[str, str, str | None]] = []  # (kind, id, name)
        self.flows: list[tuple[str, str, str]] = []  # (id, source, target)
        self.bounds: dict[str, tuple[int, int, int, int]] = {}
        self.waypoints: dict[str, list[tuple[int, int]]] = {}
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def element(self, kind: str, name: str | None, x: int, cy: int) -> str:
        w, h = {"task": (TASK_W, TASK_H), "exclusiveGateway": (GW, GW)}.get(kind, (EV, EV))
        eid = self._id({"task": "Activity", "exclusiveGateway": "Gateway"}.get(kind, "Event"))
        self.nodes.append((kind, eid, name))
        self.bounds[eid] = (x, cy - h // 2, w, h)
        return eid

    def flow(self, src: str, dst: str, via: list[tuple[int, int]] | None = None) -> None:
        fid = self._id("Flow")
        self.flows.append((fid, src, dst))
        sx, sy, sw, sh = self.bounds[src]
        dx, dy, dw, dh = self.bounds[dst]
        start = (sx + sw, sy + sh // 2)
        end = (dx, dy + dh // 2)
        if via:
            self.waypoints[fid] = list(via)
        else:
            pts = [start]
            if start[1] != end[1]:
                pts.append((start[0] + (end[0] - start[0]) // 2, start[1]))
                pts.append((start[0] + (end[0] - start[0]) // 2, end[1]))
            pts.append(end)
            self.waypoints[fid] = pts

    def size(self, node: Node) -> tuple[int, int]:
        """(width, height) the block needs."""
        if isinstance(node, Task):
            return TASK_W, TASK_H
        if isinstance(node, Seq):
            if not node.items:
                return 0, TASK_H
            sizes = [self.size(i) for i in node.items]
            return sum(w for w, _ in sizes) + GAP * (len(sizes) - 1), max(h for _, h in sizes)
        if isinstance(node, Xor):
            sizes = [self.size(b) for b in node.branches]
            return (2 * GW + 2 * GAP + max(w for w, _ in sizes), sum(h for _, h in sizes) + GAP * (len(sizes) - 1))
        bw, bh = self.size(node.body)
        rw, rh = self.size(node.redo) if node.redo is not None else (0, 0)
        return 2 * GW + 2 * GAP + max(bw, rw), bh + GAP + max(rh, 20)

    def place(self, node: Node, x: int, cy: int) -> tuple[str | None, str | None]:
        """Create the block with its left edge at x, centred on cy; return (entry, exit) ids."""
        if isinstance(node, Task):
            tid = self.element("task", node.name, x, cy)
            return tid, tid
        if isinstance(node, Seq):
            first = last = None
            for item in node.items:
                entry, exit_ = self.place(item, x, cy)
                if last is not None and entry is not None:
                    self.flow(last, entry)
                first = first or entry
                last = exit_ or last
                x += self.size(item)[0] + GAP
            return first, last
        if isinstance(node, Xor):
            width, height = self.size(node)
            split = self.element("exclusiveGateway", None, x, cy)
            join = self.element("exclusiveGateway", None, x + width - GW, cy)
            top = cy - height // 2
            for b in node.branches:
                bw, bh = self.size(b)
                bcy = top + bh // 2
                entry, exit_ = self.place(b, x + GW + GAP, bcy)
                if entry is None:
                    self.flow(split, join)
                else:
                    self.flow(split, entry)
                    self.flow(exit_, join)
                top += bh + GAP
            return split, join
        width, height = self.size(node)
        bh = self.size(node.body)[1]
        bcy = cy
        join = self.element("exclusiveGateway", None, x, cy)
        split = self.element("exclusiveGateway", None, x + width - GW, cy)
        entry, exit_ = self.place(node.body, x + GW + GAP, bcy)
        self.flow(join, entry)
        self.flow(exit_, split)
        below = cy + bh // 2 + GAP
        if node.redo is not None and self.size(node.redo)[0] > 0:
            rentry, rexit = self.place(node.redo, x + GW + GAP, below + self.size(node.redo)[1] // 2)
            self.flow(
                split,
                rentry,
                via=[
                    (x + width - GW // 2, cy + GW // 2),
                    (x + width - GW // 2, below + TASK_H // 2),
                    (x + GW + GAP + TASK_W, below + TASK_H // 2),
                ],
            )
            self.flow(
                rexit,
                join,
                via=[
                    (x + GW + GAP, below + TASK_H // 2),
                    (x + GW // 2, below + TASK_H // 2),
                    (x + GW // 2, cy + GW // 2),
                ],
            )
        else:
            self.flow(
                split,
                join,
                via=[
                    (x + width - GW // 2, cy + GW // 2),
                    (x + width - GW // 2, below),
                    (x + GW // 2, below),
                    (x + GW // 2, cy + GW // 2),
                ],
            )
        return join, split


def to_bpmn(process_id: str, name: str, model: Node) -> str:
    """BPMN 2.0 XML (with diagram interchange) of the intended process."""
    w = _Writer()
    width, height = w.size(model)
    cy = 60 + height // 2
    start = w.element("startEvent", "Start", 20, cy)
    entry, exit_ = w.place(model, 20 + EV + GAP, cy)
    end = w.element("endEvent", "Slut", 20 + EV + GAP + width + GAP, cy)
    w.flow(start, entry)
    w.flow(exit_, end)
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for fid, s, t in w.flows:
        outgoing.setdefault(s, []).append(fid)
        incoming.setdefault(t, []).append(fid)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        f'id="Definitions_{process_id}" targetNamespace="https://vaerdistrom.dk/bpmn" '
        'exporter="vaerdistrom simulate" exporterVersion="1">',
        f'  <bpmn:process id="Process_{process_id}" name={quoteattr(name)} isExecutable="false">',
    ]
    for kind, eid, label in w.nodes:
        attrs = f' id="{eid}"' + (f" name={quoteattr(label)}" if label else "")
        if kind == "exclusiveGateway":
            attrs += ' gatewayDirection="{}"'.format("Diverging" if len(outgoing.get(eid, [])) > 1 else "Converging")
        lines.append(f"    <bpmn:{kind}{attrs}>")
        lines += [f"      <bpmn:incoming>{f}</bpmn:incoming>" for f in incoming.get(eid, [])]
        lines += [f"      <bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing.get(eid, [])]
        lines.append(f"    </bpmn:{kind}>")
    for fid, s, t in w.flows:
        lines.append(f'    <bpmn:sequenceFlow id="{fid}" sourceRef="{s}" targetRef="{t}" />')
    lines.append("  </bpmn:process>")
    lines.append(f'  <bpmndi:BPMNDiagram id="Diagram_{process_id}">')
    lines.append(f'    <bpmndi:BPMNPlane id="Plane_{process_id}" bpmnElement="Process_{process_id}">')
    for _, eid, _ in w.nodes:
        x, y, bw, bh = w.bounds[eid]
        lines.append(f'      <bpmndi:BPMNShape id="{eid}_di" bpmnElement="{eid}">')
        lines.append(f'        <dc:Bounds x="{x}" y="{y}" width="{bw}" height="{bh}" />')
        lines.append("      </bpmndi:BPMNShape>")
    for fid, _, _ in w.flows:
        lines.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">')
        lines += [f'        <di:waypoint x="{px}" y="{py}" />' for px, py in w.waypoints[fid]]
        lines.append("      </bpmndi:BPMNEdge>")
    lines += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(lines)
