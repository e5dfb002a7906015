# The device's own checks of a model's metadata: its window settings, channels and feature
# list (of the feature set it names: shared.features) must be what the device computes, and its smoothing one the device does. The file itself
# is parsed by shared.modelformat.Reader as it streams in; check_meta() is that reader's hook.
# Imported on demand by model_store (and dropped after use). Memory: nothing kept.

MAX_SMOOTH = 32         # windows of majority smoothing (inference keeps one int per window)


def window_of(meta):
    """(rate, window length, channel names or None) from the model metadata."""
    w = meta.get("window")
    if not isinstance(w, dict):
        return None, None, None
    n = None
    for k in ("window", "n_samples", "length"):
        if k in w:
            n = w[k]
            break
    return w.get("rate"), n, w.get("channels")


def mismatch(meta, expect):
    """None when the model fits what the device computes, else the reason.
    expect: {"rate", "window", "channels", "features"} of the running acquisition."""
    rate, n, chans = window_of(meta)
    if rate is None or n is None:
        return ("model metadata has no window settings (window.rate and window.window): "
                "cannot check it fits this device")
    from shared.protocol import same_rate
    if not same_rate(rate, expect["rate"]) or n != expect["window"]:
        return ("model is for %s Hz windows of %s samples; the device runs %.6g Hz, %d samples"
                % (rate, n, expect["rate"], expect["window"]))
    have = expect["channels"]
    if isinstance(chans, int) and not isinstance(chans, bool):
        if chans != len(have):
            return ("model is for %d channels; the device's sensor has %d (%s)"
                    % (chans, len(have), ",".join(have)))
    elif chans is not None and list(chans) != list(have):
        return ("model is for channels %s; the device's sensor has %s"
                % (",".join([str(c) for c in chans]), ",".join(have)))
    fs = meta.get("feature_set", "motion")
    if fs == "motion":
        want = expect["features"]
    else:
        from shared.features import FEATURE_SETS, set_names
        if fs not in FEATURE_SETS:
            return ("model uses feature set %r; this firmware computes %s"
                    % (fs, ", ".join(FEATURE_SETS)))
        want = set_names(fs, len(have))
    got = meta.get("features") or []
    if got != want:
        if len(got) != len(want):
            return ("model uses %d features; the device computes %d (%s ... %s)"
                    % (len(got), len(want), want[0], want[-1]))
        for i in range(len(want)):
            if got[i] != want[i]:
                return ("model feature %d is %r; the device computes %r there"
                        % (i, got[i], want[i]))
    return None


def value_mismatch(meta, expect):
    """A regression model (kind "regress": target, unit, range checked by shared.modelformat):
    None when it fits the device, else the reason: its sensor (window.sensor, when named) and
    unit (when the device's sensor measures a known quantity, e.g. the simulated
    spectrometer's mmol/L) must be the device's, then the window, channels and features."""
    w = meta.get("window") or {}
    sensor = w.get("sensor") if isinstance(w, dict) else None
    if sensor is not None and sensor != expect["sensor"]:
        return ("model estimates %s from sensor %r; the device's sensor is %r"
                % (meta["target"], sensor, expect["sensor"]))
    unit = expect.get("value_unit")
    if unit is not None and meta["unit"] != unit:
        return ("model estimates %s in %r; the device's %s measures in %r"
                % (meta["target"], meta["unit"], expect["sensor"], unit))
    return mismatch(meta, expect)


def check_meta(expect=None):
    """The Reader's check_meta hook: fn(meta) -> None or why the device cannot run the model.
    expect: expectations() of the running acquisition, or None (structure only: boot)."""
    def check(meta):
        sm = meta.get("smooth", 1)
        if not isinstance(sm, int) or isinstance(sm, bool) or not 1 <= sm <= MAX_SMOOTH:
            return ("metadata smooth must be an integer 1..%d (windows), got %r"
                    % (MAX_SMOOTH, sm))
        if meta.get("kind") == "regress":
            return value_mismatch(meta, expect) if expect is not None else None
        if expect is not None:
            return mismatch(meta, expect)
        return None
    return check
