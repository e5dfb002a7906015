# Feature extraction: documented order, known signals give known values, int16+scale equals
# floats, the FFT matches a direct DFT, and every available FFT path gives the same features.
from array import array
import math

from shared import features as F
from shared.fft import FFT


def _close(a, b, tol=1e-4):
    return abs(a - b) <= tol * (1.0 + abs(b))


def _sine_window(n_channels=3, n=128, rate=64, freq=5.0, amp=2.0, dc=0.5):
    w = array("f", [0.0] * (n_channels * n))
    for c in range(n_channels):
        for i in range(n):
            w[c * n + i] = dc * (c + 1) + amp * math.sin(2 * math.pi * freq * i / rate + c)
    return w


def test_feature_names_order():
    names = F.feature_names(3)
    per = len(F.STATS) + len(F.BANDS_HZ) - 1
    assert len(names) == 4 * per == 52
    assert names[0] == "x_mean" and names[1] == "x_std" and names[7] == "x_p2p"
    assert names[8] == "x_band_0.5_2hz" and names[12] == "x_band_16_32hz"
    assert names[per] == "y_mean" and names[3 * per] == "mag_mean"
    assert F.feature_names(2, magnitude=False)[per] == "ch1_mean"
    assert F.feature_names(1, channel_names=["a"], bands=(1.0, 2.5))[-1] == "mag_band_1_2.5hz"


def test_fft_matches_dft():
    n = 16
    re = array("f", [math.sin(i * 0.7) + (i % 3) for i in range(n)])
    im = array("f", [0.0] * n)
    ref = [(sum(re[m] * math.cos(2 * math.pi * k * m / n) for m in range(n)),
            -sum(re[m] * math.sin(2 * math.pi * k * m / n) for m in range(n))) for k in range(n)]
    FFT(n).run(re, im)
    for k in range(n):
        assert _close(re[k], ref[k][0], 1e-5) and _close(im[k], ref[k][1], 1e-5), k


def test_fft_rejects_bad_lengths():
    for bad in (0, 1, 12, 100):
        try:
            FFT(bad)
        except ValueError:
            continue
        raise AssertionError("accepted n=%d" % bad)
    try:
        FFT(8).run(array("f", [0.0] * 4), array("f", [0.0] * 4))
    except ValueError:
        return
    raise AssertionError("accepted short arrays")


def test_sine_statistics_and_band():
    fe = F.FeatureExtractor(3, 128, 64, fft="python")
    out = fe.compute(_sine_window(), fe.new_output())
    x = dict(zip(fe.names, out))
    # 5 Hz at 64 Hz x 128 samples is bin 10 exactly: all power in band 4-8 Hz, = amp^2/2
    assert _close(x["x_mean"], 0.5) and _close(x["z_mean"], 1.5)
    assert _close(x["x_std"], 2.0 / math.sqrt(2))
    assert _close(x["x_band_4_8hz"], 2.0, 1e-4)
    for b in ("0.5_2", "2_4", "8_16", "16_32"):
        assert abs(x["y_band_%shz" % b]) < 1e-4, b
    assert _close(x["x_rms"], math.sqrt(0.25 + 2.0))
    # 10 periods: about 20 sign changes (the window edges decide 19 or 20)
    assert 19 <= x["y_zero_cross"] <= 20 and 19 <= x["y_mean_cross"] <= 20
    assert _close(x["y_p2p"], x["y_max"] - x["y_min"])


def test_parseval_bands_sum_to_variance():
    # bands covering every bin (1..n/2) must add up to std^2
    fe = F.FeatureExtractor(2, 64, 32, bands=(0.5, 16.5), magnitude=False, fft="python")
    w = array("f", [((i * 7919) % 61) / 7.0 - 3.0 for i in range(128)])
    out = fe.compute(w, fe.new_output())
    for a in range(2):
        std = out[a * fe.per_axis + 1]
        assert _close(out[a * fe.per_axis + 8], std * std, 1e-4)


def test_int16_scaled_equals_float_window():
    n = 64
    raw = array("h", [((i * 37) % 200) - 90 for i in range(3 * n)])
    flt = array("f", [v * 0.25 for v in raw])
    fe = F.FeatureExtractor(3, n, 50, fft="python")
    a = fe.compute(raw, fe.new_output(), 0.25)
    b = fe.compute(flt, fe.new_output())
    for i in range(fe.n_features):
        assert _close(a[i], b[i], 1e-5), fe.names[i]


def test_power_of_two_scale_path_is_exact():
    # int16 counts with a power-of-two scale take the path that works in counts and scales
    # back; the same counts stored as floats take the direct path: every feature bit-equal
    for scale in (1.0 / 4096, 1.0 / 512, 0.25, 1.0, 4.0):
        for n, rate in ((128, 100), (50, 10)):
            raw = array("h", [((i * 7919) % 8001) - 4000 + (4096 if i >= 2 * n else 0)
                              for i in range(3 * n)])
            for impl in F.fft_impls():
                fe = F.FeatureExtractor(3, n, rate, fft=impl)
                a = fe.compute(raw, fe.new_output(), scale)
                b = fe.compute(array("f", list(raw)), fe.new_output(), scale)
                assert list(a) == list(b), (scale, n, impl, [
                    (fe.names[j], a[j], b[j]) for j in range(len(a)) if a[j] != b[j]])


def test_constant_window_is_quiet():
    fe = F.FeatureExtractor(3, 32, 25)
    out = fe.compute(array("h", [100] * 96), fe.new_output(), 0.01)
    x = dict(zip(fe.names, out))
    assert _close(x["x_mean"], 1.0) and x["x_std"] == 0.0 and x["x_p2p"] == 0.0
    assert x["x_zero_cross"] == 0 and x["x_mean_cross"] == 0
    assert x["x_band_4_8hz"] == 0.0 and _close(x["mag_mean"], math.sqrt(3.0))


def test_fft_paths_agree():
    impls = F.fft_impls()
    w = _sine_window(freq=3.3)
    ref = None
    for impl in impls:
        fe = F.FeatureExtractor(3, 128, 64, fft=impl)
        assert fe.fft_impl == impl
        out = fe.compute(w, fe.new_output())
        if ref is None:
            ref = out
        for i in range(fe.n_features):
            assert _close(out[i], ref[i], 1e-4), (impl, fe.names[i])


def test_bad_settings_refused():
    # (any length >= 2 works: the FFT is zero-padded; see test_golden_any_window_length)
    for args in ((3, 1, 50), (0, 64, 50), (3, 64, 0)):
        try:
            F.FeatureExtractor(*args)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (args,))
    fe = F.FeatureExtractor(1, 8, 8)
    try:
        fe.compute(array("f", [0.0] * 4), fe.new_output())
    except ValueError:
        return
    raise AssertionError("accepted short window")


def test_zero_padded_bands_add_up_to_variance():
    # Parseval with zero padding: for any window length the band powers over 0..Nyquist add up
    # to std^2 when the bands cover every bin (here one band from 0 to far above Nyquist)
    from shared.compat import Rng
    rng = Rng(5)
    for n in (2, 3, 50, 100, 129):
        fe = F.FeatureExtractor(1, n, 10, bands=(0.0, 1000.0), magnitude=False)
        w = array("f", [rng.randint(-1000, 1000) / 100 for _ in range(n)])
        out = fe.compute(w, fe.new_output())
        std, band = out[1], out[len(F.STATS)]
        assert abs(band - std * std) <= 1e-4 * (1 + std * std), (n, band, std * std)
