# IEC 61672-1 frequency weightings (A, C, Z) as digital second-order sections for any sampling
# rate, designed here in plain float math on every runtime (no scipy), in scipy's sos layout
# (b0 b1 b2 1 a1 a2 per stage) that our emlearn_iir binding takes. Memory: sos() returns one
# list of 6 * stages floats (A: 3 stages, C: 2, Z: none); nothing is kept at import.
#
# Design: the analog weightings are H_A(s) = k s^4 / ((s+w1)^2 (s+w2) (s+w3) (s+w4)^2) and
# H_C(s) = k s^2 / ((s+w1)^2 (s+w4)^2) with the standard's pole frequencies f1..f4.
#  - The low poles (f1, f2, f3: high-pass shape) go through the bilinear transform; its frequency
#    warping only matters where that part is flat, far above f3.
#  - The double pole at f4 = 12.2 kHz lies at or above Nyquist for 16-24 kHz sampling, where
#    the bilinear transform would squash it (A at 6.3 kHz off by -6 dB at 16 kHz). Instead one
#    first-order digital section g (1 + b/z) / (1 + a/z) is fitted to the pole's magnitude
#    1 / sqrt(1 + (f/f4)^2) exactly at DC, 0.25 fs and 0.4375 fs (4 and 7 kHz at 16 kHz), and
#    used twice (one biquad). Fit error per pole <= 0.05 dB up to 0.4375 fs.
#  - The cascade is scaled to exactly 0 dB at 1 kHz (the standard's normalisation).
# SOUND.md lists the measured deviations at the IEC nominal frequencies.
import math

# IEC 61672-1:2013 pole frequencies (Hz), from its equations E.1-E.7
F1 = 20.598997
F2 = 107.65265
F3 = 737.86223
F4 = 12194.217
KINDS = ("A", "C", "Z")

# IEC 61672-1:2013 Table 3: nominal frequency (Hz), class 2 acceptance limits (dB) on the
# deviation from the design goal (upper, lower; None = no lower limit). 10 Hz .. 20 kHz.
CLASS2 = ((10, 5.0, None), (12.5, 5.0, None), (16, 5.0, None), (20, 3.0, -3.0),
          (25, 3.0, -3.0), (31.5, 3.0, -3.0), (40, 2.0, -2.0), (50, 2.0, -2.0),
          (63, 2.0, -2.0), (80, 2.0, -2.0), (100, 1.5, -1.5), (125, 1.5, -1.5),
          (160, 1.5, -1.5), (200, 1.5, -1.5), (250, 1.4, -1.4), (315, 1.4, -1.4),
          (400, 1.4, -1.4), (500, 1.4, -1.4), (630, 1.4, -1.4), (800, 1.4, -1.4),
          (1000, 1.0, -1.0), (1250, 1.5, -1.5), (1600, 2.0, -2.0), (2000, 2.0, -2.0),
          (2500, 2.5, -2.5), (3150, 2.5, -2.5), (4000, 3.0, -3.0), (5000, 3.5, -3.5),
          (6300, 4.5, -4.5), (8000, 5.0, -5.0), (10000, 5.0, None), (12500, 5.0, None),
          (16000, 5.0, None), (20000, 5.0, None))


def exact_frequency(nominal):
    """The base-10 exact frequency fm = 1000 * 10^(0.1 n) behind an IEC nominal frequency."""
    n = round(10.0 * math.log10(nominal / 1000.0))
    return 1000.0 * 10.0 ** (0.1 * n)


def analog_db(kind, f):
    """The standard's design goal: the weighting in dB at frequency f (0 dB at 1 kHz)."""
    if kind == "Z":
        return 0.0
    if kind not in KINDS:
        raise ValueError("weighting must be one of A, C, Z, got %r" % (kind,))
    return _analog_raw(kind, f) - _analog_raw(kind, 1000.0)


def _analog_raw(kind, f):
    ff = f * f
    g = 20.0 * math.log10(F4 * F4 * ff / ((ff + F1 * F1) * (ff + F4 * F4)))
    if kind == "A":
        g += 20.0 * math.log10(ff / math.sqrt((ff + F2 * F2) * (ff + F3 * F3)))
    return g


def _highpass2(fs, fa, fb):
    # bilinear transform of s^2 / ((s + wa)(s + wb)), normalised to a0 = 1
    k = 2.0 * fs
    wa = 2.0 * math.pi * fa
    wb = 2.0 * math.pi * fb
    a0 = (k + wa) * (k + wb)
    a1 = -((k + wa) * (k - wb) + (k - wa) * (k + wb))
    a2 = (k - wa) * (k - wb)
    kk = k * k
    return [kk / a0, -2.0 * kk / a0, kk / a0, 1.0, a1 / a0, a2 / a0]


