# Sound window features from log-mel frames (shared.mel.MelFrames, or the device's mel frames of
# shared/protocol.py as int16 0.01 dB codes with scale 0.01): one row of named features for a
# window of n_frames frames x n_mels bands (defaults 31 x 32: 0.99 s at 16 kHz, hop 512), the
# same on CPython, MicroPython (unix, WASM, the device) and in the page, for the trees.
# Memory: SoundFeatures holds its scratch once (per frame: level and centroid as float32, group
# sums as int32 for int input or float32: (2 + n_groups) * n_frames * 4 bytes, 1.2 KB for the
# defaults, made at the first compute()); compute() keeps nothing and allocates nothing but
# boxed floats: sums of int codes stay exact small ints, the frame-to-frame flux is read from
# the ring itself, and the power sums take 4 floats a value (exp's argument and result, the
# running power from the top band down and its sum, which is sum(b p): the centroid's
# numerator). From int16 codes 144 KB of garbage a window on our 64-bit unix build (32-byte
# blocks; 72 KB with the ESP32's 16-byte blocks), 398 KB before; 4 floats a value is the floor
# for float arithmetic in MicroPython, where every float is a heap object.
#
# Input: frames, any indexable of float dB values (array('f'), or array('h') codes times scale),
# frame-major (frame t's bands at t * n_mels ...). A ring of `capacity` frames is read from frame
# `start` on, wrapping (capacity = len(frames) // n_mels unless given), so a device ring needs no
# copy. With v[t][b] the band's dB (floor -100 dB for silence), p = 10^(v / 10) its power:
#   mel<a>_<b>_mean/std/max  for each group of `group` consecutive bands a..b: the group's
#                  per-frame mean dB, then its mean, population std and max over the window
#   level_mean/std/max/min   level[t] = 10 log10(mean over bands of p): the frame's mel level
#   centroid_mean/std        the power-weighted mean band number sum(b p) / sum(p), 0..n_mels-1
#   flatness_mean            mean over frames of (mean dB over bands - level[t]): 10 log10 of
#                  geometric / arithmetic mean power, 0 dB for a flat spectrum, below for peaks
#   flux_mean, flux_max      flux[t] = mean over bands of max(0, v[t][b] - v[t-1][b]) for
#                  t >= 1 (onset strength on the log-mel, as librosa's onset_strength), its mean
#                  and max over the window (0 when the window has one frame)
#   onsets         how many times flux rises to onset_db or above (flux[t] >= onset_db while
#                  flux[t-1] < onset_db, flux[0] = 0): a steady tone 0, a knock 1
# Feature order: feature_names(); settings() names the set for a model file's metadata.
import math
from array import array

N_FRAMES = 31       # ~1 s of 32 ms frames
N_MELS = 32
GROUP = 4           # bands per group: 8 groups of 4 for 32 bands
ONSET_DB = 6.0      # flux (mean positive dB step) that counts as an onset
_K = math.log(10.0) / 10.0      # p = exp(v * _K) = 10^(v / 10)
_TEN_LOG10_E = 10.0 / math.log(10.0)
KIND = "logmel-window"
VERSION = 1


def feature_names(n_mels=N_MELS, group=GROUP):
    """The ordered feature list compute() fills."""
    names = []
    for a in range(0, n_mels, group):
        b = min(a + group, n_mels) - 1
        for s in ("mean", "std", "max"):
            names.append("mel%d_%d_%s" % (a, b, s))
    return names + ["level_mean", "level_std", "level_max", "level_min", "centroid_mean",
                    "centroid_std", "flatness_mean", "flux_mean", "flux_max", "onsets"]


def _stats(v, n, start, step):
    # mean, population std and max of v[start + i * step] for i < n: sums shifted by the
    # first value (exact ints when v holds ints), floats only at the end
    x0 = v[start]
    s = q = 0
    top = x0
    j = start
    for _ in range(n):
        x = v[j]
        d = x - x0
        s += d
        q += d * d
        if x > top:
            top = x
        j += step
    e = s / n
    var = q / n - e * e
    return x0 + e, math.sqrt(var) if var > 0.0 else 0.0, top


