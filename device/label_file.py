# Label files of a session: '{"version": N, "classes": [...], "segments": [{...}, ...]}'
# written in this order (the version is read from the first bytes; GET streams the file as
# is), label summaries for meta.json, and the record-time ("open") segment. Memory: small;
# the PUT validator (labels.py, ~8 KB as a loaded .mpy) is only imported for a PUT.
import json


def write(store, sid, version, classes, starts=(), ends=(), cls=()):
    def fill(f):
        f.write('{"version": %d, "classes": %s, "segments": [' % (version, json.dumps(classes)))
        for i in range(len(starts)):
            f.write('%s{"start": %d, "end": %d, "label": %s}'
                    % (", " if i else "", starts[i], ends[i], json.dumps(classes[cls[i]])))
        f.write("]}")
    store.write_atomic(store.path(sid, "labels.json"), fill)


def summary(version, classes, starts, ends, cls):
    counts = {}
    for i in range(len(starts)):
        name = classes[cls[i]]
        counts[name] = counts.get(name, 0) + ends[i] - starts[i]
    return {"version": version, "classes": classes, "segments": len(starts), "counts": counts}


def create(store, sid, label):
    """New session: version 1; with a record-time label the session's whole range is one
    "open" segment that grows with the recording until the session stops (or a PUT)."""
    classes = [label] if label else []
    write(store, sid, 1, classes)
    s = summary(1, classes, (), (), ())
    if label:
        s["open"] = True
    return s


def finish_open(store, sid, meta):
    """At stop (or boot recovery): turn the open segment into [0, samples); version + 1."""
    lab = meta.get("labels") or {}
    if not lab.get("open"):
        return lab
    n = meta["windows"] * meta["hop"]
    v = lab["version"] + 1
    seg = (0,), (n,), (0,)
    if not n:
        seg = (), (), ()
    write(store, sid, v, lab["classes"], *seg)
    return summary(v, lab["classes"], *seg)


def file_version(store, sid):
    try:
        with open(store.path(sid, "labels.json"), "rb") as f:
            head = f.read(32)
        return int(head[12:head.index(b",")])
    except (OSError, ValueError):
        return None


def live(meta):
    """GET body for a session whose record-time label is still open."""
    lab = meta["labels"]
    n = meta["windows"] * meta["hop"]
    segs = [{"start": 0, "end": n, "label": meta["label"]}] if n else []
    return {"version": lab["version"], "classes": lab["classes"], "segments": segs,
            "samples": n}