def _solve3(m, r):
    # Gaussian elimination with partial pivoting for a 3x3 system (lists of rows)
    m = [list(m[i]) + [r[i]] for i in range(3)]
    for c in range(3):
        p = max(range(c, 3), key=lambda i: abs(m[i][c]))
        m[c], m[p] = m[p], m[c]
        for i in range(c + 1, 3):
            f = m[i][c] / m[c][c]
            for j in range(c, 4):
                m[i][j] -= f * m[c][j]
    x = [0.0, 0.0, 0.0]
    for i in (2, 1, 0):
        x[i] = (m[i][3] - sum(m[i][j] * x[j] for j in range(i + 1, 3))) / m[i][i]
    return x


def _pole4_section(fs):
    # one first-order section g (1 + b/z) / (1 + a/z) whose squared magnitude
    # (p + q c) / (1 + s c), c = cos(w), equals 1 / (1 + (f/F4)^2) at DC, 0.25 fs, 0.4375 fs
    rows = []
    rhs = []
    for f in (0.0, 0.25 * fs, 0.4375 * fs):
        c = math.cos(2.0 * math.pi * f / fs)
        t = 1.0 / (1.0 + (f / F4) ** 2)
        rows.append((1.0, c, -t * c))
        rhs.append(t)
    p, q, s = _solve3(rows, rhs)
    a = (1.0 - math.sqrt(1.0 - s * s)) / s if s else 0.0      # 2a / (1 + a^2) = s, |a| < 1
    r = q / (2.0 * p)                                         # b / (1 + b^2) = r, |b| < 1
    b = (1.0 - math.sqrt(1.0 - 4.0 * r * r)) / (2.0 * r) if r else 0.0
    g = math.sqrt(p * (1.0 + a * a) / (1.0 + b * b))
    # the section squared: g^2 (1 + b/z)^2 / (1 + a/z)^2
    gg = g * g
    return [gg, 2.0 * gg * b, gg * b * b, 1.0, 2.0 * a, a * a]


def response_db(sos, fs, f):
    """Magnitude in dB of a cascade of sections (flat list, 6 per stage) at frequency f."""
    w = 2.0 * math.pi * f / fs
    c1 = math.cos(w)
    s1 = math.sin(w)
    c2 = math.cos(2.0 * w)
    s2 = math.sin(2.0 * w)
    db = 0.0
    for i in range(0, len(sos), 6):
        b0, b1, b2, a0, a1, a2 = sos[i:i + 6]
        nr = b0 + b1 * c1 + b2 * c2
        ni = -(b1 * s1 + b2 * s2)
        dr = a0 + a1 * c1 + a2 * c2
        di = -(a1 * s1 + a2 * s2)
        db += 10.0 * math.log10((nr * nr + ni * ni) / (dr * dr + di * di))
    return db


def sos(kind, fs):
    """The weighting `kind` ("A", "C" or "Z") at sampling rate fs as a flat list of second-order
    sections (6 floats each: b0 b1 b2 1 a1 a2), 0 dB at 1 kHz. Z is [] (no filter)."""
    if kind not in KINDS:
        raise ValueError("weighting must be one of A, C, Z, got %r" % (kind,))
    if fs < 8000:
        raise ValueError("sampling rate %r too low for a weighting (8000 Hz or more)" % (fs,))
    if kind == "Z":
        return []
    out = _highpass2(fs, F1, F1)
    if kind == "A":
        out += _highpass2(fs, F2, F3)
    out += _pole4_section(fs)
    gain = 10.0 ** (-response_db(out, fs, 1000.0) / 20.0)
    for i in range(3):  # the gain goes into the first stage's numerator
        out[i] *= gain
    return out


def deviations(kind, fs, upto=None):
    """[(nominal Hz, deviation dB from the design goal, class 2 upper, lower)] for the IEC
    nominal frequencies below `upto` (default: 0.4 fs, i.e. 6.3 kHz at 16 kHz)."""
    s = sos(kind, fs)
    top = upto if upto is not None else 0.4 * fs
    rows = []
    for nominal, hi, lo in CLASS2:
        if nominal > top:
            break
        f = exact_frequency(nominal)
        rows.append((nominal, response_db(s, fs, f) - analog_db(kind, f), hi, lo))
    return rows
