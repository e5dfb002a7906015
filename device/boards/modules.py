# Which firmware modules each sensor kind needs: the one table an ESP32 board's frozen image
# (scripts/build_fw.py --esp32-manifest --board), a stock board's .mpy files (scripts/deploy)
# and the flash estimate (scripts/flash_layout) are made from. A board carries every device/
# module not listed here, plus the modules of its kinds (kinds()); the shared/ modules follow
# from those modules' imports (build_fw.device_shared). Build-time only: not on the device
# (kind "host"), which refuses a sensor whose modules it lacks (board.make_sensor).
KINDS = {
    # the demo accelerometer: every board keeps it, the node's fallback when the board's own
    # sensor does not answer or board.json is missing (node.py, board.SENSORS)
    "sim": ("hal/sim_accel.py",),
    "imu": ("hal/imu.py", "hal/fifo_accel.py", "hal/mpu6xxx.py", "hal/lis3dh.py"),
    # (model_regress: regression models run where slow sensors are: the 4 MB images of the
    # accelerometer and microphone boards have no room for them)
    "slow": ("hal/slow.py", "hal/imu.py", "hal/fifo_accel.py", "hal/bme280.py",
             "hal/bh1750.py", "hal/as7341.py", "model_regress.py"),
    "mic": ("sound.py", "api_sound.py", "melstream.py", "hal/i2s_mic.py"),
    # a microphone session's raw audio: boards with a microphone and >= 1 MiB of storage
    # budget (30 s of audio; the 4 MB image has neither the room nor the 128 KB budget for it)
    "audio": ("audio_rec.py",),
    # training on the device (POST /api/train; train_run.py imported for a training): boards
    # with PSRAM (it peaks at 85-93 % of the simulator's 192 KB heap with a model running:
    # device/NODE.md; the 4 MB images have no room for its ~9 KB either)
    "train": ("api_train.py", "train_run.py"),
    # the simulator's only (no board has them)
    "machine": ("hal/sim_machine.py",),
    "spectrometer": ("hal/sim_spectrometer.py",),
    "room": ("hal/sim_room.py",),
    "replay": ("hal/replay.py",),
    "sim_mic": ("hal/sim_mic.py", "hal/wav.py"),
    "host": ("boards/modules.py",),
}
IMU = ("mpu6050", "mpu6886", "lis3dh")   # hal/imu.py CHIPS; the other boards.SENSORS are slow


def kinds(b):
    """The sensor kinds board module b carries: the demo 'sim', its chip's, its mic's."""
    out = ["sim"]
    sensor = getattr(b, "SENSOR", None)
    if sensor in IMU:
        out.append("imu")
    elif sensor:
        out.append("slow")
    if getattr(b, "MIC", None):
        out.append("mic")
        if getattr(b, "STORAGE_BUDGET", 0) >= 1024 * 1024:
            out.append("audio")
    if getattr(b, "MODEL_BYTES", 0) >= 256 * 1024:   # PSRAM
        out.append("train")
    return out


def device_modules(b, all_modules):
    """The device/ modules (paths relative to device/, as in KINDS) of board module b's
    firmware, from all_modules (every device/ module of the simulator's firmware)."""
    listed = set()
    for mods in KINDS.values():
        listed.update(mods)
    keep = set(m for m in all_modules if m not in listed)
    for k in kinds(b):
        keep.update(KINDS[k])
    return keep
