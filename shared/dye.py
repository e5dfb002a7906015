# The one model of a spectrometer reading a dye (Beer-Lambert, path 1 cm): band j of an
# 11-channel spectral sensor (as an AS7341: F1..F8 415..680 nm, Clear, NIR, flicker diode)
# reads LAMP[j] x lamp gain x 10^(-EPS[j] x concentration). Used by shared/tests/synth.spectra
# (training data) and device/hal/sim_spectrometer.py (the simulated device), so both see the
# same physics. Memory: two 11-tuples.
CHANNELS = ("f415", "f445", "f480", "f515", "f555", "f590", "f630", "f680", "clear", "nir",
            "flicker")
UNIT = "mmol/L"           # of the concentration
# absorbance per band at 1 mmol/L (a blue dye: absorbs orange most)
EPS = (0.05, 0.1, 0.25, 0.6, 1.1, 1.4, 1.0, 0.5, 0.2, 0.08, 0.03)
# counts per band through clear water at lamp gain 1
LAMP = (9000, 12000, 15000, 17000, 18000, 18500, 18000, 16500, 14000, 11000, 8000)
C_MAX = 2.0               # concentrations the simulated device takes (mmol/L): 0..C_MAX


def counts(j, c, gain=1.0):
    """Band j's reading (float counts, no noise) at concentration c (mmol/L) and lamp gain."""
    return LAMP[j] * gain * 10 ** (-EPS[j] * c)
