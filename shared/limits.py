# Every limit a person can run into, in one place: the page checks against these before it
# sends anything and the device refuses past them, so the two never disagree (once they said
# 30 classes in one module and 32 in two others). Memory: a few ints.

# classes and labels
MAX_CLASSES = 30          # emlearn trees (EMTREES_MAX_CLASSES): more cannot be trained
MAX_CLASS_LEN = 32        # characters of a class name
MAX_SEGMENTS = 256        # label segments of one session (a labels PUT fits 16 KB)
MAX_UNIT_LEN = 16         # characters of a value's unit ("mmol/L"): value labels, models
VALUE_LIMIT = 1e9         # |value| of a value label or a regression model's range

# recordings
MAX_CHANNELS = 16         # channels of a frame, a CSV or a replay file
MAX_SAMPLES = 4096        # samples per channel of one frame (the window length limit)
MAX_NAME = 32             # characters of an imported session's (or a channel's) name
MAX_CSV_ROWS = 200000     # data rows of one CSV import (checked before it is parsed)
MAX_IMPORT_BYTES = 16 * 1024 * 1024   # bytes of one CSV file the page imports
IMPORT_MAX_RECORD = 2048  # bytes of one record (frame + CRC) of an import uploaded to the device

SIM_SPEED = (1, 50)       # the simulator's time scale (PUT /api/sim {"speed"}): x real time

# sample rates: 1..1000 Hz (config "rate"), or for slow sensors one sample every PERIOD_S
# seconds (config "period_s": 2 s .. 1 h; a frame's rate field says 0x8000 | seconds)
RATE_HZ = (1, 1000)
PERIOD_S = (2, 3600)
# the sensors period_s can pace (device/config.py's validator and the page's settings form
# read this one list; 'imu': a board's slow chip, an accelerometer keeps its FIFO's rate)
SLOW_SENSORS = ("spectrometer", "room", "imu")

# models
MAX_FEATURES = 127        # emlearn: int8 feature index
MAX_NODES = 32767         # int16 child offsets
MAX_LEAVES = 32767
MAX_TREES = 1024

# anomaly models (shared/anomalyformat.py): what the device scores and the largest model it loads
ANOMALY_SCORERS = ("envelope", "gmm")   # scorers the device takes (kNN is page-only: its
                                        # reference windows do not fit the device's heap)
MAX_ANOMALY_FEATURES = 64   # standardised features a model keeps (d)
MAX_ANOMALY_K = 8           # Gaussian mixture components
MAX_ANOMALY_VALUES = 1024   # floats of the scorer's parameters (4 KB on the device): an
                            # envelope's d*d precision, a mixture's k*d*d (full) or k*d (diag)
                            # Cholesky factors. 1024: an envelope keeps at most 32 features (the
                            # trainer drops the most redundant ones); with 50 (10 KB) the heap's
                            # high-water with everything on was 76.9 %, over the 75 % budget


def anomaly_values(scorer, d, k=1, cov="full"):
    """The scorer values (what MAX_ANOMALY_VALUES bounds) of a model with d kept features."""
    if scorer == "envelope":
        return d * d
    return k * d * d if cov == "full" else k * d

# notebooks (the page's, kept on the device too)
MAX_NOTEBOOK_BYTES = 64 * 1024      # one notebook (.ipynb)
NOTEBOOK_OUTPUT_BYTES = 16 * 1024   # outputs of one notebook the page sends to the device (the
                                    # rest stay in the browser that ran the cells)
NOTEBOOK_BUDGET = 256 * 1024        # all notebooks on the device
MAX_NOTEBOOKS = 32
MAX_NOTEBOOK_NAME = 40
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-."


def notebook_name_error(name):
    """None when name can name a notebook (a file on the device), else why not."""
    if not 1 <= len(name) <= MAX_NOTEBOOK_NAME or name[0] in " ." or \
            [c for c in name if c not in _NAME_CHARS]:
        return ("a notebook name has 1..%d letters, digits, spaces, _ - or . (and does not "
                "start with a space or a dot)" % MAX_NOTEBOOK_NAME)
    return None

# the node on its own (history, flagged windows, MQTT, webhooks: shared/node_settings.py)
HISTORY_BUDGET = (4096, 16 * 1024 * 1024)        # bytes of prediction history on flash
HISTORY_BUDGET_DEFAULT = 1024 * 1024              # >= 7 days at one window per second
MAX_FLAGGED = 64                                  # unsure windows kept with their samples
MAX_WEBHOOKS = 4
MAX_URL = 200                                     # characters of a webhook URL
MAX_SECRET = 128                                  # characters of a password or token
MAX_HOST = 64                                     # characters of a broker's host name
MAX_TOPIC = 64                                    # characters of an MQTT base topic
QUEUE = (1, 64)                                   # messages waiting per MQTT/webhook sender

# training on the device (POST /api/train): trainer parameters it takes, and the free heap a
# training leaves for sampling, streaming and HTTP (it refuses when its estimate goes below)
TRAIN_TREES = (1, 32)
TRAIN_DEPTH = (1, 16)
TRAIN_MIN_LEAF = (1, 64)
TRAIN_RESERVE = 8 * 1024
