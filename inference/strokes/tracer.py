"""Geometric tracer: ink mask -> pen strokes ordered and directed like writing.

The fallback for words the model gets wrong and the way drawings become strokes. Steps:
  1. clean the mask (drop specks, fill pin holes -- not the small loops of letters), thin it to a
     one-pixel centre line (Guo-Hall two-subiteration thinning as a 256-entry lookup table, numpy +
     cv2.filter2D; staircase corners removed);
  2. build a graph: endpoints and junction clusters are nodes, the pixel paths between them are edges;
  3. cusps: a 'v' thins to a 'Y' with a short spur into the tip; the arms are joined through the tip;
  4. prune: spurs whose tip lies inside the junction's maximal disk (thinning artefacts), clumps at
     sharp apexes, junction pairs a hair apart (one crossing);
  5. pair the edges meeting at a junction by direction continuity (the pen goes straight through a
     crossing) and chain them into strokes; leftover closed chains become loops;
  6. smooth (cusp tips stay sharp), fit open ends half a pen width inside the ink's edge, add rim
     strokes for blobs wider than the pen, fold tiny fragments into their neighbours, simplify;
  7. direct (left to right, or top to bottom when steep; loops counter-clockwise from the top like an
     'o') and order (lines top to bottom, pieces of ink left to right, strokes by their left edge).
Coordinates are continuous mask coordinates: pixel (row r, col c) has its centre at (c + 0.5, r + 0.5).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..document.ink import Stroke
from ..document.render import draw_strokes_mask
from ..photo import inkmask
from .fidelity import default_tolerance
from .refine import synth_timestamps
from .skeleton import OFFSETS, clean_mask, fill_pinholes, pixel_index, rdp, thin
from .style import estimate_style, estimate_width, ink_distance

# ---------------------------------------------------------------------------------------------------
# graph


@dataclass
class _Edge:
    pts: np.ndarray  # (k, 2) float64, from node a to node b
    a: int  # node ids; -1 for an isolated cycle
    b: int
    comp: int  # skeleton component
    alive: bool = True

    _len: float = -1.0
    _len_of: object = None

    @property
    def length(self) -> float:
        if self._len_of is not self.pts:  # cached until pts is replaced
            d = np.diff(self.pts, axis=0)
            self._len = float(np.hypot(d[:, 0], d[:, 1]).sum()) if len(self.pts) > 1 else 0.0
            self._len_of = self.pts
        return self._len


@dataclass
class _Graph:
    pos: list  # node positions (x, y)
    is_junction: list
    node_dist: list  # distance-to-paper at the node (half width there)
    edges: list = field(default_factory=list)
    dots: list = field(default_factory=list)  # (x, y, comp)
    pins: list = field(default_factory=list)  # cusp tips: points smoothing must not round off

    def degree(self) -> np.ndarray:
        deg = np.zeros(len(self.pos), int)
        for e in self.edges:
            if e.alive and e.a >= 0:
                deg[e.a] += 1
                deg[e.b] += 1
        return deg

    def incidence(self) -> dict[int, list]:
        """node -> edges touching it (may go stale: filter with :func:`_live`)."""
        inc: dict[int, list] = {}
        for e in self.edges:
            if e.alive and e.a >= 0:
                inc.setdefault(e.a, []).append(e)
                if e.b != e.a:
                    inc.setdefault(e.b, []).append(e)
        return inc


def _live(inc: dict[int, list], v: int) -> list:
    """The alive edges still touching v (each once)."""
    out, seen = [], set()
    for e in inc.get(v, ()):
        if e.alive and (e.a == v or e.b == v) and id(e) not in seen:
            seen.add(id(e))
            out.append(e)
    return out


def _build_graph(skel: np.ndarray, dist: np.ndarray) -> _Graph:
    ys, xs = np.nonzero(skel)
    n = len(ys)
    h, w = skel.shape
    ids = np.full((h + 2, w + 2), -1, np.int64)
    ids[ys + 1, xs + 1] = np.arange(n)
    nb = np.stack([ids[ys + 1 + dy, xs + 1 + dx] for dy, dx in OFFSETS], axis=1)  # (n, 8)
    deg = (nb >= 0).sum(axis=1)
    _ncomp, comp_lab = cv2.connectedComponents(skel.astype(np.uint8), connectivity=8)
    comp = comp_lab[ys, xs]

    junction = deg >= 3
    jmask = np.zeros((h, w), np.uint8)
    jmask[ys[junction], xs[junction]] = 1
    nj, jlab = cv2.connectedComponents(jmask, connectivity=8)
    cluster = np.full(n, -1, np.int64)
    cluster[junction] = jlab[ys[junction], xs[junction]] - 1
    g = _Graph(pos=[], is_junction=[], node_dist=[])
    centre = np.column_stack([xs + 0.5, ys + 0.5]).astype(np.float64)
    for j in range(nj - 1):
        sel = cluster == j
        g.pos.append(centre[sel].mean(axis=0))
        g.is_junction.append(True)
        g.node_dist.append(float(dist[ys[sel], xs[sel]].max()))
    node_of = cluster.copy()  # pixel -> node id (junction pixels and endpoints)
    for i in np.nonzero(deg == 1)[0]:
        node_of[i] = len(g.pos)
        g.pos.append(centre[i])
        g.is_junction.append(False)
        g.node_dist.append(float(dist[ys[i], xs[i]]))
    for i in np.nonzero(deg == 0)[0]:
        g.dots.append((centre[i, 0], centre[i, 1], int(comp[i])))

    nbl = nb.tolist()
    degl = deg.tolist()
    visited = np.zeros(n, bool)
    visited[junction] = True

    def walk(start_node: int, first: int, prev: int) -> None:
        path = [first]
        visited[first] = True
        cur = first
        end_node = -1
        while True:
            if degl[cur] == 1 and (cur != first or prev >= 0):
                end_node = int(node_of[cur])
                break
            nxt = [q for q in nbl[cur] if q >= 0 and q != prev]
            jn = [q for q in nxt if junction[q]]
            if jn:
                end_node = int(cluster[jn[0]])
                break
            q = next((q for q in nxt if not visited[q]), None)
            if q is None:  # ran into walked pixels (odd blobs only): stop here
                break
            prev, cur = cur, q
            visited[cur] = True
            path.append(cur)
        pts = centre[path]
        if start_node >= 0 and g.is_junction[start_node]:
            pts = np.vstack([g.pos[start_node], pts])
        if end_node >= 0 and g.is_junction[end_node]:
            pts = np.vstack([pts, g.pos[end_node]])
        if end_node < 0:  # give the loose end its own node
            end_node = len(g.pos)
            g.pos.append(pts[-1])
            g.is_junction.append(False)
            g.node_dist.append(0.0)
        g.edges.append(_Edge(pts, start_node, end_node, int(comp[first])))

    # edges leaving junctions
    for jp in np.nonzero(junction)[0]:
        for q in nbl[jp]:
            if q >= 0 and not junction[q] and not visited[q]:
                walk(int(cluster[jp]), q, int(jp))
    # open paths between two endpoints
    for i in np.nonzero(deg == 1)[0]:
        if not visited[i]:
            walk(int(node_of[i]), int(i), -1)
    # isolated cycles
    for i in np.nonzero((deg == 2) & ~visited)[0]:
        if visited[i]:
            continue
        path = [int(i)]
        visited[i] = True
        prev, cur = -1, int(i)
        while True:
            nxt = [q for q in nbl[cur] if q >= 0 and q != prev and not visited[q]]
            if not nxt:
                break
            prev, cur = cur, nxt[0]
            visited[cur] = True
            path.append(cur)
        pts = centre[path]
        pts = np.vstack([pts, pts[:1]])
        g.edges.append(_Edge(pts, -1, -1, int(comp[i])))
    # junction clusters with two adjacent junction pixels only inside them need nothing else
    return g


# ---------------------------------------------------------------------------------------------------
# pruning


def _merge_degree2(g: _Graph) -> bool:
    """Join the two edges at a node left with exactly two (after pruning)."""
    changed = False
    deg = g.degree()
    inc = g.incidence()
    for v in np.nonzero(deg == 2)[0]:
        es = _live(inc, int(v))
        if len(es) == 1 and es[0].a == es[0].b == v:  # a lone self-loop: an isolated cycle
            es[0].a = es[0].b = -1
            changed = True
            continue
        if len(es) != 2:
            continue
        e1, e2 = es
        p1 = e1.pts if e1.b == v else e1.pts[::-1]
        p2 = e2.pts if e2.a == v else e2.pts[::-1]
        a = e1.a if e1.b == v else e1.b
        b = e2.b if e2.a == v else e2.a
        e1.pts = np.vstack([p1, p2[1:]])
        e1.a, e1.b = a, b
        e2.alive = False
        inc.setdefault(b, []).append(e1)
        if a == v and b == v:  # should not happen
            e1.a = e1.b = -1
        changed = True
    return changed


def _prune(g: _Graph, w: float) -> None:
    margin = max(1.0, 0.25 * w)
    for _ in range(20):
        changed = False
        deg = g.degree()
        # 1. spurs: an endpoint edge whose tip disk lies inside the junction's maximal disk (plus a
        #    margin) adds no ink of its own -- a thinning artefact at a corner of the outline. Shortest
        #    first, and never below degree 2 at the junction. (Loops are never pruned: thinning keeps
        #    topology, so every loop surrounds a hole that clean_mask chose to keep.)
        spurs = []
        for e in g.edges:
            if not e.alive or e.a < 0:
                continue
            for end, other in ((e.a, e.b), (e.b, e.a)):
                if deg[end] == 1 and not g.is_junction[end] and g.is_junction[other] and deg[other] >= 3:
                    tip_r = g.node_dist[end]
                    if e.length + tip_r <= g.node_dist[other] + margin:
                        spurs.append((e.length, e, other))
                    break
        for _, e, other in sorted(spurs, key=lambda t: t[0]):
            if deg[other] >= 3 and e.alive:
                e.alive = False
                deg[other] -= 1
                deg[e.a if e.b == other else e.b] -= 1
                changed = True
        # 2. a "loop" too short to go round even a one-pixel hole is a clump of centre-line pixels
        #    (a sharp apex thins to a little triangle)
        for e in g.edges:
            if e.alive and e.a >= 0 and e.a == e.b and e.length < 4.0 and deg[e.a] >= 3:
                e.alive = False
                deg[e.a] -= 2
                changed = True
        # 3. two junctions a hair apart are one crossing: contract the short edge between them
        inc = g.incidence()
        for e in g.edges:
            if not (e.alive and e.a >= 0 and e.a != e.b):
                continue
            if g.is_junction[e.a] and g.is_junction[e.b] and e.length < max(2.0, 0.75 * w):
                keep, gone = e.a, e.b
                newpos = (np.asarray(g.pos[keep]) + np.asarray(g.pos[gone])) / 2
                e.alive = False
                for f in _live(inc, keep) + _live(inc, gone):
                    if len(f.pts) > 1 and f.a in (keep, gone):
                        f.pts = np.vstack([newpos, f.pts[1:]])
                    if len(f.pts) > 1 and f.b in (keep, gone):
                        f.pts = np.vstack([f.pts[:-1], newpos])
                    if f.a == gone:
                        f.a = keep
                    if f.b == gone:
                        f.b = keep
                inc.setdefault(keep, []).extend(inc.get(gone, []))
                g.pos[keep] = newpos
                g.node_dist[keep] = max(g.node_dist[keep], g.node_dist[gone])
                changed = True
        if _merge_degree2(g):
            changed = True
        if not changed:
            break


def _cut_near(pts: np.ndarray, centre: np.ndarray, r: float) -> np.ndarray:
    """Drop the trailing points of ``pts`` within ``r`` of ``centre`` (keep at least one)."""
    d = np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])
    k = len(pts)
    while k > 1 and d[k - 1] <= r:
        k -= 1
    return pts[:k]


def _resolve_cusps(g: _Graph, w: float, mask: np.ndarray) -> None:
    """A 'v' or the foot of an 'N' thins to a Y: two arms and a short spur into the sharp tip. The pen
    drew arm, tip, arm in one go: join the arms through the tip (moved out to half a pen width from the
    ink's edge) and drop the spur."""
    deg = g.degree()
    inc = g.incidence()
    for v in np.nonzero(deg == 3)[0]:
        v = int(v)
        if not g.is_junction[v]:
            continue
        es = _live(inc, v)
        if len(es) != 3 or any(e.a == e.b for e in es):
            continue

        def away(e, v=v):  # points of e starting at v
            return e.pts if e.a == v else e.pts[::-1]

        def far(e, v=v):
            return e.b if e.a == v else e.a

        spurs = [e for e in es if not g.is_junction[far(e)] and deg[far(e)] == 1 and e.length <= 3.0 * w + 2.0]
        if not spurs:
            continue
        sp = min(spurs, key=lambda e: e.length)
        ea, eb = [e for e in es if e is not sp]
        d_s = _end_direction(away(sp), w)
        d_a = _end_direction(away(ea), w)
        d_b = _end_direction(away(eb), w)
        # both arms leave on the far side of the tip (within ~50 degrees), the opening under ~110
        if not (d_a @ d_s < -0.6 and d_b @ d_s < -0.6 and d_a @ d_b > -0.35):
            continue
        centre = np.asarray(g.pos[v])
        r = max(1.0, g.node_dist[v])
        pa = _cut_near(away(ea)[::-1], centre, r)  # ends near v
        pb = _cut_near(away(eb)[::-1], centre, r)[::-1]  # starts near v
        tip = _fit_end(away(sp), mask, w)[-1]
        far_a, far_b = far(ea), far(eb)
        ea.pts = np.vstack([pa, tip, pb])
        ea.a, ea.b = far_a, far_b
        eb.alive = False
        sp.alive = False
        inc.setdefault(far_b, []).append(ea)
        deg[v] = 0
        g.pins.append(np.array(tip, np.float64))


# ---------------------------------------------------------------------------------------------------
# chaining


def _end_direction(pts: np.ndarray, w: float) -> np.ndarray:
    """Unit direction in which a path leaves its first point (measured a little away from the junction,
    where thinning bends the centre line)."""
    far_max = max(3.0, 2.5 * w)
    head = pts[: int(2.0 * far_max) + 3]  # centre-line paths have a point every 0.5-1.5 px
    d = np.diff(head, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(d[:, 0], d[:, 1]))])
    total = s[-1]
    if total <= 1e-9:
        return np.zeros(2)
    far = min(total, far_max)
    near = min(0.5 * w, 0.3 * far)
    v = _at(far, s, head) - _at(near, s, head)
    nrm = math.hypot(v[0], v[1])
    return v / nrm if nrm > 1e-9 else np.zeros(2)


