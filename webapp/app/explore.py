# The Explore step: every window of the chosen sessions (labelled or not) -> shared.explore
# (features, PCA, k-means in steps the page yields between) -> a scatter coloured by label,
# cluster or the anomaly score of a normal vs anomaly model trained in the page, linked with the Label timeline (a selection lights its windows there and back),
# labelling a selection or a cluster in one action (undo), few-shot proposals from the
# labelled windows (kNN) accepted in bulk, unusual windows to look at or exclude, and the
# trained model's feature importance and confusions with example windows. Actions
# "explore.*" on the "explore" part; app/view_explore.py draws it. Loaded with the step.
# Memory: the windows' feature table (n x 52 float32) and their standardised copies.
import asyncio

from shared import relabel, window_labels
from shared.compat import ticks_diff, ticks_ms

from app import dataset as DS

SLICE_MS = 25
UNDO_MAX = 20


class Explorer:
    def __init__(self, B, trainer):
        self.B, self.trainer = B, trainer
        self.lw = self.ex = self.classes = None
        self.recs = {}
        self.order = []
        self.undo = []
        self.proposals = None
        B.part("explore", status="", progress=0, summary=None, k=4, color="label",
               axes=["pc1", "pc2"], names=[], classes=[], selection=[], lit={},
               timeline_lit=[], choose=None, proposed=None, outliers=[], insight=None,
               undo=0, rev=0, notice="", message="")

    @property
    def st(self):
        return self.B.state["explore"]

    async def _steps(self, gen, stage):
        start = ticks_ms()
        last = None
        for p in gen:
            last = p
            if ticks_diff(ticks_ms(), start) >= SLICE_MS:
                self.B.update("explore", progress=p.get("fraction", 0),
                              status="%s %s/%s" % (stage or p.get("stage"), p.get("done"),
                                                   p.get("total")))
                self.B.flush()
                await asyncio.sleep_ms(1)
                start = ticks_ms()
        return last

    # ---- compute --------------------------------------------------------------------------
    async def run(self, a):
        """Every window of the chosen sessions: features, PCA, k-means with k clusters."""
        from shared.explore import Explore
        tr = self.B.state["train"]
        if not tr["sessions"]:
            await self.trainer.refresh()
        sids = list(tr["picked"])
        if not sids:
            raise ValueError("choose sessions (the list above)")
        info = self.trainer.stream.info
        window = int(a.get("window") or info.get("window") or 0)
        hop = int(a.get("hop") or info.get("hop") or 0)
        if window < 2 or hop < 1:
            raise ValueError("set the window (>= 2 samples) and the hop (>= 1)")
        k = max(0, min(12, int(a.get("k") or 4)))
        ds = DS.get()
        classes, recs = [], []
        for sid in sids:
            r = await ds.load(sid)
            recs.append(r)
            for _, _, c in r.segments:
                if c not in classes:
                    classes.append(c)
        self.recs = dict((r.sid, r) for r in recs)
        self.order = [r.sid for r in recs]     # (the windows' order: a dict keeps none)
        self.names = dict((r.sid, r.name) for r in recs)
        lw = DS.D.labelled_windows(recs, classes, window, hop, unlabelled=True)
        if len(lw) < 2:
            raise ValueError("the chosen sessions hold %d window(s) of %d samples: record "
                             "longer, or shorten the window" % (len(lw), window))
        self.B.update("explore", status="features…", progress=0)
        self.B.flush()
        ex = Explore(lw.windows, {"rate": lw.rate, "window": window, "channels": lw.channels},
                     scales=lw.scales, k=k, budget_ms=SLICE_MS, n_init=10)
        await self._steps(ex.steps(), None)
        self.lw, self.ex, self.classes = lw, ex, classes
        self.window, self.hop = window, hop
        self.proposals = None
        self.B.update("explore", status="done", progress=1, summary=self._summary(ex),
                      names=list(ex.names), classes=classes, k=k, selection=[], lit={},
                      proposed=None, outliers=[], choose=None,
                      rev=self.st["rev"] + 1)
        return ex.summary()

    def points(self, a):
        """The windows as data: session, first sample, label (-1: none) and cluster of each."""
        ex = self._need()
        return {"sessions": list(self.lw.groups), "starts": list(self.lw.starts),
                "labels": list(self.lw.labels), "classes": self.classes,
                "clusters": list(ex.clusters) if ex.clusters is not None else None,
                "window": self.window, "hop": self.hop}

    def _summary(self, ex):
        """ex.summary() plus each cluster's proposal: the majority label of its labelled
        windows ([name, share, labelled]), or None: the page then asks for a class."""
        s = ex.summary()
        s["window"], s["hop"] = self.window, self.hop      # (the form shows what was used)
        if ex.clusters is not None and self.lw is not None and s.get("k"):
            s["majority"] = [[self.classes[c], round(sh, 2), n] if c >= 0 else None
                             for c, sh, n in relabel.majority(ex.clusters, self.lw.labels,
                                                              s["k"])]
        return s

    def _need(self):
        if self.ex is None:
            raise ValueError("press Explore first")
        return self.ex

    async def cluster(self, a):
        ex = self._need()
        k = max(2, min(12, int(a.get("k") or self.st["k"])))
        await self._steps(ex.cluster_steps(k), "k-means")
        self.B.update("explore", k=k, color="cluster", summary=self._summary(ex), status="done",
                      rev=self.st["rev"] + 1)

    async def choose_k(self, a):
        ex = self._need()
        last = await self._steps(ex.choose_k(), "choosing k")
        self.B.update("explore", choose={"table": last["table"], "best": last["best"]},
                      status="done")

    def view(self, a):
        """Colour by label or cluster; the scatter's axes (pc1/pc2 or feature names)."""
        ch = {}
        if a.get("key"):                      # a select of the view: {"key", "value"}
            a = {a["key"]: a["value"]}
        if a.get("color") in ("label", "cluster"):
            ch["color"] = a["color"]
        elif a.get("color") == "anomaly score":
            self.anomaly_scores()             # (a ValueError says why it cannot)
            ch["color"] = a["color"]
        axes = list(self.st["axes"])
        for i, k in ((0, "x"), (1, "y")):
            if a.get(k):
                axes[i] = a[k]
        ch["axes"] = axes
        ch["rev"] = self.st["rev"] + 1
        self.B.update("explore", **ch)

    def anomaly_model(self):
        """The normal vs anomaly model trained in this page (app.anomaly's result), or None."""
        return self.trainer._results.get("anomaly")

    def anomaly_scores(self):
        """(scores of the explored windows by the page's anomaly model, threshold); cached."""
        r = self.anomaly_model()
        if r is None:
            raise ValueError("train a normal vs anomaly model first (Train step): its score "
                             "colours the windows")
        self._need()
        w = r["window"]
        if w["window"] != self.window or list(w["channels"]) != list(self.lw.channels) or \
                w["rate"] != self.lw.rate:
            raise ValueError("the anomaly model scores windows of %d samples of %s at %s Hz: "
                             "explore with that window to colour by its score"
                             % (w["window"], ",".join(w["channels"]), w["rate"]))
        key = (r["hash"], self.st["rev"], id(self.lw))
        if getattr(self, "_scores", (None,))[0] != key:
            from app import anomaly
            self._scores = (key, list(anomaly.scores_of(r, self.lw.windows, self.lw.scales)),
                            r["threshold"])
        return self._scores[1], self._scores[2]

    # ---- points, selections and the timeline ----------------------------------------------
    def column(self, name):
        ex = self._need()
        if name in ("pc1", "pc2"):
            c = 0 if name == "pc1" else 1
            return [ex.xy[2 * i + c] for i in range(ex.n)]
        return list(ex.column(ex.names.index(name)))

    def where(self, i):
        """(session id, name, first sample, seconds) of window i."""
        sid = self.lw.groups[i]
        r = self.recs[sid]
        return sid, r.name, self.lw.starts[i], self.lw.starts[i] / (r.rate or 1)

    def select(self, a):
        """Windows chosen in the scatter (box or lasso): lit on their sessions' timelines."""
        idx = sorted(set(int(i) for i in a.get("indices") or ()))
        lit = {}
        for i in idx:
            sid, _, start, _ = self.where(i)
            lit.setdefault(str(sid), []).append([start, start + self.window])
        self.B.update("explore", selection=idx, lit=lit)
        self.B.touch("sessions")          # the timeline draws the lit windows

    def from_timeline(self, cur):
        """The points of the windows overlapping the timeline's selection (Label step)."""
        if self.ex is None or not cur or not cur.get("sel"):
            return []
        a, b = cur["sel"]
        sid = cur["sid"]
        out = [i for i in range(len(self.lw)) if self.lw.groups[i] == sid and
               self.lw.starts[i] < b and self.lw.starts[i] + self.window > a]
        if out != self.st["timeline_lit"]:
            self.st["timeline_lit"] = out
            self.B.touch("explore")
        return out

    async def jump(self, a):
        """Show window i (or a training window) on the Label step's timeline."""
        if a.get("train") is not None:
            lw = self.trainer.lw
            i = int(a["train"])
            sid, start = lw.groups[i], lw.starts[i]
            window = self.trainer.window
        else:
            sid, _, start, _ = self.where(int(a["i"]))
            window = self.window
        await self.B.act("sessions.open", {"sid": sid})
        await self.B.act("sessions.select", {"start": start, "end": start + window})
        from pyscript import window as js_window
        js_window.location.hash = "label"

    # ---- labelling ------------------------------------------------------------------------
    async def _label_windows(self, pairs, what):
        """pairs: [(window index, class name or None to clear)] -> label segments per session,
        saved on the device (each a version), with one undo entry."""
        ds = DS.get()
        by = {}
        for i, cls in pairs:
            by.setdefault(self.lw.groups[i], []).append((self.lw.starts[i], cls))
        entry = []
        for sid in by:
            rec = await ds.load(sid)
            classes = list(rec.classes)
            for _, c in by[sid]:
                if c is not None and c not in classes:
                    classes.append(c)
            old = rec.indexed(classes)
            new = list(old)
            marks = [(s, classes.index(c)) for s, c in by[sid] if c is not None]
            new = window_labels.apply(new, window_labels.window_segments(marks, self.window),
                                      rec.n_samples)
            for s, c in by[sid]:
                if c is None:
                    new = DS.D.assign(new, s, s + self.window, None, rec.n_samples)
            entry.append((sid, [(s, e, classes[c]) for s, e, c in old]))
            await ds.save_labels(rec, classes, new)
        self.undo.append(entry)
        del self.undo[:-UNDO_MAX]
        await self._relabel()
        self.B.update("explore", undo=len(self.undo), notice="%s: %d windows in %d session(s)"
                      % (what, len(pairs), len(by)))
        await self.trainer.refresh()      # the sessions' classes, as the Train step lists them
        self.B.fire("sessions.refresh")

    async def _relabel(self):
        """The points' labels again, from the sessions' labels now."""
        ds = DS.get()
        classes = list(self.classes)
        for sid in self.order:
            r = ds.loaded(sid) or await ds.load(sid)
            self.recs[sid] = r
            for _, _, c in r.segments:
                if c not in classes:
                    classes.append(c)
        lw = DS.D.labelled_windows([self.recs[s] for s in self.order], classes, self.window,
                                   self.hop, unlabelled=True)
        self.lw.labels = lw.labels
        self.classes = classes
        self.B.update("explore", classes=classes, rev=self.st["rev"] + 1)
        if self.ex is not None and self.st.get("summary"):
            self.B.update("explore", summary=self._summary(self.ex))

    async def label(self, a):
        """The selection, or cluster a["cluster"], labelled a["cls"] in one action."""
        self._need()
        cls = (a.get("cls_new") or a.get("cls") or "").strip()
        if not cls:
            raise ValueError("choose the class to give them")
        if a.get("cluster") not in (None, ""):
            c = int(a["cluster"])
            idx = [i for i in range(len(self.lw)) if self.ex.clusters[i] == c]
            what = "cluster %d labelled %s" % (c + 1, cls)
        else:
            idx = self.st["selection"]
            what = "selection labelled %s" % cls
        if not idx:
            raise ValueError("select windows in the scatter (box or lasso) first")
        await self._label_windows([(i, cls) for i in idx], what)

    async def undo_label(self, a):
        if not self.undo:
            raise ValueError("nothing to undo")
        ds = DS.get()
        for sid, segs in self.undo.pop():
            rec = await ds.load(sid)
            classes = list(rec.classes)
            for _, _, c in segs:
                if c not in classes:
                    classes.append(c)
            await ds.save_labels(rec, classes, [(s, e, classes.index(c)) for s, e, c in segs])
        await self._relabel()
        self.B.update("explore", undo=len(self.undo), notice="undone")
        self.B.fire("sessions.refresh")

    # ---- few-shot, unusual windows, the model -----------------------------------------
    async def propose(self, a):
        """Labels for the unlabelled windows from their 3 nearest labelled ones."""
        ex = self._need()
        labelled = [i for i in range(len(self.lw)) if self.lw.labels[i] >= 0]
        if len(labelled) < 3:
            raise ValueError("label a few windows first (at least 3)")
        await self._steps(ex.int16_steps(), "neighbours")
        p = ex.proposer(labelled, bytearray(self.lw.labels[i] for i in labelled), k=3)
        await self._steps(p.steps(), "proposing")
        self.proposals = p
        counts = {}
        sure = 0
        for j in range(len(p.rows)):
            name = self.classes[p.labels[j]]
            counts[name] = counts.get(name, 0) + 1
            sure += p.share[j] >= 1.0
        rows = [{"i": p.rows[j], "cls": self.classes[p.labels[j]],
                 "share": round(p.share[j], 2), "distance": round(p.distance[j], 2)}
                for j in range(min(len(p.rows), 30))]
        self.B.update("explore", proposed={"n": len(p.rows), "sure": sure, "counts": counts,
                                           "rows": rows}, status="done", color="label")
        return len(p.rows)

    async def accept(self, a):
        """Accept every proposal with at least this vote share (default all 3 neighbours)."""
        p = self.proposals
        if p is None:
            raise ValueError("propose labels first")
        share = float(a.get("share") or 1.0)
        pairs = [(i, self.classes[c]) for i, c in p.accepted(min_share=share)]
        if not pairs:
            raise ValueError("no proposal has a vote share of %g or more" % share)
        self.proposals = None
        self.B.update("explore", proposed=None)
        await self._label_windows(pairs, "proposals accepted")

    async def unusual(self, a):
        ex = self._need()
        await self._steps(ex.int16_steps(), "neighbours")
        o = ex.outliers(k=5)
        await self._steps(o.steps(), "unusual windows")
        rows = []
        for i, score in o.worst(15):
            sid, name, start, t = self.where(i)
            lab = self.lw.labels[i]
            rows.append({"i": i, "session": name, "t": round(t, 2), "score": round(score, 2),
                         "label": self.classes[lab] if lab >= 0 else None})
        self.B.update("explore", outliers=rows, status="done")

    async def exclude(self, a):
        """A window's labels cleared: it is no longer trained on."""
        self._need()
        await self._label_windows([(int(a["i"]), None)], "excluded from training")

    async def insight(self, a):
        """The trained model: feature importance from its trees, and its confusions."""
        from shared import insight
        r = self.trainer.result
        if r is None:
            raise ValueError("train a model first (Train)")
        model = r["model"]
        imp = insight.importance(model, r["X"], r["y"])
        top = insight.ranked(model.meta["features"], imp["importance"], 10)
        h = r["heldout"]
        conf = insight.confusions(h["truth"], h["pred"], index=h["index"],
                                  classes=model.meta["classes"], per_cell=5)
        lw = self.trainer.lw
        for c in conf:
            c["examples"] = [{"train": w, "session": self.trainer.names.get(lw.groups[w],
                                                                             str(lw.groups[w])),
                              "t": round(lw.starts[w] / (lw.rate or 1), 2)} for w in c["windows"]]
        self.B.update("explore", insight={"importance": [[n, round(v, 4)] for n, v in top],
                                          "confusions": conf[:8], "hash": r["hash"]})


def install(B, trainer):
    ex = Explorer(B, trainer)
    for name, fn, lock in (("run", ex.run, "ex"), ("cluster", ex.cluster, "ex"),
                           ("points", ex.points, None),
                           ("choose_k", ex.choose_k, "ex"), ("view", ex.view, None),
                           ("select", ex.select, None), ("jump", ex.jump, None),
                           ("label", ex.label, "ex"), ("undo", ex.undo_label, "ex"),
                           ("propose", ex.propose, "ex"), ("accept", ex.accept, "ex"),
                           ("unusual", ex.unusual, "ex"), ("exclude", ex.exclude, "ex"),
                           ("insight", ex.insight, "ex")):
        B.action("explore." + name, part="explore", lock=lock)(fn)
    return ex
