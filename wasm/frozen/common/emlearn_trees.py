# motebook: emlearn_trees = our C module emlearn_trees_c (new(), model methods) plus
# load_model(), the CSV reader, in Python as emlearn-micropython does. Reads line by line;
# memory is the model's own arrays (sized by new()) plus one line at a time.
from emlearn_trees_c import new  # noqa: F401  (C, wasm/modules/emlearn_trees)


def _leaf_values(text, leaf_bits):
    # 'l,3' -> [3]; emlearn 0.23 writes proportion leaves (leaf_bits 8) as 'l,[ 12 243]' and
    # a regressor's (leaf_bits 32) as 'l,6.666666666666667' (stored as float32)
    text = text.strip()
    if leaf_bits == 32:
        return [float(text)]
    if text.startswith("["):
        return [int(v) for v in text.strip("[]").replace(",", " ").split()]
    return [int(text)]


def load_model(model, f):
    """Fill `model` (from new()) with the trees CSV in the text file `f`.

    Lines: f,<n_features>  c,<n_classes>  lb,<leaf_bits> (or lf,)  r,<root>
    n,<feature>,<threshold>,<left>,<right>  l,<leaf>. Unknown kinds are ignored. The shape is
    set (setdata) before the first tree line, so a regressor's leaves (lb,32: l,<value>) go in
    as values; metadata after the trees is applied again.
    Raises ValueError on malformed lines or a model that does not fit `model`.
    """
    n_features = None
    n_classes = None
    leaf_bits = 0
    applied = False
    lineno = 0
    for line in f:
        lineno += 1
        line = line.strip()
        if not line:
            continue
        tok = line.split(",", 1)
        kind = tok[0]
        rest = tok[1] if len(tok) > 1 else ""
        try:
            if kind == "f":
                n_features = int(rest)
            elif kind == "c":
                n_classes = int(rest)
            elif kind == "lb" or kind == "lf":
                leaf_bits = int(rest)
            elif kind in ("r", "n", "l"):
                if n_features is None or n_classes is None:
                    raise ValueError("metadata (f, c) must come before trees")
                if not applied:
                    model.setdata(n_features, n_classes, leaf_bits)
                    applied = True
                if kind == "r":
                    model.addroot(int(rest))
                elif kind == "n":
                    v = rest.split(",")
                    if len(v) != 4:
                        raise ValueError("node needs 4 values")
                    # threshold: emlearn writes floats like 1234.0; NaN/inf raise here
                    model.addnode(int(v[2]), int(v[3]), int(v[0]), int(float(v[1])))
                else:
                    for value in _leaf_values(rest, leaf_bits):
                        model.addleaf(value)
        except (ValueError, OverflowError) as e:
            raise ValueError("trees CSV line %d (%s): %s" % (lineno, line[:40], e))
        if applied and kind in ("f", "c", "lb", "lf"):
            model.setdata(n_features, n_classes, leaf_bits)
    if n_features is None or n_classes is None:
        raise ValueError("trees CSV: missing f or c line")
    if not applied:
        model.setdata(n_features, n_classes, leaf_bits)
    return model