def _at(x: float, s: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Point at arc length x along pts (s = cumulative arc length)."""
    i = int(np.searchsorted(s, x, side="right")) - 1
    if i >= len(s) - 1:
        return pts[-1]
    i = max(i, 0)
    span = s[i + 1] - s[i]
    t = 0.0 if span <= 0 else (x - s[i]) / span
    return pts[i] + t * (pts[i + 1] - pts[i])


def _chains(g: _Graph, w: float, max_turn_deg: float) -> list[tuple[np.ndarray, bool, int]]:
    """Strokes as (points, closed, component): edges paired through junctions by direction continuity."""
    edges = [e for e in g.edges if e.alive]
    # edge-end k = 2 * edge index + side (0: at a, 1: at b)
    at_node: dict[int, list[int]] = {}
    for i, e in enumerate(edges):
        if e.a >= 0:
            at_node.setdefault(e.a, []).append(2 * i)
            at_node.setdefault(e.b, []).append(2 * i + 1)
    partner: dict[int, int] = {}
    cos_limit = -math.cos(math.radians(max_turn_deg))  # outgoing directions must be this opposite
    for v, ends in at_node.items():
        if len(ends) < 2 or not g.is_junction[v]:
            continue
        dirs = {}
        for k in ends:
            e = edges[k // 2]
            dirs[k] = _end_direction(e.pts if k % 2 == 0 else e.pts[::-1], w)
        pairs = sorted(
            (float(dirs[a] @ dirs[b]), a, b) for ai, a in enumerate(ends) for b in ends[ai + 1:]
        )
        for c, a, b in pairs:
            if c > cos_limit:
                break
            if a in partner or b in partner:
                continue
            partner[a] = b
            partner[b] = a
        # no straight way on for two or more ends (an arrowhead's tip, a 'v' meeting a third line):
        # the pen turned there, so join the widest-open pair as a cusp rather than end them all
        for _c, a, b in pairs:
            if a not in partner and b not in partner:
                partner[a] = b
                partner[b] = a

    used = [False] * len(edges)
    out: list[tuple[np.ndarray, bool, int]] = []

    def follow(k: int) -> tuple[np.ndarray, bool]:
        """Walk from edge-end k through the pairings; returns the points and whether it closed."""
        parts = []
        start = k
        closed = False
        while True:
            i, side = divmod(k, 2)
            used[i] = True
            e = edges[i]
            p = e.pts if side == 0 else e.pts[::-1]
            parts.append(p if not parts else p[1:])
            other = 2 * i + (1 - side)
            nxt = partner.get(other)
            if nxt is None:
                break
            if nxt == start:
                closed = True
                break
            if used[nxt // 2]:
                break
            k = nxt
        return np.vstack(parts), closed

    # open chains start at an end nobody continues from
    for i, e in enumerate(edges):
        if used[i] or e.a < 0:
            continue
        for k in (2 * i, 2 * i + 1):
            if k not in partner and not used[i]:
                pts, _ = follow(k)
                out.append((pts, False, e.comp))
    # what is left is closed: isolated cycles and loops of paired edges
    for i, e in enumerate(edges):
        if used[i]:
            continue
        if e.a < 0:
            used[i] = True
            out.append((e.pts, True, e.comp))
            continue
        pts, closed = follow(2 * i)
        out.append((pts, closed, e.comp))
    for x, y, c in g.dots:
        out.append((np.array([[x, y]], np.float64), False, c))
    return out


# ---------------------------------------------------------------------------------------------------
# polishing


def _smooth(pts: np.ndarray, closed: bool, sigma: float) -> np.ndarray:
    if len(pts) < 3 or sigma <= 0:
        return pts
    r = max(1, round(2.5 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    if closed:
        body = pts[:-1] if _same(pts[0], pts[-1]) else pts
        if len(body) < 3:
            return pts
        padded = np.concatenate([body[-r:], body, body[:r]])
        sm = np.column_stack([np.convolve(padded[:, i], k, mode="valid") for i in (0, 1)])
        return np.vstack([sm, sm[:1]])
    # open: reflect about the ends so they stay put
    pre = 2 * pts[0] - pts[1:r + 1][::-1]
    post = 2 * pts[-1] - pts[-r - 1:-1][::-1]
    if len(pre) < r or len(post) < r:
        return pts
    padded = np.concatenate([pre, pts, post])
    sm = np.column_stack([np.convolve(padded[:, i], k, mode="valid") for i in (0, 1)])
    sm[0], sm[-1] = pts[0], pts[-1]
    return sm


def _smooth_pinned(pts: np.ndarray, closed: bool, sigma: float, pins: list) -> np.ndarray:
    """Smooth, keeping cusp tips sharp: the pieces between pinned points are smoothed on their own."""
    if not pins or len(pts) < 3:
        return _smooth(pts, closed, sigma)
    pa = np.asarray(pins)
    hit = np.nonzero((np.abs(pts[:, None, :] - pa[None, :, :]).max(axis=2) < 1e-9).any(axis=1))[0]
    hit = hit[(hit > 0) & (hit < len(pts) - 1)]
    if len(hit) == 0:
        return _smooth(pts, closed, sigma)
    if closed:  # start the loop at a tip, then it is an open run with fixed ends
        body = pts[:-1] if _same(pts[0], pts[-1]) else pts
        body = np.roll(body, -int(hit[0]), axis=0)
        return _smooth_pinned(np.vstack([body, body[:1]]), False, sigma, pins)
    cuts = [0, *hit.tolist(), len(pts) - 1]
    pieces = [_smooth(pts[i:j + 1], False, sigma) for i, j in itertools.pairwise(cuts)]
    return np.vstack([pieces[0]] + [p[1:] for p in pieces[1:]])


def _trim_end(pts: np.ndarray, by: float) -> np.ndarray:
    """Cut ``by`` px of arc length off the end of a polyline (keeping at least its first point)."""
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    total = float(seg.sum())
    keep = total - by
    if keep <= 0:
        return pts[:1]
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    i = int(np.searchsorted(cum, keep, side="right"))  # points [0, i) are kept whole
    last = np.array([np.interp(keep, cum, pts[:, 0]), np.interp(keep, cum, pts[:, 1])])
    return np.vstack([pts[:i], last])


def _fit_end(pts: np.ndarray, mask: np.ndarray, w: float) -> np.ndarray:
    """Put an open stroke's last point half a width (the round cap) before the ink's edge.

    Thinning may stop about half a width short of a tip (extend along the end direction) or run into
    the tip's last pixel (pull back along the stroke)."""
    d = -_end_direction(pts[::-1], w)  # outward direction at the last point
    if not d.any():
        return pts
    h, wd = mask.shape
    p = pts[-1]
    t = np.arange(0.0, w + 2.0, 0.5)
    q = p + d * t[:, None]
    c = np.floor(q[:, 0]).astype(np.int64)
    r = np.floor(q[:, 1]).astype(np.int64)
    ok = (r >= 0) & (r < h) & (c >= 0) & (c < wd)
    inside = np.zeros(len(t), bool)
    inside[ok] = mask[r[ok], c[ok]]
    if not inside[0]:
        return pts
    n_in = int(np.argmin(inside)) if not inside.all() else len(t)
    edge = t[n_in - 1] + 0.25  # the ink ends between the last sample inside and the first outside
    off = edge - 0.5 * w
    if off > 0.25:
        return np.vstack([pts, p + d * off])
    if off < -0.25 and len(pts) >= 2:
        by = min(-off, 0.5 * w, 0.3 * _arc_length(pts))
        return _trim_end(pts, by)
    return pts


def _orient(pts: np.ndarray, closed: bool) -> np.ndarray:
    if len(pts) < 2:
        return pts
    if closed:
        body = pts[:-1] if _same(pts[0], pts[-1]) else pts
        x, y = body[:, 0], body[:, 1]
        area2 = float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
        if area2 > 0:  # clockwise on screen (y down): flip to counter-clockwise
            body = body[::-1]
        top = int(np.argmin(body[:, 1] + 1e-3 * body[:, 0]))
        body = np.roll(body, -top, axis=0)
        return np.vstack([body, body[:1]])
    dx, dy = pts[-1] - pts[0]
    chord = math.hypot(dx, dy)
    span = float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1])))
    if _arc_length(pts) > 1.5 * chord + 1e-9 and chord > 0:
        # a winding stroke (N, w, a cursive word) runs left to right unless its ends stack vertically
        ltr = abs(dx) > 0.3 * span
    else:  # a straight-ish stroke: left to right when flat, top to bottom when steep
        ltr = abs(dx) > abs(dy)
    if ltr:
        return pts if dx >= 0 else pts[::-1]
    return pts if dy >= 0 else pts[::-1]