class SoundFeatures:
    """compute(frames, out, scale=1.0, start=0) fills out (array('f') of n_features, from
    new_output()) with the features of one window of log-mel frames."""

    def __init__(self, n_frames=N_FRAMES, n_mels=N_MELS, group=GROUP, onset_db=ONSET_DB):
        if n_frames < 1 or n_mels < 1 or not 1 <= group <= n_mels:
            raise ValueError("need n_frames >= 1, n_mels >= 1 and 1 <= group <= n_mels")
        self.n_frames = n_frames
        self.n_mels = n_mels
        self.group = group
        self.onset_db = float(onset_db)
        self.n_groups = (n_mels + group - 1) // group
        self.names = feature_names(n_mels, group)
        self.n_features = len(self.names)
        self._level = array("f", bytes(4 * n_frames))
        self._cen = array("f", bytes(4 * n_frames))
        self._gm = None     # frame-major group sums per frame: array('i') for int input, else 'f'
        self._gm_ints = False

    def settings(self):
        """What names this feature set in a model file's window metadata."""
        return {"features": KIND, "version": VERSION, "frames": self.n_frames,
                "bands": self.n_mels, "group": self.group, "onset_db": self.onset_db}

    def new_output(self):
        return array("f", bytes(4 * self.n_features))

    def compute(self, frames, out, scale=1.0, start=0, capacity=None):
        nm = self.n_mels
        nt = self.n_frames
        g = self.group
        ng = self.n_groups
        cap = len(frames) // nm if capacity is None else capacity
        if cap < nt or len(frames) < cap * nm:
            raise ValueError("a window is %d frames of %d bands; got %d values for %d frames"
                             % (nt, nm, len(frames), cap))
        if len(out) < self.n_features:
            raise ValueError("out holds %d values, need %d" % (len(out), self.n_features))
        # Sums of the input values stay in its units (exact ints for int16 codes: no heap);
        # only the powers are floats, one exp per value (its argument and result boxed).
        ints = isinstance(frames[0], int)
        gm = self._gm
        if gm is None or self._gm_ints != ints:
            gm = self._gm = array("i" if ints else "f", bytes(4 * nt * self.n_groups))
            self._gm_ints = ints
        level = self._level
        cen = self._cen
        ks = _K * scale
        exp = math.exp
        log = math.log
        thr = self.onset_db * nm / scale     # flux in input units summed over bands
        if ints:
            thr = math.ceil(thr - 1e-6)      # 19200, not 19200.000000000004, for 0.01 dB codes
        total = flux_sum = flux_max = flux_prev = 0
        onsets = 0
        f = start % cap
        poff = -1
        for t in range(nt):
            off = f * nm
            run = cpb = 0.0     # running power from the top band down; sum of the run
            flux = gs = 0
            gi = t * ng
            b = nm - 1
            while b >= 0:
                v = frames[off + b]
                gs += v
                run += exp(v * ks)
                if b:
                    cpb += run      # sum over j >= 1 of the power of bands >= j = sum b p
                if poff >= 0:
                    d = v - frames[poff + b]
                    if d > 0:
                        flux += d
                if b % g == 0:      # a group's first band: its sum is complete
                    gm[gi + b // g] = gs
                    total += gs
                    gs = 0
                b -= 1
            level[t] = log(run / nm)
            cen[t] = cpb / run
            if poff >= 0:
                flux_sum += flux
                if flux > flux_max:
                    flux_max = flux
                if flux >= thr and flux_prev < thr:
                    onsets += 1
                flux_prev = flux
            poff = off
            f += 1
            if f == cap:
                f = 0
        o = 0
        for j in range(ng):
            n_in = min(g, nm - j * g)
            m, s, top = _stats(gm, nt, j, ng)
            k = scale / n_in
            out[o] = m * k
            out[o + 1] = s * k
            out[o + 2] = top * k
            o += 3
        # level[t] holds ln(mean power): dB = 10 / ln 10 times it
        m, s, top = _stats(level, nt, 0, 1)
        out[o] = m * _TEN_LOG10_E
        out[o + 1] = s * _TEN_LOG10_E
        out[o + 2] = top * _TEN_LOG10_E
        low = level[0]
        for t in range(1, nt):
            if level[t] < low:
                low = level[t]
        out[o + 3] = low * _TEN_LOG10_E
        m2, s, top = _stats(cen, nt, 0, 1)
        out[o + 4] = m2
        out[o + 5] = s
        out[o + 6] = total * scale / (nm * nt) - m * _TEN_LOG10_E
        k = scale / nm
        out[o + 7] = flux_sum * k / (nt - 1) if nt > 1 else 0.0
        out[o + 8] = flux_max * k
        out[o + 9] = onsets
        return out
