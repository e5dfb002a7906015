# Hardware abstraction: sensors with one interface (channels, scale, rate, read_into).
# Real drivers for the ESP32 and host-side simulated/replay sensors live side by side.
