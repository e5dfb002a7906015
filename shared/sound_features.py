# Sound window features from log-mel frames (shared.mel.MelFrames, or the device's mel frames of
# shared/protocol.py as int16 0.01 dB codes with scale 0.01): one row of named features for a
# window of n_frames frames x n_mels bands (defaults 31 x 32: 0.99 s at 16 kHz, hop 512), the
# same on CPython, MicroPython (unix, WASM, the device) and in the page, for the trees.
# Memory: SoundFeatures holds its scratch once (the previous frame, per-frame level, centroid and
# group means: n_mels + (2 + n_groups) * n_frames float32, 1.2 KB for the defaults);
# compute() allocates nothing but boxed floats.
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


def _mean_std(v, n, start=0, step=1):
    # mean and population std of v[start + i * step] for i < n, two passes
    s = 0.0
    j = start
    for _ in range(n):
        s += v[j]
        j += step
    m = s / n
    s = 0.0
    j = start
    for _ in range(n):
        d = v[j] - m
        s += d * d
        j += step
    return m, math.sqrt(s / n)


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
        self._prev = array("f", bytes(4 * n_mels))
        self._level = array("f", bytes(4 * n_frames))
        self._cen = array("f", bytes(4 * n_frames))
        self._gm = array("f", bytes(4 * n_frames * self.n_groups))   # frame-major

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
        prev = self._prev
        level = self._level
        cen = self._cen
        gm = self._gm
        k = _K
        inv_m = 1.0 / nm
        flat = flux_sum = flux_max = 0.0
        flux_prev = 0.0
        onsets = 0
        onset_db = self.onset_db
        f = start % cap
        for t in range(nt):
            off = f * nm
            sum_db = sum_p = sum_pb = flux = 0.0
            gi = t * ng
            b = 0
            while b < nm:
                end = b + g
                if end > nm:
                    end = nm
                gs = 0.0
                n_in = end - b
                while b < end:
                    v = frames[off + b] * scale
                    gs += v
                    p = math.exp(v * k)
                    sum_p += p
                    sum_pb += p * b
                    d = v - prev[b]
                    if d > 0.0:
                        flux += d
                    prev[b] = v
                    b += 1
                gm[gi] = gs / n_in
                gi += 1
                sum_db += gs
            lv = _TEN_LOG10_E * math.log(sum_p * inv_m)
            level[t] = lv
            cen[t] = sum_pb / sum_p
            flat += sum_db * inv_m - lv
            if t > 0:
                flux *= inv_m
                flux_sum += flux
                if flux > flux_max:
                    flux_max = flux
                if flux >= onset_db and flux_prev < onset_db:
                    onsets += 1
                flux_prev = flux
            f += 1
            if f == cap:
                f = 0
        o = 0
        for j in range(ng):
            m, s = _mean_std(gm, nt, j, ng)
            top = gm[j]
            i = j
            for _ in range(nt):
                if gm[i] > top:
                    top = gm[i]
                i += ng
            out[o] = m
            out[o + 1] = s
            out[o + 2] = top
            o += 3
        m, s = _mean_std(level, nt)
        out[o] = m
        out[o + 1] = s
        out[o + 2] = max(level)
        out[o + 3] = min(level)
        m, s = _mean_std(cen, nt)
        out[o + 4] = m
        out[o + 5] = s
        out[o + 6] = flat / nt
        out[o + 7] = flux_sum / (nt - 1) if nt > 1 else 0.0
        out[o + 8] = flux_max
        out[o + 9] = onsets
        return out
