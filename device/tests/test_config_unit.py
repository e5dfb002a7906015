# device/config.py validation and atomic persistence, in-process on CPython (fast layer).
import importlib.util
import json

from device.tests.simdev import ROOT

# loaded under a private name: device/ is not a package on the host and must not shadow
# other modules called "config"
_spec = importlib.util.spec_from_file_location("_device_config", ROOT / "device" / "config.py")
config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(config)

SENSORS = ("sim",)


def _err(update, cur=config.DEFAULTS, channels_of=None):
    try:
        config.validate(cur, update, SENSORS, channels_of)
    except config.ConfigError as e:
        return e.field, str(e)
    raise AssertionError("accepted %r" % (update,))


def test_partial_update_keeps_the_rest():
    new = config.validate(config.DEFAULTS, {"hop": 32}, SENSORS)
    assert new == {"rate": 100, "window": 128, "hop": 32, "sensor": "sim"}
    assert config.DEFAULTS["hop"] == 64


def test_limits_and_types_name_the_field():
    assert _err({"rate": 0}) == ("rate", "rate must be 1..1000 Hz, got 0")
    assert _err({"rate": 1001})[0] == "rate"
    assert _err({"window": 4097})[0] == "window"
    assert _err({"window": 1}) == ("window", "window must be 2..4096 samples, got 1")
    assert _err({"hop": 129}) == ("hop", "hop must be 1..window (128 samples), got 129: set "
                                  "hop to at most 128")
    assert _err({"window": 32})[0] == "hop"        # default hop 64 no longer fits
    assert "string" in _err({"rate": "100"})[1]
    assert "boolean" in _err({"hop": False})[1]
    assert _err({"sensor": "replay"})[0] == "sensor"
    assert _err("rate=100")[0] is None


def test_buffer_bound_uses_the_channel_count():
    field, msg = _err({"window": 1024, "hop": 64}, channels_of=lambda s: 16)
    assert field == "window" and msg == ("window x channels = 1024 x 16 = 16384 values; the "
                                         "device has room for 8192: set window to at most "
                                         "512 samples")


def test_any_window_length_that_can_work_is_accepted():
    # users think in seconds: 5 s at 10 Hz is 50 samples (features zero-pad the FFT)
    for w, h in ((50, 25), (2, 1), (100, 100), (4096, 64), (37, 5)):
        assert config.validate(config.DEFAULTS, {"window": w, "hop": h, "rate": 10},
                               SENSORS)["window"] == w


def test_save_is_atomic_and_load_validates(tmp_path):
    cfg = config.validate(config.DEFAULTS, {"rate": 200}, SENSORS)
    config.save(str(tmp_path), cfg)
    assert json.loads((tmp_path / "config.json").read_text()) == cfg
    assert not (tmp_path / "config.json.tmp").exists()
    assert config.load(str(tmp_path), SENSORS) == (cfg, None)
    (tmp_path / "config.json").write_text('{"rate": 5000}')
    cfg2, warning = config.load(str(tmp_path), SENSORS)
    assert cfg2 == config.DEFAULTS and "rate" in warning


def test_origins_are_validated_and_normalised():
    new = config.validate(config.DEFAULTS, {"origins": ["HTTP://Lab.example:8000",
                                                        "https://[::1]:9"]}, SENSORS)
    assert new["origins"] == ["http://lab.example:8000", "https://[::1]:9"]
    assert config.validate(new, {"origins": []}, SENSORS)["origins"] == []
    for bad in ("http://a.example", ["http://a.example/"], ["ws://a.example"], ["http://"],
                [None], ["http://a b"], ["http://" + "a" * 100], ["http://a.example"] * 5):
        assert _err({"origins": bad})[0] == "origins", bad


def test_save_failing_leaves_the_old_file(tmp_path):
    config.save(str(tmp_path), config.DEFAULTS)
    (tmp_path / "config.json.tmp").mkdir()      # the temp file cannot be written
    try:
        config.save(str(tmp_path), dict(config.DEFAULTS, rate=200))
    except OSError:
        pass
    else:
        raise AssertionError("no OSError")
    assert json.loads((tmp_path / "config.json").read_text()) == config.DEFAULTS