def _same(p: np.ndarray, q: np.ndarray) -> bool:
    return abs(float(p[0]) - float(q[0])) < 1e-6 and abs(float(p[1]) - float(q[1])) < 1e-6


def _arc_length(pts: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) > 1 else 0.0


def _merge_fragments(strokes: list[tuple[np.ndarray, bool, int]], w: float,
                     shape: tuple[int, int]) -> list[tuple[np.ndarray, bool, int]]:
    """Tiny open pieces (shorter than ~a width): drop them when other strokes cover them, else attach
    them to a stroke end they touch; what stands alone (a dot) stays."""
    frag_len = max(1.5, 1.0 * w)
    big = [s for s in strokes if s[1] or _arc_length(s[0]) >= frag_len]
    small = [s for s in strokes if not s[1] and _arc_length(s[0]) < frag_len]
    if not small or not big:
        return strokes
    # distance to the other strokes' centre lines, from one raster of them
    h, wd = shape
    lines = np.full((h, wd), 255, np.uint8)
    for p, _, _ in big:
        q = np.round((p - 0.5) * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(lines, [q], False, 0, 1, cv2.LINE_8, 4)
    to_line = cv2.distanceTransform(lines, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    out = list(big)
    by_comp: dict[int, list[int]] = {}
    for j, (_, qc, qcomp) in enumerate(out):
        if not qc:
            by_comp.setdefault(qcomp, []).append(j)
    for pts, closed, comp in small:
        if float(to_line[pixel_index(pts, to_line.shape)].max()) <= 0.5 * w + 1.0:
            continue  # drawn over already
        best = None
        for j in by_comp.get(comp, ()):  # a separate piece of ink (an i's dot) stays separate
            q = out[j][0]
            for qe in (0, -1):
                for pe in (0, -1):
                    dd = float(np.hypot(*(q[qe] - pts[pe])))
                    if dd <= 1.5 * w + 1 and (best is None or dd < best[0]):
                        best = (dd, j, qe, pe)
        if best is None:
            out.append((pts, closed, comp))
            continue
        _, j, qe, pe = best
        q, qc, qcomp = out[j]
        frag = pts if pe == 0 else pts[::-1]  # frag starts at its touching end
        if qe == -1:
            out[j] = (np.vstack([q, frag]), qc, qcomp)
        else:
            out[j] = (np.vstack([frag[::-1], q]), qc, qcomp)
    return out


def _order(strokes: list[tuple[np.ndarray, bool, int]]) -> list[np.ndarray]:
    """Lines top to bottom, components left to right within a line, strokes by their left edge.

    Lines are bands of the vertical projection of the components' boxes; a gap narrower than about a
    third of the letter height does not split them, and a thin band (an i's dots, accents) joins the
    nearest line.
    """
    if not strokes:
        return []
    comps: dict[int, list[int]] = {}
    for i, (_, _, c) in enumerate(strokes):
        comps.setdefault(c, []).append(i)
    boxes = {}
    for c, idx in comps.items():
        allp = np.vstack([strokes[i][0] for i in idx])
        boxes[c] = (allp[:, 0].min(), allp[:, 1].min(), allp[:, 0].max(), allp[:, 1].max())
    heights = np.array([b[3] - b[1] + 1 for b in boxes.values()])
    tall = heights[heights >= heights.max() / 3.0]
    gap_thr = max(2.0, 0.3 * float(np.median(tall)))
    bands: list[list] = []  # [y0, y1, [comps]]
    for c in sorted(boxes, key=lambda c: boxes[c][1]):
        y0, y1 = boxes[c][1], boxes[c][3]
        if bands and y0 <= bands[-1][1] + gap_thr:
            bands[-1][1] = max(bands[-1][1], y1)
            bands[-1][2].append(c)
        else:
            bands.append([y0, y1, [c]])
    # thin bands join the nearest neighbour band when it is close
    changed = True
    while changed and len(bands) > 1:
        changed = False
        hs = [b[1] - b[0] + 1 for b in bands]
        for k, bd in enumerate(bands):
            if hs[k] >= 0.45 * max(hs):
                continue
            cands = [j for j in (k - 1, k + 1) if 0 <= j < len(bands)]
            j = min(cands, key=lambda j: max(bands[j][0] - bd[1], bd[0] - bands[j][1]))
            gap = max(bands[j][0] - bd[1], bd[0] - bands[j][1])
            if gap <= 1.0 * hs[j]:
                bands[j][0], bands[j][1] = min(bands[j][0], bd[0]), max(bands[j][1], bd[1])
                bands[j][2].extend(bd[2])
                del bands[k]
                changed = True
                break
    out = []
    for bd in bands:
        for c in sorted(bd[2], key=lambda c: (boxes[c][0], boxes[c][1])):
            idx = sorted(comps[c], key=lambda i: (float(strokes[i][0][:, 0].min()), float(strokes[i][0][0, 1])))
            out.extend(strokes[i][0] for i in idx)
    return out


# ---------------------------------------------------------------------------------------------------
# public API


def _polished_chains(skel, dist, m, comp_lab, w, max_turn_deg) -> list[tuple[np.ndarray, bool, int]]:
    g = _build_graph(skel, dist)
    _resolve_cusps(g, w, m)  # before pruning: a cusp's spur is short but it is the tip's ink
    _prune(g, w)
    _resolve_cusps(g, w, m)
    _merge_degree2(g)
    chains = _chains(g, w, max_turn_deg)
    sigma = min(2.0, max(0.7, 0.25 * w))
    out = []
    for pts, closed, _ in chains:
        if len(pts) >= 2 and not closed and _same(pts[0], pts[-1]) and _arc_length(pts) > 2 * w:
            closed = True
        pts = _smooth_pinned(pts, closed, sigma, g.pins)
        if not closed and len(pts) >= 2:
            pts = _fit_end(pts, m, w)
            pts = _fit_end(pts[::-1], m, w)[::-1]
        pts = _orient(pts, closed)
        # group by the ink's connected piece (not the centre line's: residual strokes join their blob)
        out.append((pts, closed, int(comp_lab[pixel_index(pts[len(pts) // 2], comp_lab.shape)])))
    return out


def _cover_residual(strokes, dist, m, comp_lab, w, max_turn_deg) -> list[tuple[np.ndarray, bool, int]]:
    """Strokes for the ink the traced strokes leave uncovered (blobs wider than the pen).

    The extra centre lines run where a pen of width ``w`` fits inside the ink (distance >= w/2) and
    reaches the uncovered pixels, so they add coverage without painting outside the ink.
    """
    h, wd = m.shape
    if not strokes:
        return []
    drawn = draw_strokes_mask([Stroke(p) for p, _, _ in strokes], h, wd, width_px=w) > 0.5
    tol = default_tolerance(w)
    far = cv2.distanceTransform((~drawn).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > tol
    miss = (m & far).astype(np.uint8)
    if miss.sum() < max(4.0, 0.02 * m.sum()):
        return []
    _n, lab, stats, _ = cv2.connectedComponentsWithStats(miss, connectivity=8)
    big = np.nonzero(stats[1:, cv2.CC_STAT_AREA] >= max(4.0, 0.4 * w * w))[0] + 1
    if len(big) == 0:
        return []
    keep = np.isin(lab, big)
    reach = 0.5 * w + tol  # a pen centre this close to a pixel covers it (as the check counts)
    r = math.ceil(reach)
    need = cv2.dilate(keep.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    # where the pen's centre may go without painting outside the ink, near what is missing; its
    # outline is the rim stroke a pen would draw to fill the blob
    zone = ((dist >= max(1.0, 0.5 * w - 0.5)) & (need > 0)).astype(np.uint8)
    if zone.sum() == 0:
        return []
    to_miss = cv2.distanceTransform((~keep).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    contours, _ = cv2.findContours(zone, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    out = []
    for cnt in contours:
        pix = cnt[:, 0, :]  # (x, y) pixel indices
        near = to_miss[pix[:, 1], pix[:, 0]] <= reach - 0.5
        if not near.any():
            continue
        pts = pix.astype(np.float64) + 0.5
        if near.all():
            runs = [np.vstack([pts, pts[:1]])]
            closed = True
        else:
            # runs of consecutive near points, the contour being circular
            start = int(np.argmin(near))  # a far point: runs never wrap past it
            order = np.roll(np.arange(len(pts)), -start)
            nr = near[order]
            edges = np.diff(np.concatenate([[0], nr.astype(int), [0]]))
            runs = [pts[order[i:j]] for i, j in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0])]
            closed = False
        for run in runs:
            if len(run) < 2 and not closed:
                continue
            run = _smooth(run, closed, min(2.0, max(0.7, 0.25 * w)))
            run = _orient(run, closed)
            out.append((run, closed, int(comp_lab[pixel_index(run[len(run) // 2], comp_lab.shape)])))
    return out


def trace_mask(
    mask: np.ndarray,
    stroke_width: float | None = None,
    *,
    max_turn_deg: float = 75.0,
    simplify_eps: float = 0.4,
    cover_blobs: bool = True,
) -> list[np.ndarray]:
    """Pen strokes of a boolean ink mask: float32 (n, 2) arrays of x, y in continuous mask coordinates
    (pixel centre = index + 0.5), ordered and directed like writing. A dot is a one-point stroke.

    ``stroke_width`` (px) sets the scale of pruning and smoothing; estimated from the mask when None.
    ``cover_blobs`` adds strokes for ink that a pen of that width following the centre line would not
    reach (filled loops, ink pooled at joins), so the trace renders back like the photo.
    """
    mask = np.asarray(mask, bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    if not mask.any():
        return []
    mask = fill_pinholes(mask)
    raw_skel = None
    if stroke_width:
        w = float(stroke_width)
    else:
        raw_skel = thin(mask)
        w = estimate_width(mask, raw_skel)
    w = max(1.0, w)
    m = clean_mask(mask, w)
    skel = raw_skel if raw_skel is not None and np.array_equal(m, mask) else thin(m)
    dist = ink_distance(m)
    _, comp_lab = cv2.connectedComponents(m.astype(np.uint8), connectivity=8)
    polished = _polished_chains(skel, dist, m, comp_lab, w, max_turn_deg)
    if cover_blobs:
        polished += _cover_residual(polished, dist, m, comp_lab, w, max_turn_deg)
    polished = _merge_fragments(polished, w, m.shape)
    ordered = _order(polished)
    out = []
    for pts in ordered:
        if len(pts) >= 3:
            if _same(pts[0], pts[-1]):
                pts = pts[rdp(pts, simplify_eps)]
            else:  # only points are needed (no times): OpenCV's Douglas-Peucker keeps an open line's ends
                pts = cv2.approxPolyDP(pts.astype(np.float32).reshape(-1, 1, 2), simplify_eps,
                                       False).reshape(-1, 2)
        out.append(np.ascontiguousarray(pts, dtype=np.float32))
    return out


def trace_image(image_rgb: np.ndarray, ink_mask: np.ndarray | None = None) -> list[Stroke]:
    """Strokes of the ink in an RGB image (uint8), styled with the ink's own colour and width.

    The coordinates are the image's continuous pixel coordinates; times are made up at a plausible
    writing speed (``refine.synth_timestamps``, ``time_measured=False``).
    """
    img = np.asarray(image_rgb)
    if ink_mask is None:
        ink_mask = inkmask.ink_mask(img)
    ink_mask = np.asarray(ink_mask, bool)
    if not ink_mask.any():
        return []

    style = estimate_style(img, ink_mask)
    strokes = [Stroke(p, color=style.color, width=style.width_px) for p in trace_mask(ink_mask, style.width_px)]
    return synth_timestamps(strokes)
